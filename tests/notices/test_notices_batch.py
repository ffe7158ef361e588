"""Sending a claimed batch: bulk reads, one write per message, the batch's audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from offboarding import tasks
from offboarding.models import AuditEvent, CaseState, OffboardingCase
from offboarding.models.notices import OutboxMessage, OutboxStatus
from offboarding.notices.api import queue_notice
from offboarding.notices.scheduling import queue_due_cadence
from offboarding.notices.sending import SendReport, claim_batch, send_batch, send_due_notices
from tests.conftest import utc
from tests.notices.helpers import cancel, subscribed_user

NOW = utc(2024, 10, 20, 12)


@pytest.fixture
def confirmed_cases(notice_settings, frozen_clock):
    """Make ``count`` confirmed cases with their cancellation notice queued; return them."""
    from tests.notices.fleet import create_confirmed_cases

    def make(count: int) -> list[OffboardingCase]:
        frozen_clock.at(NOW)
        create_confirmed_cases(count, NOW)
        assert queue_due_cadence() == count
        return list(OffboardingCase.objects.order_by("pk"))

    return make


@pytest.fixture
def scheduled_case(notice_settings, frozen_clock, monthly_plan):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("owner", "owner@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(NOW)
    return cancel(user)


def sent_events(case: OffboardingCase) -> list[str]:
    return [event.data["key"] for event in case.events.filter(action="notice_sent")]


def test_batch_writes_once_per_message(smtp_sink, confirmed_cases):
    confirmed_cases(12)

    with CaptureQueriesContext(connection) as four:
        assert send_due_notices(max_messages=4).sent == 4
    with CaptureQueriesContext(connection) as eight:
        assert send_due_notices(max_messages=8).sent == 8

    assert len(smtp_sink.inbox.take_raw()) == 12
    # Everything but recording each message's delivery is read and written per batch.
    assert len(eight) - len(four) == 4
    per_message = [query["sql"] for query in eight if "delivered_to" in query["sql"]]
    assert len([sql for sql in per_message if sql.startswith("UPDATE")]) == 8


def test_batch_audits_every_sent_notice(smtp_sink, scheduled_case, frozen_clock):
    other = cancel(subscribed_user("other", "other@example.com", since=utc(2024, 10, 1, 0)))
    queue_notice(scheduled_case, "first", "access_ended", {})
    queue_notice(scheduled_case, "second", "access_ended", {})
    queue_notice(other, "third", "access_ended", {})

    report = SendReport()
    send_batch(claim_batch(10), report)

    assert report.sent == 3
    assert sorted(sent_events(scheduled_case)) == ["first", "second"]
    assert sent_events(other) == ["third"]
    for case in (scheduled_case, other):
        assert AuditEvent.verify_chain(case) == (True, None)
        event = case.events.get(action="notice_sent", data__key__in=["first", "third"])
        assert event.from_state == CaseState.SCHEDULED
        assert event.occurred_at == NOW
    sent = OutboxMessage.objects.filter(key__in=["first", "second", "third"])
    assert set(sent.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert all(message.message_id.startswith("<notice-") for message in sent)


def test_taken_over_claim_is_not_marked_sent(smtp_sink, scheduled_case):
    current = queue_notice(scheduled_case, "current", "access_ended", {})
    taken_over = queue_notice(scheduled_case, "taken-over", "access_ended", {})
    batch = claim_batch(10)
    # The lease ran out and another sender claimed the message again.
    OutboxMessage.objects.filter(pk=taken_over.pk).update(attempts=F("attempts") + 1)

    send_batch(batch, SendReport())

    current.refresh_from_db()
    taken_over.refresh_from_db()
    assert current.status == OutboxStatus.SENT
    assert taken_over.status == OutboxStatus.SENDING
    assert taken_over.attempts == 2
    # The delivery is recorded, so the sender with the current claim sends it to no one again.
    assert len(taken_over.delivered_to) == 1
    assert sent_events(scheduled_case) == ["current"]


def test_unreadable_account_key_fails_alone(smtp_sink, confirmed_cases):
    [good, bad] = confirmed_cases(2)
    OffboardingCase.objects.filter(pk=bad.pk).update(account_key="not-a-number")

    report = send_due_notices()

    assert report.sent == 1
    assert report.cancelled == 1
    [received] = smtp_sink.inbox.take()
    assert received["To"] == get_user_model().objects.get(pk=good.account_key).email
    cancelled = OutboxMessage.objects.get(case=bad)
    assert cancelled.cancel_reason == "the account has no contact address"


def test_adapter_account_lookup_is_used(smtp_sink, notice_settings, frozen_clock):
    notice_settings.OFFBOARDING = {
        **notice_settings.OFFBOARDING,
        "ADAPTER": "tests.notices.adapters.UsernameKeyAdapter",
    }
    frozen_clock.at(NOW)
    get_user_model().objects.create_user("alice", "alice@example.com", "pw")
    case = OffboardingCase.objects.create(
        account_key="alice",
        account_label="Alice",
        state=CaseState.SCHEDULED,
        requested_at=NOW,
        confirmed_at=NOW,
        boundary_at=NOW + timedelta(days=20),
    )
    queue_notice(case, "k", "access_ended", {})

    assert send_due_notices().sent == 1
    [received] = smtp_sink.inbox.take()
    assert received["To"] == "alice@example.com"


def test_full_run_queues_more_senders(smtp_sink, confirmed_cases, settings):
    from config.celery import app

    # One message per batch: a run sends at most 20.
    settings.OFFBOARDING = {**settings.OFFBOARDING, "NOTICE_BATCH_SIZE": 1}
    confirmed_cases(45)
    app.conf.task_always_eager = True
    try:
        tasks.send_due_notices()
    finally:
        app.conf.task_always_eager = False

    assert len(smtp_sink.inbox.take_raw()) == 45
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 45
