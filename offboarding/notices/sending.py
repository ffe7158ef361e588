"""Sending the outbox: claim due messages with a lease, check they still apply, send, record.

Senders claim a batch with ``SELECT ... FOR UPDATE SKIP LOCKED`` and mark it ``sending``
with a lease, so several senders never take the same message. A message is marked sent
only by the sender whose claim is still current. A sender killed after the SMTP server
accepted a message but before it recorded the send leaves the message to be sent again
when the lease ends. So delivery is at least once at that one point. The Message-ID
header stays the same, so receivers can tell the copies apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import django
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import Actor, AuditEvent, CaseState, OffboardingCase
from offboarding.models.notices import CadenceStep, OutboxMessage, OutboxStatus
from offboarding.notices.api import DELETION_CERTIFICATE, renewal_notice_allowed
from offboarding.notices.recipients import (
    Recipients,
    contact_digest,
    recipients_of,
    recipients_of_many,
)
from offboarding.notices.rendering import build_email, read_attachments
from offboarding.notices.triggers import TRIGGERS, step_applies
from offboarding.notices.unsubscribe import unsubscribed_contacts

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "notices_sent": self.sent,
            "notices_retried": self.retried,
            "notices_failed": self.failed,
            "notices_cancelled": self.cancelled,
        }


def claim_batch(size: int) -> list[OutboxMessage]:
    """Claim up to ``size`` due messages for this sender and return them."""
    now = timezone.now()
    lease_end = now + app_settings.NOTICE_LEASE
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], next_attempt_at__lte=now
        )
        messages = list(
            due.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk")[:size]
        )
        if not messages:
            return []
        OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(
            status=OutboxStatus.SENDING, next_attempt_at=lease_end, attempts=F("attempts") + 1
        )
    for message in messages:
        message.status = OutboxStatus.SENDING
        message.next_attempt_at = lease_end
        message.attempts += 1
    return messages


def send_due_notices(max_messages: int | None = None) -> SendReport:
    """Send due outbox messages in claimed batches until none is due or the limit is hit."""
    report = SendReport()
    size = int(app_settings.NOTICE_BATCH_SIZE)
    handled = 0
    while max_messages is None or handled < max_messages:
        batch = claim_batch(size if max_messages is None else min(size, max_messages - handled))
        if not batch:
            break
        send_batch(batch, report)
        handled += len(batch)
    if handled:
        logger.info(
            "Notices: %s sent, %s to retry, %s failed, %s cancelled",
            report.sent,
            report.retried,
            report.failed,
            report.cancelled,
        )
    return report


def send_batch(messages: list[OutboxMessage], report: SendReport) -> None:
    """Send claimed messages over one connection, then mark the delivered ones sent.

    Each message's delivered contacts are recorded right after its send, so a sender
    killed in the middle of a batch re-sends none of them. The sent status and the audit
    events of the whole batch are written in one transaction at its end.
    """
    cases = OffboardingCase.objects.select_related("notice_profile").in_bulk(
        {message.case_id for message in messages}
    )
    steps = CadenceStep.objects.in_bulk({message.step_id for message in messages} - {None})
    for message in messages:
        message.step = steps.get(message.step_id)
    now = clock.now()
    out_of_state = _cases_out_of_state(messages)
    recipients = _batch_recipients(cases)
    optional_accounts = {cases[m.case_id].account_key for m in messages if not m.required}
    unsubscribed = unsubscribed_contacts(optional_accounts) if optional_accounts else set()
    delivered: list[OutboxMessage] = []
    connection = None
    try:
        for message in messages:
            case = cases[message.case_id]
            reason = refusal(message, case, now, in_state=message.pk not in out_of_state)
            if reason:
                _cancel(message, reason, report)
                continue
            try:
                connection = connection or _open_connection()
                case_recipients = recipients.get(case.pk) or recipients_of(case)
                if _deliver(message, case, case_recipients, unsubscribed, connection, report):
                    delivered.append(message)
            except Exception as error:
                logger.warning(
                    "Notice %s of case %s not sent (attempt %s): %s",
                    message.pk,
                    case.public_id,
                    message.attempts,
                    type(error).__name__,
                )
                _record_failure(message, case, error, report)
                # The connection may be broken; the next message opens a new one.
                _close(connection)
                connection = None
    finally:
        _close(connection)
        _mark_sent(delivered, now, report)


def _batch_recipients(cases: dict[int, OffboardingCase]) -> dict[int, Recipients]:
    """Return the recipients of the batch's cases, or {} when reading them together fails.

    With {} each message reads its own recipients, so an account that cannot be read
    fails (and is retried) alone instead of holding up the whole batch.
    """
    try:
        return recipients_of_many(cases.values())
    except Exception as error:
        logger.warning(
            "Reading the recipients of a batch of cases failed (cases: %s), reading them one by one: %s",
            len(cases),
            type(error).__name__,
        )
        return {}


def _cases_out_of_state(messages: list[OutboxMessage]) -> set[int]:
    """Return the ids of cadence messages whose case left the step's states, one query per step."""
    by_step: dict[CadenceStep, list[OutboxMessage]] = {}
    for message in messages:
        if message.step is not None:
            by_step.setdefault(message.step, []).append(message)
    out: set[int] = set()
    for step, step_messages in by_step.items():
        condition = TRIGGERS[step.trigger].condition(step.direction)
        in_state = set()
        if condition is not None:
            in_state = set(
                OffboardingCase.objects.filter(
                    condition, pk__in={message.case_id for message in step_messages}
                ).values_list("pk", flat=True)
            )
        out.update(message.pk for message in step_messages if message.case_id not in in_state)
    return out


