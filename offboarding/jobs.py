"""The due-work scan: find cases whose moment has come and move each on exactly once.

Each kind of due work is one indexed query (a partial index per kind, so the scan stays
a short range read however many closed cases exist). A case is claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` inside its own transaction, so several workers scan
at once without waiting on each other, and the transition it makes takes it out of the
query, so no worker repeats it. On SQLite, which has no row locks, the immediate
transaction mode serialises writers to the same effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from offboarding import clock, steps
from offboarding.conf import app_settings
from offboarding.models import IllegalTransition, OffboardingCase
from offboarding.services import lifecycle

logger = logging.getLogger(__name__)


@dataclass
class ScanReport:
    """How many cases each kind of due work moved on in one scan."""

    counts: dict[str, int] = field(default_factory=dict)
    failures: int = 0

    def __str__(self) -> str:
        parts = [f"{name}={count}" for name, count in self.counts.items()]
        return ", ".join(parts + [f"failures={self.failures}"])


def _due_kinds() -> list[tuple[str, Callable, str, Callable]]:
    """(name, queryset factory, order field, action) for each kind of due work."""
    return [
        (
            "boundaries",
            lambda now: OffboardingCase.objects.boundary_due(now),
            "boundary_at",
            lifecycle.reach_boundary,
        ),
        (
            "pauses",
            lambda now: OffboardingCase.objects.pause_due(now),
            "pause_ends_at",
            _end_pause,
        ),
        (
            "purges",
            lambda now: OffboardingCase.objects.due_for_purge(now),
            "retention_ends_at",
            lifecycle.start_purge,
        ),
        (
            "vault_boundaries",
            lambda now: OffboardingCase.objects.vault_boundary_due(now),
            "boundary_at",
            lifecycle.reach_boundary_in_vault,
        ),
        (
            "abandoned",
            lambda now: OffboardingCase.objects.abandon_due(now, app_settings.ABANDON_AFTER),
            "requested_at",
            lifecycle.abandon,
        ),
    ]


def _end_pause(case: OffboardingCase) -> OffboardingCase:
    from offboarding.models import Actor

    return lifecycle.end_pause(case, actor=Actor.system())


def claim_one(queryset_for: Callable, order_field: str, action: Callable) -> bool | None:
    """Claim the first due case, act on it in the same transaction; None when none is due.

    Returns True when the action ran, False when it was refused (the case is left as it
    was and logged), None when nothing was due.
    """
    now = clock.now()
    with transaction.atomic():
        case = (
            queryset_for(now)
            .select_for_update(skip_locked=True)
            .order_by(order_field, "pk")
            .first()
        )
        if case is None:
            return None
        try:
            with transaction.atomic():
                action(case)
        except IllegalTransition as refusal:
            logger.warning("Due case %s skipped: %s", case.public_id, refusal.why)
            return False
    return True


def scan_due_work(limit: int | None = None, *, run_steps: bool = True) -> ScanReport:
    """Move every due case on (up to ``limit`` per kind) and run pending steps."""
    limit = limit or app_settings.SCAN_BATCH_SIZE
    report = ScanReport()
    for name, queryset_for, order_field, action in _due_kinds():
        done = 0
        for _ in range(limit):
            outcome = claim_one(queryset_for, order_field, action)
            if outcome is None:
                break
            if outcome:
                done += 1
            else:
                report.failures += 1
        report.counts[name] = done
    if run_steps:
        report.counts["steps"] = steps.run_pending_steps(limit)
    from offboarding.notices.jobs import process_due_notices

    # Bounded, so one scan stays short; the send task of the beat schedule drains the rest.
    report.counts.update(process_due_notices(max_messages=limit * 5))
    from offboarding.exports import service as exports

    report.counts["exports_expired"] = exports.expire_due_exports(limit)
    report.counts["exports_queued"] = exports.queue_due_exports(limit)
    if any(report.counts.values()) or report.failures:
        logger.info("Due-work scan: %s", report)
    return report


def preview_due_work() -> dict[str, int]:
    """Count what a scan would do now, changing nothing."""
    from offboarding.models import CaseStep

    now = clock.now()
    counts = {name: queryset_for(now).count() for name, queryset_for, _, _ in _due_kinds()}
    counts["steps"] = CaseStep.objects.filter(
        status=CaseStep.Status.PENDING, next_attempt_at__lte=now
    ).count()
    return counts
