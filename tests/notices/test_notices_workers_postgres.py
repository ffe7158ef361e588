"""Two beat schedulers and four Celery workers (real processes) send each notice exactly once."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import redis
from django.db import connection

from offboarding import clock
from offboarding.models import AuditEvent
from offboarding.models.notices import OutboxMessage, OutboxStatus
from tests.conftest import utc
from tests.notices.fleet import (
    create_confirmed_cases,
    fleet_environment,
    install_send_schedule,
    start_fleet,
    stop_fleet,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

NOTICES = 200
# Flushed before and after the test; point it at a Redis database nothing else uses.
BROKER_URL = os.environ.get("OFFBOARDING_NOTICES_TEST_BROKER_URL", "redis://127.0.0.1:6379/13")
QUEUE = "offboarding-notices-test"


def database_url() -> str:
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    yield BROKER_URL
    client.flushdb()


def test_two_beats_four_workers_send_each_once(
    transactional_db, smtp_sink, settings, broker, tmp_path
):
    settings.OFFBOARDING = {"CLOCK": "database", "BUILTIN_STEP_HANDLERS": False}
    now = clock.freeze(utc(2024, 10, 20, 12))
    create_confirmed_cases(NOTICES, now)
    install_send_schedule(QUEUE)

    env = fleet_environment(database_url(), broker, smtp_sink.port)
    env["OFFBOARDING_NOTICE_BATCH_SIZE"] = "10"
    fleet = start_fleet(env, QUEUE, workers=4, beats=2, log_dir=tmp_path)
    received = []
    try:
        # Generous: the processes start slowly on a busy 2-core machine.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(received) < NOTICES:
            received.extend(smtp_sink.inbox.take())
            time.sleep(0.2)
        # Let a few more beat ticks pass: a duplicate would arrive now.
        time.sleep(3)
        received.extend(smtp_sink.inbox.take())
    finally:
        stop_fleet(fleet)
    logs = "\n".join(path.read_text()[-2000:] for path in sorted(tmp_path.glob("*.log")))

    assert len(received) == NOTICES, logs
    per_recipient = Counter(message["To"] for message in received)
    assert len(per_recipient) == NOTICES
    assert set(per_recipient.values()) == {1}
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == NOTICES
    assert OutboxMessage.objects.count() == NOTICES
    assert AuditEvent.objects.filter(action="notice_sent").count() == NOTICES
    # No message needed a second claim: no lease ran out, no send failed.
    assert OutboxMessage.objects.filter(attempts=1).count() == NOTICES