def refusal(
    message: OutboxMessage, case: OffboardingCase, now: Any, *, in_state: bool | None = None
) -> str:
    """Return why ``message`` must not be sent any more, or ``""`` when it may go out.

    ``in_state`` tells whether the case is in its cadence step's states, when the caller
    already queried that for a whole batch.
    """
    if case.state == CaseState.PURGED and message.template != DELETION_CERTIFICATE:
        return "after a purge only the deletion certificate is sent"
    if message.template in app_settings.NOTICE_RENEWAL_TEMPLATES and not renewal_notice_allowed(
        case.account_key
    ):
        return "no renewal notice while a cancellation is pending"
    if message.anchor_at is None:
        return ""
    if message.step is None:
        return "its cadence step was deleted"
    if not message.step.active:
        return "its cadence step is switched off"
    return step_applies(case, message.step, now, message.anchor_at, in_state=in_state)


def _deliver(
    message: OutboxMessage,
    case: OffboardingCase,
    recipients: Recipients,
    unsubscribed: set[tuple[str, str]],
    connection: Any,
    report: SendReport,
) -> bool:
    """Send ``message`` to each contact it has not reached yet.

    Returns whether the message is to be marked sent; a message left with no contact
    is cancelled instead.
    """
    contacts = _contacts_to_send(message, case, recipients, unsubscribed)
    if not contacts and message.delivered_to:
        # A sender stopped after the last contact got it and before marking it sent.
        return True
    if not contacts:
        why = "the account has no contact address"
        if recipients.emails:
            why = "every contact unsubscribed from optional notices"
        _cancel(message, why, report)
        return False

    attachments = read_attachments(message)
    delivered = list(message.delivered_to)
    # Message-IDs of contacts reached by an earlier attempt are kept with the new ones.
    message_ids = message.message_id.split() if message.delivered_to else []
    try:
        for email in contacts:
            mail = build_email(message, case, recipients, email, attachments)
            connection.send_messages([mail])
            delivered.append(contact_digest(email))
            message_ids.append(mail.extra_headers["Message-ID"])
    finally:
        if delivered != message.delivered_to:
            message.delivered_to = delivered
            message.message_id = " ".join(message_ids)[:200]
            OutboxMessage.objects.filter(pk=message.pk).update(
                delivered_to=delivered, message_id=message.message_id
            )
    return True


def _contacts_to_send(
    message: OutboxMessage,
    case: OffboardingCase,
    recipients: Recipients,
    unsubscribed: set[tuple[str, str]],
) -> list[str]:
    done = set(message.delivered_to)
    contacts = [email for email in recipients.emails if contact_digest(email) not in done]
    if not message.required:
        contacts = [
            email
            for email in contacts
            if (case.account_key, contact_digest(email)) not in unsubscribed
        ]
    return contacts


