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
