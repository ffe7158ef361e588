"""Celery tasks: thin wrappers that take ids and call the same core as the commands."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="offboarding.scan_due_work", ignore_result=True)
def scan_due_work() -> dict[str, int]:
    """Scheduled by beat: move every due case on and run pending steps."""
    from offboarding import jobs

    return jobs.scan_due_work().counts


@shared_task(name="offboarding.run_case_steps", ignore_result=True)
def run_case_steps(case_id: int) -> int:
    """Run the due steps of one case now, queued when a transition commits."""
    from offboarding import steps

    return steps.run_pending_steps(limit=50, case_id=case_id)


@shared_task(name="offboarding.send_due_notices", ignore_result=True)
def send_due_notices() -> dict[str, int]:
    """Queue the due cadence notices and send the outbox; safe in several workers at once.

    A run sends at most ``NOTICE_BATCH_SIZE * 20`` messages, so a worker returns to
    queueing the cadence between large batches. A run that reaches this limit queues two
    more runs, so a backlog spreads over all workers within a few runs instead of waiting
    for the schedule. Only a run that handled a full share queues more, so a backlog of
    B messages adds about 2 * B / share runs, most of which find nothing left and stop.
    """
    from offboarding.conf import app_settings
    from offboarding.notices.jobs import process_due_notices

    limit = int(app_settings.NOTICE_BATCH_SIZE) * 20
    counts = process_due_notices(max_messages=limit)
    handled = sum(counts[name] for name in NOTICE_OUTCOMES)
    if handled >= limit:
        _queue_notice_senders(2)
    return counts


# Every claimed message ends in exactly one of these counts of a send run.
NOTICE_OUTCOMES = ("notices_sent", "notices_retried", "notices_failed", "notices_cancelled")


def _queue_notice_senders(count: int) -> None:
    try:
        for _ in range(count):
            send_due_notices.delay()
    except Exception:  # A broker that is down must not fail a run that sent its messages.
        logger.warning("Could not queue more notice senders; the next scheduled send runs")


@shared_task(bind=True, name="offboarding.export_account", ignore_result=True, max_retries=None)
def export_account(self, export_id: int) -> None:
    """Build one data export; a failed attempt is retried with a doubling delay."""
    from offboarding.exports import service
    from offboarding.models import DataExport

    try:
        service.run_export(export_id)
    except Exception as error:
        export = DataExport.objects.filter(pk=export_id).only("status", "next_attempt_at").first()
        if export is None or export.status != "requested" or export.next_attempt_at is None:
            return  # Failed for good (recorded and flagged for staff), or deleted.
        from django.utils import timezone

        countdown = max(0.0, (export.next_attempt_at - timezone.now()).total_seconds())
        raise self.retry(exc=error, countdown=countdown) from error
