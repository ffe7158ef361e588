"""Benchmark: how fast ``manage.py demo_data`` fills PostgreSQL, against a bare COPY.

Run against PostgreSQL (the benchmark creates and drops its own database):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_bench_demo \
        .venv/bin/python benchmarks/demo_data.py [ACCOUNTS] [ROWS_PER_ACCOUNT]

The defaults, 100 organisations of 10,000 rows, write 1 M rows. The baseline copies the
same number of ready-made rows into a temporary table shaped like the comment table,
without indexes or foreign keys: the server's bare ingest rate. The ratio shows what data
generation, indexes and foreign-key checks cost on top of it.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/offb_bench_demo")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402


def create_database() -> None:
    name = connection.settings_dict["NAME"]
    admin = connections.create_connection("default")
    admin.settings_dict["NAME"] = "postgres"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    call_command("migrate", run_syncdb=True, verbosity=0)


def time_demo_data(accounts: int, rows_per_account: int) -> tuple[float, str]:
    output = StringIO()
    started = time.perf_counter()
    call_command(
        "demo_data", accounts=accounts, rows_per_account=rows_per_account, seed=1, stdout=output
    )
    return time.perf_counter() - started, output.getvalue()


def time_bare_copy(rows: int) -> float:
    """Copy ``rows`` prepared comment-like rows into an unindexed temporary table."""
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    body = "Numbers look off by one period; please double-check the anchor date."
    prepared = [
        (index % 4000 + 1, index % 300 + 1, body, created_at, None) for index in range(rows)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_bare_copy (task_id bigint, author_id integer, body text, "
            "created_at timestamptz, edited_at timestamptz)"
        )
        started = time.perf_counter()
        with cursor.copy(
            "COPY bench_bare_copy (task_id, author_id, body, created_at, edited_at) FROM STDIN"
        ) as copy:
            for row in prepared:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare_copy")
    return elapsed


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rows_per_account = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rows = accounts * rows_per_account

    create_database()
    demo_seconds, demo_output = time_demo_data(accounts, rows_per_account)
    copy_seconds = time_bare_copy(rows)

    print(demo_output.strip())
    print(f"rows: {rows:,} ({accounts} organisations x {rows_per_account:,})")
    print(f"demo_data:  {demo_seconds:6.1f} s  {rows / demo_seconds:10,.0f} rows/s")
    print(f"bare COPY:  {copy_seconds:6.1f} s  {rows / copy_seconds:10,.0f} rows/s")
    print(f"ratio demo_data / bare COPY time: {demo_seconds / copy_seconds:.1f}x")


if __name__ == "__main__":
    main()
