"""Time the CSV export of one large account against PostgreSQL's own COPY and a plain ORM loop.

Usage (PostgreSQL only; the database test_<name> is created, filled and kept for reruns):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_export_bench \\
        .venv/bin/python benchmarks/export.py --rows 1000000

The account is generated with the demo's ``demo_data`` command (one organisation with
--rows rows: tasks, comments, activity, projects and a few attachments). A kept database
must hold the account at the same --rows, or the script exits. On a server with
autovacuum off the tables have no planner statistics unless --analyze is given. Each
variant then runs in a fresh subprocess, which reports its rows, wall time and peak
memory (VmHWM, because Linux carries ``ru_maxrss`` over from the parent across execve):

- export: this app's export in CSV: COPY with formula neutralisation, SHA-256 and deflate
  into stored parts, checkpoints in the database, the ZIP with manifest and attachments;
- copy: ``COPY (SELECT ...) TO STDOUT`` of the same queries, no rendering, piped through
  SHA-256 into ``zipfile`` with the same deflate level (a reader thread, as the export);
- orm: ``values_list(...).iterator(chunk_size=2000)`` into ``csv.writer``, nothing else.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SEED = 4242
VARIANTS = ("export", "copy", "orm")


class DisableMigrations(dict):
    """Create every app's tables from its models, as ``pytest --nomigrations`` does."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def setup_django(media_root: str) -> None:
    import django
    from django.conf import settings

    os.environ["DJANGO_MEDIA_ROOT"] = media_root
    django.setup()
    settings.MIGRATION_MODULES = DisableMigrations()
    settings.LOGGING_CONFIG = None
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "CLOCK": "system",
        "BUILTIN_STEP_HANDLERS": False,
    }
    import logging

    logging.disable(logging.INFO)


# Variants, each run in its own process.


def run_export(account_key: str) -> int:
    from offboarding.exports import service
    from offboarding.models import Actor, DataExport

    export = service.request_export(account_key, ["csv"], actor=Actor.system(), queue=False)
    service.run_export(export.pk)
    export = DataExport.objects.get(pk=export.pk)
    assert export.status == "ready", export.failure_reason
    return sum(part["rows"] for part in export.checkpoint["parts"].values())


def run_copy(account_key: str) -> int:
    from django.conf import settings
    from django.db import connection

    from offboarding.exports import rows
    from offboarding.registry import get_registry

    level = settings.OFFBOARDING.get("EXPORT_COMPRESSION_LEVEL", 1)
    total = 0
    with (
        tempfile.TemporaryFile() as output,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive,
    ):
        for source in get_registry().sources():
            columns = rows.columns_of(source)
            lookups = ["pk", *(column.lookup for column in columns)]
            inner_sql, params = (
                source.queryset(account_key)
                .order_by()
                .values_list(*lookups)
                .query.sql_with_params()
            )
            aliases = [f"c{index}" for index in range(len(lookups))]
            statement = (
                f"COPY (SELECT {', '.join(aliases[1:])} FROM ({inner_sql}) AS t({', '.join(aliases)}) "
                "ORDER BY c0) TO STDOUT WITH (FORMAT csv, HEADER)"
            )
            digest = hashlib.sha256()
            with (
                connection.cursor() as cursor,
                archive.open(f"{source.name}.csv", "w", force_zip64=True) as entry,
            ):
                for batch, count in _copy_batches(cursor.cursor, statement, list(params)):
                    digest.update(batch)
                    entry.write(batch)
                    total += count
    return total - len(get_registry().sources())  # Header lines are not rows.


def _copy_batches(raw_cursor, statement, params):
    batches: queue.Queue = queue.Queue(maxsize=8)

    def read() -> None:
        with raw_cursor.copy(statement, params) as copy:
            buffer, count = bytearray(), 0
            for data in copy:
                buffer += data
                count += 1
                if len(buffer) >= 256 * 1024:
                    batches.put((bytes(buffer), count))
                    buffer, count = bytearray(), 0
            batches.put((bytes(buffer), count))
        batches.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while (item := batches.get()) is not None:
        yield item
    reader.join()


def run_orm(account_key: str) -> int:
    from offboarding.exports import rows
    from offboarding.registry import get_registry

    total = 0
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as output:
        writer = csv.writer(output)
        for source in get_registry().sources():
            columns = rows.columns_of(source)
            writer.writerow([column.name for column in columns])
            queryset = source.queryset(account_key).values_list(*(c.lookup for c in columns))
            for row in queryset.iterator(chunk_size=2000):
                writer.writerow(row)
                total += 1
    return total


