"""The notices API other parts call: queue one message for a case."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from offboarding import clock
from offboarding.models import CaseState, OffboardingCase
from offboarding.models.notices import TEMPLATE_NAME_PATTERN, OutboxMessage, OutboxStatus
from offboarding.notices import context as context_codec

logger = logging.getLogger(__name__)

# The one notice that may still go out after a purge: the proof that the data is gone.
DELETION_CERTIFICATE = "deletion_certificate"

MAX_KEY_LENGTH = 120

# States in which a renewal notice would contradict what the customer decided.
NO_RENEWAL_STATES = [CaseState.SCHEDULED, CaseState.ENDED, CaseState.VAULTED, CaseState.PURGED]


def queue_notice(
    case: OffboardingCase,
    key: str,
    template: str,
    context: dict[str, Any],
    *,
    required: bool = True,
    attachments: Iterable[tuple[str, str, str]] = (),
) -> OutboxMessage:
    """Queue one message to the case's contacts, once per (case, key); return its row.

    Calling it again with the same key returns the first row unchanged. ``attachments``
    are (filename, name in the ``STORAGE_ALIAS`` storage, MIME type) and are read when
    the message is sent. A pending cadence message with the same template is cancelled,
    because the part that queues a notice directly adds its own context and attachments
    (the deletion certificate, for one). Bad input raises ValueError and queues nothing.
    """
    _validate(key, template)
    stored_context = context_codec.encode(dict(context))
    stored_attachments = _validated_attachments(attachments)
    now = clock.now()

    with transaction.atomic():
        message, created = OutboxMessage.objects.get_or_create(
            case=case,
            key=key,
            defaults={
                "template": template,
                "context": stored_context,
                "attachments": stored_attachments,
                "required": required,
                "due_at": now,
                "next_attempt_at": timezone.now(),
            },
        )
        if created:
            _supersede_cadence_messages(message)
    if created:
        logger.info("Notice %s queued for case %s", message.pk, case.public_id)
        transaction.on_commit(_wake_sender)
    return message


def renewal_notice_allowed(account_key: str) -> bool:
    """Return whether a renewal notice may go to the account: no pending cancellation."""
    latest = OffboardingCase.objects.for_account(account_key).order_by("-requested_at", "-pk")
    state = latest.values_list("state", "saved_as", "closed_at").first()
    if state is None:
        return True
    case_state, saved_as, closed_at = state
    paused = case_state == CaseState.SAVED and saved_as == "paused" and closed_at is None
    return case_state not in NO_RENEWAL_STATES and not paused


def _validate(key: str, template: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"A notice key must be 1 to {MAX_KEY_LENGTH} characters, got {key!r}.")
    if not key.isprintable():
        # The key goes into a mail header, where a line break would start a new header.
        raise ValueError(f"A notice key may not contain control characters, got {key!r}.")
    if not isinstance(template, str) or not re.fullmatch(TEMPLATE_NAME_PATTERN, template):
        raise ValueError(
            f"Invalid notice template name {template!r}: use lower-case letters, digits and "
            "underscores, e.g. final_invoice."
        )


def _validated_attachments(attachments: Iterable[tuple[str, str, str]]) -> list[list[str]]:
    checked = []
    for attachment in attachments:
        if len(attachment) != 3 or not all(isinstance(part, str) and part for part in attachment):
            raise ValueError(
                f"An attachment must be (filename, storage name, MIME type), got {attachment!r}."
            )
        filename, name, mimetype = attachment
        if "/" in filename or "\\" in filename:
            raise ValueError(f"An attachment filename may not contain a path: {filename!r}.")
        checked.append([filename, name, mimetype])
    return checked


def _supersede_cadence_messages(message: OutboxMessage) -> None:
    superseded = (
        OutboxMessage.objects.filter(
            case_id=message.case_id,
            template=message.template,
            step__isnull=False,
            status=OutboxStatus.PENDING,
        )
        .exclude(pk=message.pk)
        .update(status=OutboxStatus.CANCELLED, cancel_reason=f"replaced by {message.key}"[:200])
    )
    if superseded:
        logger.info("Notice %s replaced cadence messages: %s", message.pk, superseded)


def _wake_sender() -> None:
    """Ask a worker to send now; the next scheduled send picks the message up otherwise."""
    from offboarding import tasks

    try:
        tasks.send_due_notices.delay()
    except Exception:  # A broker that is down must not fail the caller.
        logger.warning("Could not queue a notice send; the next scheduled send runs it")
