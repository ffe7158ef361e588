"""Time the purge of one large account against a hand-written batched DELETE and Django's delete.

Usage (PostgreSQL only; the database test_<name> is created and kept for reruns):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_purge_bench \\
        .venv/bin/python benchmarks/purge.py --rows 1000000

Before each variant the demo tables are emptied and refilled with SQL (generate_series).
The purged organisation owns --rows rows: projects, tasks, seven comments per task, an
attachment row on every second task, and activity entries. A second organisation owns a
fifth as many, interleaved with the first one's rows in every table. Each variant then
runs in a fresh subprocess, which reports its wall time, its longest transaction, its
peak memory (``ru_maxrss``) and the CPU time of itself and of the PostgreSQL server
(all its processes). The server's CPU time is read from /proc, so it is shown only when
the server runs on the same machine. CPU time varies less than wall time when other work shares the
machine. The parent checks that the first organisation has no row left and the second
one lost none.

- purge: this app's ``purge_case`` through the demo's data registry, children first,
  progress recorded; the first transaction of each source deletes about
  ``--batch-size`` rows and later ones aim at ``PURGE_TRANSACTION_TARGET`` (40 ms by
  default); on ``PURGE_CONNECTIONS`` connections (2 by default);
- purge_one: the same on one connection (``PURGE_CONNECTIONS = 1``);
- raw: the same rows deleted with hand-written SQL that knows the schema: per transaction,
  the next tasks of the organisation by keyset (as many as make about ``--batch-size``
  rows with their comments and attachments), then ``DELETE ... WHERE task_id = ANY(...)``
  on comments and attachments and ``DELETE ... WHERE id = ANY(...)`` on the tasks; then
  projects, activity, API keys and memberships by keyset, ``--batch-size`` rows per
  transaction, and the organisation row;
- django: ``Organisation.objects.filter(pk=...).delete()``, Django's collector with cascades,
  in one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

VARIANTS = ("purge", "purge_one", "raw", "django")
COMMENTS_PER_TASK = 7
TASKS_PER_PROJECT = 100


class DisableMigrations(dict):
    """Create every app's tables from its models, as ``pytest --nomigrations`` does."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def setup_django(batch_size: int) -> None:
    import django
    from django.conf import settings

    os.environ["OFFBOARDING_PURGE_BATCH_SIZE"] = str(batch_size)
    django.setup()
    settings.MIGRATION_MODULES = DisableMigrations()
    settings.LOGGING_CONFIG = None
    settings.OFFBOARDING = {**settings.OFFBOARDING, "CLOCK": "system"}
    import logging

    logging.disable(logging.INFO)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_stat(pid: int | str) -> list[str] | None:
    """Return the fields of /proc/PID/stat after the command name (field 3 onwards)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_cpu_seconds(backend_pid: int) -> float | None:
    """Return the CPU time of every process of the PostgreSQL server, or None if not local.

    The server is the parent of ``backend_pid``. The sum covers the server process and
    its running children (backends of every connection, the WAL writer, the
    checkpointer). It also covers the children the server has reaped, such as the
    backends of connections closed meanwhile, so other clients of the server count
    too: run it on a server with no other work. CPU time varies less
    than wall time on a shared machine, but it leaves out waits such as the flush of the
    write-ahead log at each commit.
    """
    backend = proc_stat(backend_pid)
    if backend is None:
        return None
    server = int(backend[1])
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = proc_stat(entry.name)
        # ppid is field 4 of proc(5); utime and stime are fields 14 and 15.
        if fields is not None and int(fields[1]) == server:
            ticks += int(fields[11]) + int(fields[12])
    own = proc_stat(server)
    if own is None:
        return None
    # cutime and cstime (fields 16 and 17): children the server has waited for.
    ticks += int(own[11]) + int(own[12]) + int(own[13]) + int(own[14])
    return ticks / os.sysconf("SC_CLK_TCK")


# Transaction timing: every variant commits through Django's connection, so the time
# between turning autocommit off and back on is one transaction.


class TransactionClock:
    """Maximum duration and count of transactions, over every connection of the process."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.count = 0
        self._started: dict[int, float] = {}
        self._lock = threading.Lock()

    def install(self) -> None:
        from django.db.backends.base.base import BaseDatabaseWrapper

        original = BaseDatabaseWrapper.set_autocommit
        clock = self

        def set_autocommit(wrapper, autocommit, *args, **kwargs):
            with clock._lock:
                if not autocommit:
                    clock._started[id(wrapper)] = time.perf_counter()
                elif (started := clock._started.pop(id(wrapper), None)) is not None:
                    clock.longest = max(clock.longest, time.perf_counter() - started)
                    clock.count += 1
            return original(wrapper, autocommit, *args, **kwargs)

        BaseDatabaseWrapper.set_autocommit = set_autocommit


# Variants, each run in its own process.


def run_purge(organisation_id: int) -> None:
    from offboarding.models import OffboardingCase
    from offboarding.purge.service import purge_case

    case = OffboardingCase.objects.get(account_key=str(organisation_id))
    purge_case(case)


