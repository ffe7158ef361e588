"""The outbox: queue_notice, retries while the SMTP server is down, failures, silence, resend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from offboarding import clock, jobs
from offboarding.models import Actor, CaseState, OffboardingCase
from offboarding.models.notices import (
    CadenceStep,
    CaseNoticeProfile,
    NoticeTrigger,
    OutboxMessage,
    OutboxStatus,
)
from offboarding.notices.api import queue_notice, renewal_notice_allowed
from offboarding.notices.sending import send_due_notices
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.notices.helpers import cancel, scan_at, subscribed_user, walk


def keys(messages) -> list[str]:
    return [message["X-Offboarding-Notice"] for message in messages]


@pytest.fixture
def scheduled_case(notice_settings, frozen_clock, monthly_plan):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("owner", "owner@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    return cancel(user)


def test_queue_notice_twice_queues_one(smtp_sink, scheduled_case):
    first = queue_notice(scheduled_case, "final-invoice", "access_ended", {"invoice_number": "1"})
    second = queue_notice(scheduled_case, "final-invoice", "access_ended", {"invoice_number": "2"})
    assert first.pk == second.pk
    assert second.context == {"invoice_number": "1"}

    report = send_due_notices()
    assert report.sent == 1
    assert keys(smtp_sink.inbox.take()) == ["final-invoice"]
    assert send_due_notices().sent == 0
    assert smtp_sink.inbox.take() == []


@pytest.mark.parametrize(
    ("key", "template", "attachments"),
    [
        ("", "access_ended", ()),
        ("k" * 121, "access_ended", ()),
        ("line\nBcc: x@example.invalid", "access_ended", ()),
        ("ok", "../secrets", ()),
        ("ok", "Access-Ended", ()),
        ("ok", "access_ended", [("a.pdf", "x.pdf")]),
        ("ok", "access_ended", [("dir/a.pdf", "x.pdf", "application/pdf")]),
    ],
)
def test_queue_notice_rejects_bad_input(scheduled_case, key, template, attachments):
    with pytest.raises(ValueError):
        queue_notice(scheduled_case, key, template, {}, attachments=attachments)
    assert not OutboxMessage.objects.exists()


def test_queue_notice_rejects_unstorable_context(scheduled_case):
    with pytest.raises(ValueError, match="not object"):
        queue_notice(scheduled_case, "ok", "access_ended", {"value": object()})
    assert not OutboxMessage.objects.exists()


def test_context_dates_render_in_account_zone(smtp_sink, scheduled_case, settings):
    queue_notice(
        scheduled_case,
        "dated",
        "final_invoice",
        {
            "invoice_number": "2024-0001",
            "invoice_date": utc(2024, 10, 31, 23, 30),
            "closed_items": [],
            "invoice_total": "0.00 EUR",
            "invoice_paid": "0.00 EUR",
            "invoice_balance": "0.00 EUR",
        },
    )
    send_due_notices()
    [message] = smtp_sink.inbox.take()
    text = message.get_body(preferencelist=("plain",)).get_content()
    # 23:30 UTC on 31 October is 1 November in Berlin.
    assert "Nov. 1, 2024" in text or "1 November 2024" in text


def test_attachment_is_read_from_storage_when_sent(smtp_sink, scheduled_case, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    storage = storages["default"]
    name = storage.save("certificates/c1.json", ContentFile(b'{"version": 1}'))
    queue_notice(
        scheduled_case,
        "certificate",
        "deletion_certificate",
        {"certificate_number": "C-1"},
        attachments=[("certificate.json", name, "application/json")],
    )
    storage.delete(name)
    storage.save(name, ContentFile(b'{"version": 2}'))

    send_due_notices()
    [message] = smtp_sink.inbox.take()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "certificate.json"
    assert attachment.get_content() in ('{"version": 2}', b'{"version": 2}')


def test_smtp_outage_delays_but_loses_nothing(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    users = [
        subscribed_user(f"user{index}", f"user{index}@example.com", since=utc(2024, 10, 1, 0))
        for index in range(3)
    ]
    frozen_clock.at(utc(2024, 10, 20, 12))
    cases = [cancel(user) for user in users]

    smtp_sink.stop()
    report = jobs.scan_due_work()
    assert report.counts["notices_queued"] == 3
    assert report.counts["notices_retried"] == 3
    waiting = OutboxMessage.objects.filter(case__in=cases)
    assert set(waiting.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    assert set(waiting.values_list("attempts", flat=True)) == {1}
    assert all(message.last_error for message in waiting)
    assert all(
        message.next_attempt_at > timezone.now() + timedelta(seconds=50) for message in waiting
    )

    # Backoff: a second attempt before the retry time sends nothing, even with the server up.
    smtp_sink.start()
    assert jobs.scan_due_work().counts["notices_sent"] == 0
    assert smtp_sink.inbox.take() == []

    # The server was down for 30 s; instead of waiting, move the retry time to now.
    waiting.update(next_attempt_at=timezone.now())
    assert jobs.scan_due_work().counts["notices_sent"] == 3
    received = smtp_sink.inbox.take()
    assert sorted(message["To"] for message in received) == [
        "user0@example.com",
        "user1@example.com",
        "user2@example.com",
    ]
    assert set(waiting.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert jobs.scan_due_work().counts["notices_sent"] == 0
    assert smtp_sink.inbox.take() == []


def test_retry_delay_doubles(smtp_sink, scheduled_case):
    queue_notice(scheduled_case, "k", "access_ended", {})
    smtp_sink.stop()
    message = OutboxMessage.objects.get()
    delays = []
    for _ in range(3):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        send_due_notices()
        message.refresh_from_db()
        delays.append((message.next_attempt_at - before).total_seconds())
    assert 59 <= delays[0] <= 61
    assert 119 <= delays[1] <= 121
    assert 239 <= delays[2] <= 241


def test_failed_notice_is_flagged_and_resent_from_admin(
    smtp_sink, scheduled_case, settings, admin_client
):
    settings.OFFBOARDING = {**settings.OFFBOARDING, "NOTICE_MAX_ATTEMPTS": 2}
    message = queue_notice(scheduled_case, "k", "access_ended", {})
    smtp_sink.stop()
    for _ in range(2):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        send_due_notices()
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert scheduled_case.events.filter(action="notice_failed").count() == 1

    listing = admin_client.get(
        reverse("admin:offboarding_outboxmessage_changelist"), {"status__exact": "failed"}
    )
    assert listing.status_code == 200
    assert "Connection" in listing.content.decode() or "refused" in listing.content.decode()

    smtp_sink.start()
    response = admin_client.post(
        reverse("admin:offboarding_outboxmessage_changelist"),
        {"action": "send_again", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    resent = scheduled_case.events.get(action="notice_resend_requested")
    assert resent.actor_kind == "staff"
    assert send_due_notices().sent == 1
    assert keys(smtp_sink.inbox.take()) == ["k"]


def test_resend_needs_permission(scheduled_case, client, django_user_model):
    message = queue_notice(scheduled_case, "k", "access_ended", {})
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED)
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    client.post(
        reverse("admin:offboarding_outboxmessage_changelist"),
        {"action": "send_again", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert not scheduled_case.events.filter(action="notice_resend_requested").exists()


def test_no_renewal_notice_during_pending_cancellation(smtp_sink, scheduled_case):
    assert not renewal_notice_allowed(scheduled_case.account_key)
    queue_notice(scheduled_case, "renewal-2024-11", "renewal", {})
    send_due_notices()
    assert smtp_sink.inbox.take() == []
    message = OutboxMessage.objects.get(key="renewal-2024-11")
    assert message.status == OutboxStatus.CANCELLED
    assert message.cancel_reason == "no renewal notice while a cancellation is pending"


def test_renewal_allowed_after_withdrawal(scheduled_case):
    user = get_user_model().objects.get(pk=scheduled_case.account_key)
    lifecycle.withdraw(scheduled_case, actor=Actor.customer(user))
    assert renewal_notice_allowed(scheduled_case.account_key)
    assert renewal_notice_allowed("no-such-account")


def test_direct_notice_replaces_cadence_message(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("cert", "c@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    case = cancel(user)
    scan_at([utc(2024, 11, 1)], smtp_sink.inbox)
    clock.freeze(utc(2024, 12, 16))
    # Purge and queue the cadence without sending; then the certificate part queues its own.
    from offboarding.notices.scheduling import queue_due_cadence

    case.refresh_from_db()
    lifecycle.start_purge(case)
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    queue_due_cadence()
    cadence_message = OutboxMessage.objects.get(case=case, template="deletion_certificate")
    queue_notice(case, "certificate", "deletion_certificate", {"certificate_number": "C-7"})
    cadence_message.refresh_from_db()
    assert cadence_message.status == OutboxStatus.CANCELLED
    send_due_notices()
    received = smtp_sink.inbox.take()
    assert keys(received) == ["certificate"]
    assert "C-7" in received[0].get_body(preferencelist=("plain",)).get_content()


def test_purged_account_gets_nothing_for_60_days(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    CadenceStep.objects.create(
        code="winback-120-days",
        trigger=NoticeTrigger.WINBACK,
        offset=120,
        template="winback",
        required=False,
        position=200,
    )
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("gone", "gone@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    case = cancel(user)
    scan_at([utc(2024, 11, 1), utc(2024, 12, 16)], smtp_sink.inbox)
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert keys(smtp_sink.inbox.take()) == []
    # The purge removed the account's rows; the notices part must not need them.
    get_user_model().objects.filter(pk=user.pk).delete()

    clock.freeze(case.purged_at + timedelta(days=60))
    smtp_sink.inbox.take()
    queue_notice(case, "late-offer", "winback", {}, required=False)
    queue_notice(case, "late-invoice", "access_ended", {})
    # Every 3 days, which lands on 1 March 2025, the 120-day win-back's due date.
    received = walk(clock.now() + timedelta(days=60), timedelta(days=3), smtp_sink.inbox)

    assert received == []
    assert set(
        OutboxMessage.objects.filter(key__startswith="late-").values_list(
            "cancel_reason", flat=True
        )
    ) == {"after a purge only the deletion certificate is sent"}
    assert not OutboxMessage.objects.filter(case=case, key__startswith="winback-").exists()
    # The copied contacts are erased once nothing is left to send.
    assert CaseNoticeProfile.objects.get(case=case).emails == []


def test_deletion_notice_reaches_purged_account(
    smtp_sink, notice_settings, frozen_clock, monthly_plan, default_cadence
):
    frozen_clock.at(utc(2024, 10, 1, 0))
    user = subscribed_user("purged", "purged@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    case = cancel(user)
    scan_at([utc(2024, 11, 1)], smtp_sink.inbox)
    smtp_sink.inbox.take()
    clock.freeze(utc(2024, 12, 16))
    case.refresh_from_db()
    lifecycle.start_purge(case)
    get_user_model().objects.filter(pk=user.pk).delete()

    jobs.scan_due_work()
    received = smtp_sink.inbox.take()
    assert keys(received) == ["deletion-done@20241216T000000Z"]
    assert received[0]["To"] == "purged@example.com"
    assert OffboardingCase.objects.get(pk=case.pk).state == CaseState.PURGED


def test_message_delivered_before_crash_is_not_resent(smtp_sink, scheduled_case):
    from offboarding.notices.recipients import contact_digest

    message = queue_notice(scheduled_case, "k", "access_ended", {})
    # A sender delivered to the only contact, then died before it marked the message sent.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING,
        attempts=1,
        next_attempt_at=timezone.now(),
        delivered_to=[contact_digest("owner@example.com")],
    )
    assert send_due_notices().sent == 1
    assert smtp_sink.inbox.take() == []
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
