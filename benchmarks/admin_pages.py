"""Time the case list, a case page and the KPI dashboard over many cases on PostgreSQL.

Usage (PostgreSQL only; the database test_<name> is created and dropped):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_admin_bench \\
        .venv/bin/python benchmarks/admin_pages.py --cases 100000

Prints the time to write the rows, then per page the median of --repeat requests
(server time through Django's test client), the SQL time within it and the number of
queries, first with the admin's indexes on the case table and then without them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Indexes on the case table that serve the admin list and the dashboard only.
ADMIN_INDEXES = ["offboarding_case_requested", "offboarding_case_flagged"]


class DisableMigrations(dict):
    """Create every app's tables from its models, as ``pytest --nomigrations`` does."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    settings.MIGRATION_MODULES = DisableMigrations()
    settings.OFFBOARDING = {"CLOCK": "database", "BUILTIN_STEP_HANDLERS": False}
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.LOGGING_CONFIG = None

    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, CaptureQueriesContext)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace, capture: type) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from offboarding.admin.groups import install_staff_groups
    from offboarding.models import OffboardingCase
    from tests.admin.scale_data import add_history, analyze, create_cases

    started = time.perf_counter()
    ids = create_cases(args.cases, datetime(2023, 1, 1, tzinfo=UTC))
    written = time.perf_counter() - started
    busy = OffboardingCase.objects.get(pk=ids[len(ids) // 2])
    add_history(busy, 60)
    analyze()
    print(f"cases: {args.cases}; rows written in {written:.1f} s")

    install_staff_groups()
    user = get_user_model().objects.create_user(
        "bench", "bench@example.com", "pw", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:offboarding_offboardingcase_changelist")
    pages = [
        ("case list", changelist, {}),
        ("case list, state=ended", changelist, {"state": "ended"}),
        ("case list, NPS promoters", changelist, {"nps": "promoter"}),
        ("case list, search by key", changelist, {"q": "scale-4242"}),
        ("case list, search by name", changelist, {"q": "Scale account 77"}),
        (
            "case list, month",
            changelist,
            {"requested_at__year": "2023", "requested_at__month": "6"},
        ),
        (
            "case page (60 events)",
            reverse("admin:offboarding_offboardingcase_change", args=[busy.pk]),
            {},
        ),
        (
            "dashboard, 1 year",
            reverse("admin:offboarding_dashboard"),
            {"start": "2023-01-01", "end": "2023-12-31"},
        ),
        (
            "dashboard, 90 days",
            reverse("admin:offboarding_dashboard"),
            {"start": "2023-10-01", "end": "2023-12-29"},
        ),
    ]
    with_indexes = measure(client, pages, args.repeat, capture)
    with connection.cursor() as cursor:
        for name in ADMIN_INDEXES:
            cursor.execute(f"DROP INDEX {name}")
    analyze()
    without_indexes = measure(client, pages, args.repeat, capture)

    print(
        f"{'page':28} {'ms':>7} {'SQL ms':>7} {'queries':>7}   without the admin indexes: "
        f"{'ms':>7} {'SQL ms':>7} {'SQL ratio':>9}"
    )
    for (label, total, sql, count), (_, bare_total, bare_sql, _) in zip(
        with_indexes, without_indexes, strict=True
    ):
        print(
            f"{label:28} {total:7.1f} {sql:7.1f} {count:7d}   {'':26}{bare_total:7.1f} "
            f"{bare_sql:7.1f} {bare_sql / sql:9.1f}"
        )


def measure(client, pages, repeat, capture) -> list[tuple[str, float, float, int]]:
    """Return (label, median ms, median SQL ms, queries) per page."""
    from django.db import connection

    results = []
    for label, url, query in pages:
        client.get(url, query)
        timings, sql_times = [], []
        for _ in range(repeat):
            with capture(connection) as queries:
                begin = time.perf_counter()
                response = client.get(url, query)
                timings.append((time.perf_counter() - begin) * 1000)
            sql_seconds = sum(float(query["time"]) for query in queries.captured_queries)
            sql_times.append(sql_seconds * 1000)
            assert response.status_code == 200, (label, response.status_code)
        results.append(
            (label, statistics.median(timings), statistics.median(sql_times), len(queries))
        )
    return results


if __name__ == "__main__":
    main()