def run_raw(organisation_id: int, batch_size: int) -> None:
    from django.db import connection, transaction

    from config.accounts.models import Membership, Organisation
    from config.api.models import ApiKey
    from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task

    project, task = Project._meta.db_table, Task._meta.db_table
    comment, attachment = Comment._meta.db_table, Attachment._meta.db_table
    # Rows per task: the task, its comments and half an attachment, known from the schema.
    tasks_per_batch = max(1, int(batch_size / (1 + COMMENTS_PER_TASK + 0.5)))
    last = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.id FROM {task} t JOIN {project} p ON p.id = t.project_id "
                "WHERE p.organisation_id = %s AND t.id > %s ORDER BY t.id LIMIT %s",
                [organisation_id, last, tasks_per_batch],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            cursor.execute(f"DELETE FROM {comment} WHERE task_id = ANY(%s)", [ids])
            cursor.execute(f"DELETE FROM {attachment} WHERE task_id = ANY(%s)", [ids])
            cursor.execute(f"DELETE FROM {task} WHERE id = ANY(%s)", [ids])
        last = ids[-1]

    for model in (Project, ActivityEntry, ApiKey, Membership):
        table = model._meta.db_table
        last = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {table} WHERE organisation_id = %s AND id > %s "
                    "ORDER BY id LIMIT %s",
                    [organisation_id, last, batch_size],
                )
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    break
                cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
            last = ids[-1]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Organisation._meta.db_table} WHERE id = %s", [organisation_id]
        )


def run_django(organisation_id: int) -> None:
    from config.accounts.models import Organisation

    Organisation.objects.filter(pk=organisation_id).delete()


def child(variant: str, organisation_id: int, batch_size: int) -> None:
    setup_django(batch_size)
    from django.conf import settings
    from django.db import connection

    if variant == "purge_one":
        settings.OFFBOARDING = {**settings.OFFBOARDING, "PURGE_CONNECTIONS": 1}

    connection.creation.create_test_db(verbosity=0, keepdb=True)
    clock = TransactionClock()
    clock.install()
    baseline = peak_rss_mb()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    backend_before = server_cpu_seconds(backend_pid)
    client_before = client_cpu_seconds()
    started = time.perf_counter()
    if variant in ("purge", "purge_one"):
        run_purge(organisation_id)
    elif variant == "raw":
        run_raw(organisation_id, batch_size)
    else:
        run_django(organisation_id)
    elapsed = time.perf_counter() - started
    client_cpu = client_cpu_seconds() - client_before
    backend_after = server_cpu_seconds(backend_pid)
    backend_cpu = None
    if backend_before is not None and backend_after is not None:
        backend_cpu = backend_after - backend_before
    print(
        json.dumps(
            {
                "variant": variant,
                "seconds": elapsed,
                "longest_transaction": clock.longest,
                "transactions": clock.count,
                "peak_rss_mb": peak_rss_mb(),
                "rss_before_mb": baseline,
                "client_cpu": client_cpu,
                "backend_cpu": backend_cpu,
            }
        )
    )


# Parent: fresh data before each variant, then one subprocess per variant.