def child(variant: str, account_key: str, media_root: str) -> None:
    setup_django(media_root)
    runner = {"export": run_export, "copy": run_copy, "orm": run_orm}[variant]
    started = time.perf_counter()
    count = runner(account_key)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "variant": variant,
                "rows": count,
                "seconds": seconds,
                "peak_mb": peak_rss_kib() / 1024,
                "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def peak_rss_kib() -> int:
    """Return this process's own peak resident memory (VmHWM), in KiB.

    Linux keeps ru_maxrss across execve, so a child started by this (larger) parent
    would report the parent's peak; VmHWM belongs to the new address space only.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# Parent: data, then one subprocess per variant.


def prepare(row_count: int, media_root: str, *, analyze: bool) -> tuple[str, str]:
    """Create the test database and the account if needed; return (database URL, account key)."""
    setup_django(media_root)
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    connection.creation.create_test_db(verbosity=0, keepdb=True)
    from config.accounts.models import Organisation

    slug = f"demo-{SEED}-000000"
    started = time.perf_counter()
    call_command("demo_data", accounts=1, rows_per_account=row_count, seed=SEED)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    account_key = str(Organisation.objects.get(slug=slug).pk)
    check_account_size(account_key, row_count)
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("planner statistics updated (ANALYZE)")
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    connection.close()
    return url, account_key


def check_account_size(account_key: str, row_count: int) -> None:
    """Exit if the kept database contains the account at another size than ``--rows``.

    ``demo_data`` skips an organisation that exists, so a database kept from a run with
    other ``--rows`` would be measured at its old size.
    """
    from config.demo.generate import plan_rows
    from config.workspace.models import Task

    tasks = Task.objects.filter(project__organisation_id=account_key).count()
    expected = plan_rows(row_count).tasks
    if tasks != expected:
        from django.db import connection

        sys.exit(
            f"The kept database {connection.settings_dict['NAME']} contains the account with "
            f"{tasks} tasks, but --rows {row_count} gives {expected}. Drop that database "
            "or pass the --rows it was made with."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Runs of the export and copy variants, alternated; the fastest counts (default 3). "
        "The ORM variant runs once.",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="Run ANALYZE after loading the data, as autovacuum would. Without it the "
        "tables keep no planner statistics when the server runs with autovacuum off.",
    )
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--account", help=argparse.SUPPRESS)
    parser.add_argument("--media-root", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.account, args.media_root)
        return

    media_root = tempfile.mkdtemp(prefix="offboarding-export-bench-")
    try:
        report(args, media_root)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)


def report(args: argparse.Namespace, media_root: str) -> None:
    url, account_key = prepare(args.rows, media_root, analyze=args.analyze)
    env = {**os.environ, "DATABASE_URL": url}
    schedule = [*(["export", "copy"] * args.repeat), "orm"]
    runs: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    for variant in schedule:
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                variant,
                "--account",
                account_key,
                "--media-root",
                media_root,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            sys.exit(f"{variant} failed:\n{completed.stderr}")
        runs[variant].append(json.loads(completed.stdout.strip().splitlines()[-1]))
        print(f"{variant}: {runs[variant][-1]['seconds']:.1f} s", flush=True)
    # Other processes on the machine only ever slow a run down, so the fastest run counts.
    results = {
        variant: min(found, key=lambda run: run["seconds"]) for variant, found in runs.items()
    }
    for variant in ("export", "copy"):
        times = ", ".join(f"{run['seconds']:.1f}" for run in runs[variant])
        print(f"{variant} runs (s): {times}")

    print("| variant | rows | seconds | rows/s | peak memory (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for variant, result in results.items():
        rate = result["rows"] / result["seconds"]
        peak = max(run["peak_mb"] for run in runs[variant])
        print(
            f"| {variant} | {result['rows']:,} | {result['seconds']:.1f} | {rate:,.0f} | "
            f"{peak:.0f} |"
        )
    export, copy, orm = (results[name]["rows"] / results[name]["seconds"] for name in VARIANTS)
    print(
        f"fastest runs: export / copy = {export / copy:.2f}x, export / orm = {export / orm:.2f}x"
    )
    medians = {name: statistics.median(run["seconds"] for run in runs[name]) for name in VARIANTS}
    print(
        f"median runs: export / copy = {medians['copy'] / medians['export']:.2f}x, "
        f"export / orm = {medians['orm'] / medians['export']:.2f}x"
    )


if __name__ == "__main__":
    main()
