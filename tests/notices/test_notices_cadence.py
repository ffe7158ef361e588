"""The default cadence walked from cancel to purge against a real SMTP server on loopback."""

from __future__ import annotations

import io
import zoneinfo
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from offboarding import jobs
from offboarding.models import CaseState, OffboardingCase
from offboarding.models.notices import (
    CadenceStep,
    NoticeTrigger,
    OffsetDirection,
    OffsetUnit,
    OutboxMessage,
    OutboxStatus,
)
from offboarding.notices.cadence import DEFAULT_CADENCE, install_default_cadence
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.notices.helpers import cancel, scan_at, subscribed_user, walk

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def step_code(message) -> str:
    return message["X-Offboarding-Notice"].split("@")[0]


# Due times of the default cadence for a Berlin account that cancels on 20 October 2024
# with access until 1 November 2024, 01:00 CET and 45 days of retention.
EXPECTED_DUE = [
    ("cancellation-confirmed", utc(2024, 10, 20, 12)),
    ("access-ends-in-3-days", utc(2024, 10, 29, 0)),  # 29 October, 01:00 CET
    ("access-ended", utc(2024, 11, 1, 0)),
    ("winback-30-days", utc(2024, 12, 1, 0)),  # 30 calendar days in Berlin
    ("deletion-in-7-days", utc(2024, 12, 9, 0)),
    ("deletion-in-1-day", utc(2024, 12, 15, 0)),
    ("deletion-done", utc(2024, 12, 16, 0)),  # the purge runs when retention ends
]


