"""The notices' share of the due-work scan: queue the due cadence, send the outbox."""

from __future__ import annotations

from offboarding.notices.recipients import forget_purged_contacts
from offboarding.notices.scheduling import queue_due_cadence
from offboarding.notices.sending import send_due_notices


def process_due_notices(max_messages: int | None = None) -> dict[str, int]:
    """Queue due cadence notices, send due outbox messages, erase contacts no longer needed.

    Safe to run in several processes at once; returns counts for the scan report.
    """
    counts = {"notices_queued": queue_due_cadence()}
    counts.update(send_due_notices(max_messages).as_counts())
    counts["notice_contacts_erased"] = forget_purged_contacts()
    return counts
