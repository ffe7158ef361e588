"""Benchmark: two beat schedulers and four Celery workers send 10,000 due notices.

Creates its own PostgreSQL database (offb_notices_bench, dropped at the end), uses Redis
database 12 as the broker and an aiosmtpd server on a free loopback port as the sink.
Every notice is a cancellation confirmation due an hour ago; the processes queue the
cadence (``ON CONFLICT DO NOTHING``) and send the outbox (``SKIP LOCKED`` claims).

    .venv/bin/python benchmarks/notices.py [COUNT]

Prints the time from starting the processes to the last message and the time from the
first to the last message. For a ratio in the same run, it also times one process that
sends the same number of plain messages over one SMTP connection, with no outbox.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "offb_notices_bench"
BROKER_URL = "redis://127.0.0.1:6379/12"
QUEUE = "offboarding-notices-bench"
RECIPIENT = re.compile(rb"^To: (.+?)\r?$", re.MULTILINE)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def build_schema(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--run-syncdb", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def recipients(raw_messages: list[bytes]) -> list[bytes]:
    return [match.group(1) for raw in raw_messages if (match := RECIPIENT.search(raw))]


def wait_for(
    inbox, count: int, started: float, timeout: float
) -> tuple[list[bytes], float | None, float | None]:
    """Collect recipients until ``count`` arrived or ``timeout`` passed, with arrival times."""
    received: list[bytes] = []
    first = last = None
    while len(received) < count and time.perf_counter() - started < timeout:
        batch = recipients(inbox.take_raw())
        if batch:
            now = time.perf_counter()
            first = first or now
            last = now
            received.extend(batch)
        time.sleep(0.05)
    return received, first, last


def plain_send_seconds(count: int) -> float:
    """Seconds one process takes to send ``count`` plain messages over one connection."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    messages = [
        EmailMultiAlternatives("Plain", "Body", "from@example.com", [f"plain{i}@example.com"])
        for i in range(count)
    ]
    started = time.perf_counter()
    with get_connection() as connection:
        connection.send_messages(messages)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "count", nargs="?", type=int, default=10_000, help="Due notices to send (default 10000)."
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="Seconds to wait for the last message (default 600).",
    )
    arguments = parser.parse_args()
    count = arguments.count
    from tests.notices.smtp import SmtpSink

    sink = SmtpSink()
    sink.start()
    database_url = f"{SERVER}/{DATABASE}"
    from tests.notices.fleet import fleet_environment

    env = fleet_environment(database_url, BROKER_URL, sink.port)
    os.environ.update(env)

    recreate_database()
    try:
        run(count, sink, env, arguments.timeout)
    finally:
        sink.stop()
        drop_database()


def run(count: int, sink, env: dict[str, str], timeout: float) -> None:
    build_schema(env)
    import django

    django.setup()
    import redis

    from offboarding import clock
    from offboarding.models.notices import OutboxMessage, OutboxStatus
    from tests.conftest import utc
    from tests.notices.fleet import (
        create_confirmed_cases,
        install_send_schedule,
        start_fleet,
        stop_fleet,
    )

    now = clock.freeze(utc(2024, 10, 20, 12))
    prepared = time.perf_counter()
    create_confirmed_cases(count, now)
    install_send_schedule(QUEUE)
    print(f"prepared {count} cases in {time.perf_counter() - prepared:.1f} s")
    redis.Redis.from_url(BROKER_URL).flushdb()

    with tempfile.TemporaryDirectory() as logs:
        started = time.perf_counter()
        fleet = start_fleet(env, QUEUE, workers=4, beats=2, log_dir=Path(logs))
        try:
            received, first, last = wait_for(sink.inbox, count, started, timeout)
            # A few more beat ticks: a duplicate would arrive now.
            time.sleep(5)
        finally:
            stop_fleet(fleet)
    # Workers finish their current batch when stopped; those messages count too.
    received.extend(recipients(sink.inbox.take_raw()))

    per_recipient = Counter(received)
    duplicates = sum(n - 1 for n in per_recipient.values())
    sent_rows = OutboxMessage.objects.filter(status=OutboxStatus.SENT).count()
    plain = plain_send_seconds(count)
    sink.inbox.take_raw()

    if len(per_recipient) < count:
        print(f"TIMED OUT after {timeout:.0f} s: {len(per_recipient)} of {count} notices arrived")
    total = (last or started) - started
    spread = (last or started) - (first or started)
    print(
        f"messages received: {len(received)} (distinct recipients {len(per_recipient)}, "
        f"duplicates {duplicates}), outbox rows sent: {sent_rows}"
    )
    print(f"start of processes to last message: {total:.1f} s")
    print(f"first to last message: {spread:.1f} s ({count / spread if spread else 0:.0f} msg/s)")
    print(
        f"plain send of {count} messages, one process, one connection: {plain:.1f} s "
        f"({count / plain:.0f} msg/s)"
    )
    if spread:
        print(f"ratio outbox fleet (first to last) / plain send: {spread / plain:.2f}x")


if __name__ == "__main__":
    main()