def _current(message: OutboxMessage):
    """Select the message's row if this sender's claim on it is still the current one."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.SENDING, attempts=message.attempts
    )


def _mark_sent(messages: list[OutboxMessage], now: Any, report: SendReport) -> None:
    """Mark delivered messages sent and audit each on its case, in one transaction.

    Only messages whose claim is still this sender's are marked and audited. The others
    belong to a sender that claimed them again after this sender's lease ended.
    """
    if not messages:
        return
    with transaction.atomic():
        # Cases are locked in id order and before their messages, as in _record_failure,
        # so senders whose batches share a case cannot deadlock.
        locked = OffboardingCase.objects.select_for_update().filter(
            pk__in={message.case_id for message in messages}
        )
        cases = {case.pk: case for case in locked.order_by("pk")}
        current = _mark_current_sent(messages, now)
        # The audit trail proves which notice went out when.
        AuditEvent.append_many(
            [
                _sent_event(cases[message.case_id], message, now)
                for message in messages
                if message.pk in current
            ]
        )
    report.sent += len(messages)


def _sent_event(case: OffboardingCase, message: OutboxMessage, now: Any) -> AuditEvent:
    actor = Actor.system()
    return AuditEvent(
        case=case,
        action="notice_sent",
        from_state=case.state,
        to_state=case.state,
        actor_kind=actor.kind,
        actor_id=actor.user_id,
        data={
            "key": message.key,
            "template": message.template,
            "contacts": len(message.delivered_to),
        },
        occurred_at=now,
    )


def _mark_current_sent(messages: list[OutboxMessage], now: Any) -> set[int]:
    """Mark sent the messages whose claim is still this sender's; return their ids."""
    by_attempt: dict[int, list[int]] = {}
    for message in messages:
        by_attempt.setdefault(message.attempts, []).append(message.pk)
    current: set[int] = set()
    for attempts, ids in by_attempt.items():
        claimed = OutboxMessage.objects.filter(
            pk__in=ids, status=OutboxStatus.SENDING, attempts=attempts
        )
        still_claimed = set(claimed.select_for_update().values_list("pk", flat=True))
        if still_claimed:
            claimed.filter(pk__in=still_claimed).update(
                status=OutboxStatus.SENT, sent_at=now, last_error=""
            )
        current |= still_claimed
    return current


def _cancel(message: OutboxMessage, reason: str, report: SendReport) -> None:
    _current(message).update(status=OutboxStatus.CANCELLED, cancel_reason=reason[:200])
    logger.info("Notice %s cancelled: %s", message.pk, reason)
    report.cancelled += 1


def _record_failure(
    message: OutboxMessage, case: OffboardingCase, error: Exception, report: SendReport
) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= app_settings.NOTICE_MAX_ATTEMPTS:
        with transaction.atomic():
            # The case first, the order _mark_sent locks in.
            OffboardingCase.objects.select_for_update().filter(pk=case.pk).exists()
            if _current(message).update(status=OutboxStatus.FAILED, last_error=text):
                case.record(
                    "notice_failed",
                    actor=Actor.system(),
                    reason=text,
                    data={"key": message.key, "attempts": message.attempts},
                )
        logger.error(
            "Notice %s of case %s failed for good, attempts: %s",
            message.pk,
            case.public_id,
            message.attempts,
        )
        report.failed += 1
        return

    delay = min(app_settings.NOTICE_RETRY_DELAY * (2 ** (message.attempts - 1)), MAX_RETRY_DELAY)
    _current(message).update(
        status=OutboxStatus.PENDING, last_error=text, next_attempt_at=timezone.now() + delay
    )
    report.retried += 1


def _open_connection() -> Any:
    if django.VERSION >= (6, 1):
        # Django 6.1 deprecates get_connection(). Its default mailer is built from
        # settings.MAILERS, or from the EMAIL_* settings when MAILERS is not set.
        from django.core.mail import mailers

        connection = mailers.default
    else:
        connection = get_connection(fail_silently=False)
    connection.open()
    return connection


def _close(connection: Any) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # Closing a broken connection must not hide the send's outcome.
        logger.warning("Closing the mail connection failed", exc_info=True)


def resend(message: OutboxMessage, *, actor: Actor) -> None:
    """Queue a failed, cancelled or sent message again, for staff; audited on the case."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk,
            status__in=[OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.SENT],
        ).update(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            delivered_to=[],
            cancel_reason="",
            last_error="",
        )
        if not updated:
            raise ValueError(
                f"Notice {message.pk} is {message.status}; only a failed, cancelled "
                "or sent notice can be sent again."
            )
        message.case.record(
            "notice_resend_requested",
            actor=actor,
            data={"key": message.key, "previous_status": message.status},
        )
    logger.info("Notice %s queued again by staff", message.pk)