def fill(rows: int) -> tuple[int, int, dict[str, int]]:
    """Empty the demo tables and fill two organisations; return their ids and row counts."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import connection

    from config.accounts.models import Membership, Organisation, Role
    from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task
    from offboarding import clock
    from offboarding.models import OffboardingCase

    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "workspace", "api", "offboarding", "auth"}
        and model._meta.managed
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    users = get_user_model()
    first = Organisation.objects.create(name="Purged", slug="purged")
    second = Organisation.objects.create(name="Kept", slug="kept")
    for organisation in (first, second):
        owner = users.objects.create_user(
            f"owner-{organisation.slug}", f"owner-{organisation.slug}@example.com", "x"
        )
        Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)

    # Per project of the first organisation: 1 + 100 tasks + 700 comments + 50 attachments
    # + activity entries so that the total is ``rows``.
    per_project = 1 + TASKS_PER_PROJECT * (1 + COMMENTS_PER_TASK) + TASKS_PER_PROJECT // 2
    first_projects = max(1, int(rows * 0.85) // per_project)
    second_projects = max(1, first_projects // 5)
    activity_first = rows - first_projects * per_project - 2  # minus owner and organisation
    table = {
        model: model._meta.db_table
        for model in (Project, Task, Comment, Attachment, ActivityEntry)
    }
    every = first_projects // second_projects + 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table[Project]} (organisation_id, key, name, description, status, "
            "created_at) SELECT CASE WHEN g %% %s = 0 THEN %s ELSE %s END, 'P' || g, "
            "'Project ' || g, '', 'active', now() FROM generate_series(1, %s) g",
            [every, second.pk, first.pk, first_projects + second_projects],
        )
        cursor.execute(
            f"INSERT INTO {table[Task]} (project_id, number, title, description, status, "
            "priority, created_at, updated_at) SELECT p.id, n, 'Task ' || n, '', 'todo', 2, "
            f"now(), now() FROM {table[Project]} p CROSS JOIN generate_series(1, %s) n "
            "ORDER BY n, p.id",
            [TASKS_PER_PROJECT],
        )
        cursor.execute(
            f"INSERT INTO {table[Comment]} (task_id, body, created_at) SELECT t.id, "
            f"'Comment on task ' || t.id, now() FROM {table[Task]} t CROSS JOIN "
            "generate_series(1, %s) n ORDER BY n, t.id",
            [COMMENTS_PER_TASK],
        )
        cursor.execute(
            f"INSERT INTO {table[Attachment]} (task_id, file, name, content_type, size, "
            f"created_at) SELECT t.id, '', 'notes.txt', 'text/plain', 5, now() "
            f"FROM {table[Task]} t WHERE t.number %% 2 = 0 ORDER BY t.id",
            [],
        )
        cursor.execute(
            f"INSERT INTO {table[ActivityEntry]} (organisation_id, verb, target, created_at) "
            "SELECT CASE WHEN g %% 6 = 0 THEN %s ELSE %s END, 'created', '', now() "
            "FROM generate_series(1, %s) g",
            [second.pk, first.pk, activity_first + activity_first // 5],
        )
        # The second organisation's activity rows: every sixth; top the first one up exactly.
        cursor.execute(
            f"SELECT count(*) FROM {table[ActivityEntry]} WHERE organisation_id = %s", [first.pk]
        )
        missing = activity_first - cursor.fetchone()[0]
        if missing > 0:
            cursor.execute(
                f"INSERT INTO {table[ActivityEntry]} (organisation_id, verb, target, created_at) "
                "SELECT %s, 'created', '', now() FROM generate_series(1, %s)",
                [first.pk, missing],
            )
        cursor.execute("ANALYZE")

    now = clock.now()
    OffboardingCase.objects.create(
        account_key=str(first.pk),
        account_label="Purged",
        state="ended",
        requested_at=now,
        boundary_at=now,
        ended_at=now,
        retention_days=30,
        retention_starts_at=now,
        retention_ends_at=now,
        purge_started_at=now,
    )
    return first.pk, second.pk, count_rows(first.pk) | {}


def count_rows(organisation_id: int) -> dict[str, int]:
    from config.accounts.models import Membership, Organisation
    from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task

    return {
        "organisation": Organisation.objects.filter(pk=organisation_id).count(),
        "members": Membership.objects.filter(organisation_id=organisation_id).count(),
        "projects": Project.objects.filter(organisation_id=organisation_id).count(),
        "tasks": Task.objects.filter(project__organisation_id=organisation_id).count(),
        "comments": Comment.objects.filter(task__project__organisation_id=organisation_id).count(),
        "attachments": Attachment.objects.filter(
            task__project__organisation_id=organisation_id
        ).count(),
        "activity": ActivityEntry.objects.filter(organisation_id=organisation_id).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="Rows of the purged organisation (default 1,000,000).",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=5000,
        help="Rows per transaction for the purge and the raw DELETE.",
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="Comma-separated variants to run, of: " + ", ".join(VARIANTS),
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--organisation", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.organisation, options.batch_size)
        return

    setup_django(options.batch_size)
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL=postgres://... : this benchmark needs PostgreSQL.")
    connection.creation.create_test_db(verbosity=0, keepdb=True)

    results = {}
    for variant in options.variants.split(","):
        started = time.perf_counter()
        first, second, before = fill(options.rows)
        kept_before = count_rows(second)
        print(
            f"{variant}: filled {sum(before.values()):,} rows to delete "
            f"({time.perf_counter() - started:.1f} s), {sum(kept_before.values()):,} to keep",
            flush=True,
        )
        connection.close()
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                variant,
                "--organisation",
                str(first),
                "--batch-size",
                str(options.batch_size),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(f"{variant} failed:\n{completed.stderr}")
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        left, kept = count_rows(first), count_rows(second)
        if any(left.values()) or kept != kept_before:
            raise SystemExit(f"{variant}: wrong rows deleted: left {left}, kept {kept}")
        result["rows"] = sum(before.values())
        results[variant] = result
        print(
            f"{variant}: {result['seconds']:.2f} s, longest transaction "
            f"{result['longest_transaction'] * 1000:.0f} ms in {result['transactions']} "
            f"transactions, peak RSS {result['peak_rss_mb']:.0f} MB "
            f"(before {result['rss_before_mb']:.0f} MB)",
            flush=True,
        )
        if result["backend_cpu"] is not None:
            print(
                f"{variant}: CPU {result['client_cpu']:.2f} s in this process, "
                f"{result['backend_cpu']:.2f} s in the PostgreSQL server",
                flush=True,
            )

    for ours in ("purge", "purge_one"):
        for other in ("raw", "django"):
            if ours in results and other in results:
                ratio = results[ours]["seconds"] / results[other]["seconds"]
                print(f"{ours} / {other}: {ratio:.2f}x time ({1 / ratio:.2f}x faster)")


if __name__ == "__main__":
    main()