def test_cancel_to_purge_sends_cadence_in_order(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("berlin", "owner@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))  # 14:00 CEST
    case = cancel(user)
    # 1 November 2024, 01:00 CET; the clocks went back on 27 October.
    assert case.boundary_at == utc(2024, 11, 1, 0)

    # Scan an hour before each due time (nothing may come early), at it, and twice after.
    moments = []
    for _, due in EXPECTED_DUE[1:]:
        moments += [due - timedelta(hours=1), due, due + timedelta(minutes=30)]
    moments += [utc(2025, 1, 30, 0), utc(2025, 2, 15, 0)]  # win-back at 90 days: purged
    received = scan_at([utc(2024, 10, 20, 12), *moments], smtp_sink.inbox)

    assert [(step_code(message), at) for at, message in received] == EXPECTED_DUE
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    messages = {step_code(message): message for _, message in received}
    for message in messages.values():
        assert message["To"] == "owner@example.com"

    confirmation = body(messages["cancellation-confirmed"])
    assert "Oct. 20, 2024, 2 p.m. CEST" in confirmation
    assert "Nov. 1, 2024, 1 a.m. CET" in confirmation
    assert "Nov. 1, 2024, 1 a.m. CET" in html(messages["cancellation-confirmed"])
    assert "Dec. 16, 2024, 1 a.m. CET" in body(messages["access-ended"])
    assert "Dec. 16, 2024, 1 a.m. CET" in body(messages["deletion-in-7-days"])
    assert "Dec. 16, 2024, 1 a.m. CET" in body(messages["deletion-done"])
    assert messages["deletion-in-1-day"]["Subject"] == "Your data will be deleted on Dec. 16, 2024"
    # The two deletion reminders tell how near the date is.
    assert "That is in 7 days." in body(messages["deletion-in-7-days"])
    assert "That is tomorrow." in body(messages["deletion-in-1-day"])
    assert "That is tomorrow." in html(messages["deletion-in-1-day"])
    # The win-back at 90 days fell after the purge: it was never queued.
    assert not OutboxMessage.objects.filter(case=case, key__startswith="winback-90-days").exists()


def test_late_deletion_reminder_counts_days_left(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("late", "late@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    cancel(user)

    # The first scan after the 7-day reminder's due time comes 3 days late, 4 days before
    # the deletion on 16 December 2024, 00:00 UTC.
    received = scan_at([utc(2024, 10, 20, 12), utc(2024, 12, 12, 0)], smtp_sink.inbox)

    messages = {step_code(message): message for _, message in received}
    reminder = messages["deletion-in-7-days"]
    assert "That is in 4 days." in body(reminder)
    assert "That is in 4 days." in html(reminder)
    assert "7 days" not in body(reminder)


def test_each_notice_is_sent_once(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("once", "once@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    case = cancel(user)

    for _ in range(3):
        jobs.scan_due_work()
    messages = smtp_sink.inbox.take()
    assert [step_code(message) for message in messages] == ["cancellation-confirmed"]
    assert OutboxMessage.objects.filter(case=case).count() == 1
    sent = OutboxMessage.objects.get(case=case)
    assert sent.status == OutboxStatus.SENT
    assert case.events.filter(action="notice_sent").count() == 1


def test_required_notices_have_no_unsubscribe(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("headers", "h@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    cancel(user)
    received = scan_at([utc(2024, 11, 1), utc(2024, 12, 1)], smtp_sink.inbox)

    by_code = {step_code(message): message for _, message in received}
    assert by_code["access-ended"]["List-Unsubscribe"] is None
    winback = by_code["winback-30-days"]
    assert (
        winback["List-Unsubscribe"]
        .strip()
        .startswith("<https://app.example.invalid/offboarding/unsubscribe/")
    )
    assert winback["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in body(winback).lower()


def test_withdrawn_case_gets_no_further_notice(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("withdrawn", "w@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 29, 12))
    case = cancel(user)
    # Queued but not sent yet: the send must notice the withdrawal and cancel it.
    from offboarding.notices.scheduling import queue_due_cadence

    queue_due_cadence()
    assert OutboxMessage.objects.filter(case=case, status=OutboxStatus.PENDING).count() == 2
    from offboarding.models import Actor

    lifecycle.withdraw(case, actor=Actor.customer(user))

    received = walk(utc(2025, 3, 1), timedelta(days=7), smtp_sink.inbox)
    assert received == []
    cancelled = OutboxMessage.objects.filter(case=case, status=OutboxStatus.CANCELLED)
    assert cancelled.count() == 2
    assert set(cancelled.values_list("cancel_reason", flat=True)) == {"the case is withdrawn"}


def test_pause_notices_follow_the_pause(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    CadenceStep.objects.create(
        code="pause-accepted",
        trigger=NoticeTrigger.PAUSE_ACCEPTED,
        offset=1,
        unit=OffsetUnit.HOURS,
        template="pause_ending",
        position=1,
    )
    frozen_clock.at(utc(2024, 1, 1, 9))
    paused_user = subscribed_user("paused", "p@example.com", since=utc(2024, 1, 1, 9))
    early_user = subscribed_user("early", "e@example.com", since=utc(2024, 1, 1, 9))
    frozen_clock.at(utc(2024, 1, 10, 9))
    from offboarding.models import Actor

    paused = lifecycle.accept_pause(
        lifecycle.open_case(paused_user, paused_user), days=30, actor=Actor.customer(paused_user)
    )
    early = lifecycle.accept_pause(
        lifecycle.open_case(early_user, early_user), days=30, actor=Actor.customer(early_user)
    )
    received = scan_at([utc(2024, 1, 10, 9, 30), utc(2024, 1, 10, 10)], smtp_sink.inbox)
    assert [at for at, _ in received] == [utc(2024, 1, 10, 10)] * 2
    assert sorted((m["To"], step_code(m)) for _, m in received) == [
        ("e@example.com", "pause-accepted"),
        ("p@example.com", "pause-accepted"),
    ]

    frozen_clock.at(utc(2024, 1, 20, 9))
    lifecycle.end_pause(early, actor=Actor.customer(early_user))
    received = scan_at(
        [utc(2024, 2, 2, 8), utc(2024, 2, 2, 9), utc(2024, 2, 9, 9), utc(2024, 2, 20)],
        smtp_sink.inbox,
    )
    # 7 days before 9 February 10:00 CET; the early resume cancelled its reminder.
    assert [(m["To"], step_code(m), at) for at, m in received] == [
        ("p@example.com", "pause-ends-in-7-days", utc(2024, 2, 2, 9)),
    ]
    assert "Feb. 9, 2024, 10 a.m. CET" in body(received[0][1])
    assert paused.pause_ends_at == utc(2024, 2, 9, 9)


def test_extended_retention_queues_reminder_again(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("extended", "x@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    case = cancel(user)
    sent_before = scan_at(
        [utc(2024, 10, 21), utc(2024, 11, 1), utc(2024, 12, 9), utc(2024, 12, 15, 12)],
        smtp_sink.inbox,
    )
    assert [step_code(m) for _, m in sent_before][-2:] == [
        "deletion-in-7-days",
        "deletion-in-1-day",
    ]
    from offboarding.models import Actor

    case.refresh_from_db()
    lifecycle.extend_retention(case, days=30, actor=Actor.system(), reason="customer asked")
    received = scan_at(
        [utc(2025, 1, 8), utc(2025, 1, 14), utc(2025, 1, 15), utc(2025, 1, 20)], smtp_sink.inbox
    )
    assert [step_code(m) for _, m in received] == [
        "deletion-in-7-days",
        "deletion-in-1-day",
        "deletion-done",
    ]
    assert "Jan. 15, 2025, 1 a.m. CET" in body(received[0][1])


def test_day_offsets_follow_the_wall_clock_across_dst():
    step = CadenceStep(
        code="x",
        trigger=NoticeTrigger.BOUNDARY_REACHED,
        direction=OffsetDirection.AFTER,
        offset=1,
        unit=OffsetUnit.DAYS,
        template="access_ended",
    )
    # 26 October 2024, 10:00 CEST -> 27 October, 10:00 CET: 25 hours later.
    assert step.due_at(utc(2024, 10, 26, 8), BERLIN) == utc(2024, 10, 27, 9)
    # 30 March 2024, 10:00 CET -> 31 March, 10:00 CEST: 23 hours later.
    assert step.due_at(utc(2024, 3, 30, 9), BERLIN) == utc(2024, 3, 31, 8)
    step.direction = OffsetDirection.BEFORE
    assert step.due_at(utc(2024, 10, 27, 9), BERLIN) == utc(2024, 10, 26, 8)
    step.unit = OffsetUnit.HOURS
    step.offset = 24
    assert step.due_at(utc(2024, 10, 27, 9), BERLIN) == utc(2024, 10, 26, 9)


def test_before_offset_on_after_only_trigger_is_invalid(db):
    step = CadenceStep(
        code="bad",
        trigger=NoticeTrigger.PURGED,
        direction=OffsetDirection.BEFORE,
        offset=1,
        template="deletion_certificate",
    )
    with pytest.raises(ValidationError) as raised:
        step.full_clean()
    assert "direction" in raised.value.message_dict


def test_default_cadence_installs_once(db):
    assert install_default_cadence() == len(DEFAULT_CADENCE)
    step = CadenceStep.objects.get(code="winback-90-days")
    step.active = False
    step.save()
    assert install_default_cadence() == 0
    assert CadenceStep.objects.count() == len(DEFAULT_CADENCE)
    assert CadenceStep.objects.get(code="winback-90-days").active is False
    assert not CadenceStep.objects.get(code="winback-30-days").required


def test_cases_still_open_at_start_are_untouched(
    notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("requested", "r@example.com", since=utc(2024, 10, 1, 0))
    case = lifecycle.open_case(user, user)
    jobs.scan_due_work()
    assert not OutboxMessage.objects.filter(case=case).exists()
    assert OffboardingCase.objects.get(pk=case.pk).state == CaseState.REQUESTED


def test_notice_uses_account_language(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user(
        "deutsch", "de@example.com", since=utc(2024, 10, 1, 0), zone="Europe/Berlin", language="de"
    )
    frozen_clock.at(utc(2024, 10, 20, 12))
    cancel(user)
    [(_, message)] = scan_at([utc(2024, 10, 20, 12)], smtp_sink.inbox)
    # Month names come from the account's language, the zone from its time zone.
    assert "20. Oktober 2024 14:00 CEST" in body(message)
    assert "1. November 2024 01:00 CET" in body(message)


def test_other_zone_shows_its_own_dates(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user(
        "newyork", "ny@example.com", since=utc(2024, 10, 1, 0), zone="America/New_York"
    )
    frozen_clock.at(utc(2024, 10, 20, 12))
    cancel(user)
    [(_, message)] = scan_at([utc(2024, 10, 20, 12)], smtp_sink.inbox)
    assert "Oct. 31, 2024, 8 p.m. EDT" in body(message)


def test_cadence_admin_rejects_before_on_purge(admin_client):
    response = admin_client.post(
        "/admin/offboarding/cadencestep/add/",
        {
            "code": "early-deletion-done",
            "active": "on",
            "position": 1,
            "trigger": "purged",
            "direction": "before",
            "offset": 2,
            "unit": "days",
            "template": "deletion_certificate",
            "required": "on",
        },
    )
    assert response.status_code == 200
    assert not CadenceStep.objects.filter(code="early-deletion-done").exists()
    assert admin_client.get("/admin/offboarding/cadencestep/").status_code == 200
    assert admin_client.get("/admin/offboarding/outboxmessage/").status_code == 200
    assert admin_client.get("/admin/offboarding/noticeunsubscribe/").status_code == 200


def test_setup_command_installs_cadence_and_schedule(db):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("offboarding_setup", stdout=io.StringIO())
    call_command("offboarding_setup", stdout=io.StringIO())
    assert CadenceStep.objects.count() == len(DEFAULT_CADENCE)
    task = PeriodicTask.objects.get(task="offboarding.send_due_notices")
    assert task.enabled
    assert task.interval.every == 60
