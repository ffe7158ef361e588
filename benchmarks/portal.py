"""Compare portal throughput under load with a bare login-required Django view.

Usage (PostgreSQL only; the database named in DATABASE_URL is dropped and created):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offb_portal_bench \\
        .venv/bin/python benchmarks/portal.py --duration 10 --connections 8

Starts gunicorn (sync workers) on 127.0.0.1 with the demo host's settings, DEBUG off and
the system clock, and signs an organisation owner in. Then wrk (Debian's ``wrk``) drives
the bare view and each portal page in turn, in the same run. Prints
requests per second, mean and 99th-percentile latency, and each page's throughput as a
ratio of the bare view's. wrk and gunicorn share the machine's cores.

Gunicorn imports this module as ``benchmarks.portal:application``; ``urlpatterns`` adds
the bare view in front of the demo host's URLs.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

BARE_PATH = "/bench/bare/"


def bare_view(request: Any) -> Any:
    """Return "ok": the baseline, with the same middleware and session lookup and no portal work."""
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str) -> Any:
    # Built on first use, because gunicorn imports this module before Django is set up.
    if name == "urlpatterns":
        from django.contrib.auth.decorators import login_required
        from django.urls import include, path

        return [
            path(BARE_PATH.strip("/") + "/", login_required(bare_view)),
            path("", include("config.urls")),
        ]
    if name == "application":
        import django
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        django.setup()
        settings.ROOT_URLCONF = "benchmarks.portal"
        return get_wsgi_application()
    raise AttributeError(name)


class DisableMigrations(dict):
    """Create every app's tables from its models, as ``pytest --nomigrations`` does."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        sys.exit(
            f"Use a database name of lower-case letters, digits and underscores, not {name!r}."
        )
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")


def create_schema_and_owner() -> tuple[str, dict[str, str]]:
    """Create the tables, an organisation with a scheduled case; return (session id, paths)."""
    import django
    from django.conf import settings

    django.setup()
    settings.MIGRATION_MODULES = DisableMigrations()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)

    from django.test import Client
    from django.urls import reverse

    from config.accounts.models import Membership, Organisation, Role
    from offboarding import clock
    from offboarding.billing.local import LocalLedgerBackend
    from offboarding.models import Actor, Plan
    from offboarding.models.portal import SaveOffer, SurveyReason
    from offboarding.services import lifecycle

    plan = Plan.objects.create(
        code="team", name="Team", amount="30.00", currency="EUR", interval="month"
    )
    SurveyReason.install_defaults()
    SaveOffer.objects.create(kind=SaveOffer.Kind.PAUSE, order=1)
    SaveOffer.objects.create(kind=SaveOffer.Kind.VAULT, order=2)
    organisation = Organisation.objects.create(name="Bench GmbH", slug="bench")
    owner = _user("owner@example.com")
    Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
    LocalLedgerBackend().subscribe(
        str(organisation.pk), plan.code, clock.now() - timedelta(days=10), trial=False
    )
    case = lifecycle.open_case(organisation, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner))

    client = Client()
    client.force_login(owner)
    paths = {
        "bare login-required view": BARE_PATH,
        "status page": reverse("offboarding:status", args=[case.public_id]),
        "survey page": reverse("offboarding:survey", args=[case.public_id]),
        "confirmation page": reverse("offboarding:receipt", args=[case.public_id]),
    }
    return client.cookies["sessionid"].value, paths


def _user(email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email.split("@")[0], email, "bench-pw")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "benchmarks.portal:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start within 30 s.")


def check_pages(base: str, session_id: str, paths: dict[str, str]) -> None:
    import requests

    for name, path in paths.items():
        response = requests.get(
            base + path, cookies={"sessionid": session_id}, allow_redirects=False, timeout=30
        )
        if response.status_code != 200:
            sys.exit(f"{name} ({path}) answered {response.status_code}, expected 200.")


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_LATENCY = re.compile(r"Latency\s+([\d.]+)(us|ms|s)\s")
WRK_P99 = re.compile(r"99%\s+([\d.]+)(us|ms|s)")
WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, session_id: str, args: argparse.Namespace) -> dict[str, float]:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "-H",
        f"Cookie: sessionid={session_id}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = WRK_ERRORS.search(output)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} responses were not 2xx/3xx:\n{output}")
    mean, mean_unit = WRK_LATENCY.search(output).groups()
    p99, p99_unit = WRK_P99.search(output).groups()
    return {
        "rate": float(WRK_RATE.search(output).group(1)),
        "mean_ms": float(mean) * UNIT_MS[mean_unit],
        "p99_ms": float(p99) * UNIT_MS[p99_unit],
    }


def _mean(figures: list[dict[str, float]]) -> dict[str, float]:
    return {key: sum(run[key] for run in figures) / len(figures) for key in figures[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="times each page is driven, interleaved; rates are averaged",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database that this script may drop.")
    os.environ.update(
        {
            "DJANGO_DEBUG": "0",
            "OFFBOARDING_CLOCK": "system",
            "OFFBOARDING_LOG_LEVEL": "WARNING",
            "DATABASE_CONN_MAX_AGE": "60",
        }
    )
    recreate_database(url)
    session_id, paths = create_schema_and_owner()

    port = free_port()
    server = start_gunicorn(dict(os.environ), port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        check_pages(base, session_id, paths)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
        for _round in range(args.rounds):
            for name, path in paths.items():
                runs[name].append(run_wrk(base + path, session_id, args))
        results = {name: _mean(figures) for name, figures in runs.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)

    baseline = results["bare login-required view"]["rate"]
    print(
        f"gunicorn {args.workers} sync workers; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s per page and round; {args.rounds} interleaved rounds, averaged"
    )
    print(f"{'page':28} {'req/s':>9} {'mean ms':>9} {'p99 ms':>9} {'vs bare':>8}")
    for name, figures in results.items():
        print(
            f"{name:28} {figures['rate']:9.0f} {figures['mean_ms']:9.2f} "
            f"{figures['p99_ms']:9.2f} {figures['rate'] / baseline:8.2f}"
        )


if __name__ == "__main__":
    main()
