"""Benchmark: the due-work scan's cost as cases grow from 10 k to 1 M, with the same number due.

Run against PostgreSQL (the database the benchmark creates and drops itself):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_bench_scan .venv/bin/python benchmarks/scan.py

It fills the case table with closed cases (purged, withdrawn, reactivated: what piles up
over years) and a fixed number of due ones, then times (a) the due queries that one scan
runs when nothing is due and (b) a scan that claims and moves on the due cases. Both are
measured at 10 k and at 1 M cases in the same run; the report gives the ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/offb_bench_scan")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

DUE = 200
SIZES = (10_000, 1_000_000)


def create_database() -> None:
    """Drop and create the benchmark's own database, then create the tables in it."""
    import psycopg

    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}"')
        admin.execute(f'CREATE DATABASE "{database["NAME"]}"')
    call_command("migrate", run_syncdb=True, verbosity=0)


def fill(total: int, already: int) -> None:
    """Add closed cases up to ``total - DUE`` rows, with generate_series on the server."""
    closed = total - DUE - already
    if closed <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO offboarding_offboardingcase
              (public_id, account_key, account_label, state, saved_as, jurisdiction, immediate,
               plan_code, plan_name, requested_by, requested_at, confirmed_at, boundary_at,
               ended_at, retention_starts_at, retention_ends_at, purged_at, closed_at,
               legal_hold, legal_hold_reason, needs_attention, attention_reason, updated_at)
            SELECT 'closed-' || g, 'acct-' || g, '', (ARRAY['purged','withdrawn','reactivated'])[1 + g %% 3],
                   '', 'default', false, 'team-monthly', 'Team', '',
                   now() - interval '400 days', now() - interval '399 days',
                   now() - interval '390 days', now() - interval '390 days',
                   now() - interval '390 days', now() - interval '360 days',
                   CASE WHEN g %% 3 = 0 THEN now() - interval '360 days' END,
                   now() - interval '360 days', false, '', false, '', now()
            FROM generate_series(%s, %s) AS g
            """,
            [already + 1, already + closed],
        )
        cursor.execute("ANALYZE offboarding_offboardingcase")


def add_due_cases(run: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO offboarding_offboardingcase
              (public_id, account_key, account_label, state, saved_as, jurisdiction, immediate,
               plan_code, plan_name, requested_by, requested_at, confirmed_at, boundary_at,
               legal_hold, legal_hold_reason, needs_attention, attention_reason, updated_at)
            SELECT 'due-' || %s || '-' || g, 'due-acct-' || %s || '-' || g, '', 'scheduled', '',
                   'default', false, 'team-monthly', 'Team', '', now() - interval '20 days',
                   now() - interval '20 days', now() - interval '1 hour', false, '', false, '',
                   now()
            FROM generate_series(1, %s) AS g
            """,
            [run, run, DUE],
        )


def time_idle_scan(repeats: int = 50) -> float:
    from offboarding import jobs

    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        jobs.scan_due_work(run_steps=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def time_due_scan(run: int) -> float:
    from offboarding import clock, jobs
    from offboarding.models import OffboardingCase

    add_due_cases(run)
    started = time.perf_counter()
    report = jobs.scan_due_work(limit=DUE, run_steps=False)
    elapsed = time.perf_counter() - started
    assert report.counts["boundaries"] == DUE, report
    assert not OffboardingCase.objects.boundary_due(clock.now()).exists()
    age_due_cases()
    return elapsed


def age_due_cases() -> None:
    """Turn the cases a round moved on into year-old purged ones, like the rest of the table,
    so that every round and every size starts with the same open cases."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE offboarding_offboardingcase
            SET state = 'purged', boundary_at = now() - interval '390 days',
                ended_at = now() - interval '390 days',
                retention_starts_at = now() - interval '390 days',
                retention_ends_at = now() - interval '360 days',
                purged_at = now() - interval '360 days', closed_at = now() - interval '360 days',
                confirmed_at = now() - interval '399 days',
                requested_at = now() - interval '400 days'
            WHERE account_key LIKE 'due-%%' AND state = 'ended'
            """
        )


def main() -> None:
    from offboarding.notices.cadence import install_default_cadence

    create_database()
    # The scan also queues the notices of every cadence step, as in production.
    install_default_cadence()
    results = {}
    filled = 0
    with override_settings(OFFBOARDING={"CLOCK": "system", "BUILTIN_STEP_HANDLERS": False}):
        for run, size in enumerate(SIZES, start=1):
            fill(size, filled)
            filled = size - DUE
            idle = time_idle_scan()
            due = statistics.median(time_due_scan(run * 10 + repeat) for repeat in range(3))
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM offboarding_offboardingcase")
                rows = cursor.fetchone()[0]
            results[size] = (rows, idle, due)
            print(
                f"{rows:>9,} cases: idle scan {idle * 1000:.2f} ms (median of 50), "
                f"scan moving {DUE} due cases {due * 1000:.0f} ms (median of 3) "
                f"({due / DUE * 1000:.2f} ms per case)"
            )

    if os.environ.get("SCAN_EXPLAIN"):
        from offboarding import clock
        from offboarding.models import OffboardingCase

        add_due_cases(99)
        with transaction.atomic():
            for queryset in (
                OffboardingCase.objects.boundary_due(clock.now()),
                OffboardingCase.objects.due_for_purge(clock.now()),
            ):
                print(
                    queryset.select_for_update(skip_locked=True)
                    .order_by("pk")[:1]
                    .explain(analyze=True)
                )

    small, large = results[SIZES[0]], results[SIZES[1]]
    print(
        f"ratio 1 M / 10 k: idle scan {large[1] / small[1]:.2f}, due scan {large[2] / small[2]:.2f}"
    )


if __name__ == "__main__":
    main()
