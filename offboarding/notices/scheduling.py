"""Queueing the cadence: one outbox message per case, cadence step and trigger moment.

Each active step is one range query on the case field its trigger is anchored on. The
exact due time is then computed per case in the account's time zone, and the messages are
inserted with ``ON CONFLICT DO NOTHING`` on (case, key): however many schedulers scan at
once, a notice is queued once.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import OffboardingCase
from offboarding.models.notices import CadenceStep, OffsetDirection, OffsetUnit, OutboxMessage
from offboarding.notices.recipients import time_zone_of
from offboarding.notices.triggers import TRIGGERS, anchor_of

logger = logging.getLogger(__name__)

# A calendar day in a time zone is 24 hours give or take its DST shift (at most 2 hours
# anywhere), so the range query widens by this and the exact check happens per case.
DST_SLACK = timedelta(hours=3)

BATCH_SIZE = 500

UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def message_key(step: CadenceStep, anchor: datetime) -> str:
    return f"{step.code}@{anchor.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def queue_due_cadence(limit: int = 5000) -> int:
    """Queue every active cadence step's due notices (at most ``limit`` per step)."""
    now = clock.now()
    queued = 0
    for step in CadenceStep.objects.active().order_by("position", "pk"):
        queued += queue_step(step, now, limit)
    if queued:
        logger.info("Cadence notices queued: %s", queued)
    return queued


def queue_step(step: CadenceStep, now: datetime, limit: int) -> int:
    """Queue ``step``'s notices that are due at ``now``; return how many were inserted."""
    queued = 0
    after: tuple[datetime, int] | None = None
    while queued < limit:
        with transaction.atomic():
            if not _claim_step(step):
                return queued
            batch = list(_candidates(step, now, after)[:BATCH_SIZE])
            rows = _due_rows(step, batch, now)
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        queued += len(rows)
        if len(batch) < BATCH_SIZE:
            break
        after = (batch[-1].notice_anchor, batch[-1].pk)
    return queued


def _claim_step(step: CadenceStep) -> bool:
    """Lock the step for this transaction; False when another scheduler holds it.

    The unique key already makes a second insert impossible; the lock only spares a second
    scheduler the same work. Databases without SKIP LOCKED (SQLite) serialise writers anyway.
    """
    if not connection.features.has_select_for_update_skip_locked:
        return True
    return CadenceStep.objects.select_for_update(skip_locked=True).filter(pk=step.pk).exists()


def _candidates(step: CadenceStep, now: datetime, after: tuple[datetime, int] | None):
    spec = TRIGGERS[step.trigger]
    condition = spec.condition(step.direction)
    if condition is None:
        return OffboardingCase.objects.none()

    # due = anchor + offset (the offset is negative before the trigger), within DST_SLACK.
    offset = step.signed_offset
    anchor = spec.anchor
    bounds = {
        f"{anchor}__lte": now - offset + DST_SLACK,
        f"{anchor}__gte": now - offset - app_settings.NOTICE_CATCH_UP - DST_SLACK,
    }
    cases = OffboardingCase.objects.filter(condition, **bounds)
    if step.direction == OffsetDirection.BEFORE:
        cases = cases.filter(**{f"{anchor}__gt": now})

    queued_already = OutboxMessage.objects.filter(
        case=OuterRef("pk"), step=step, anchor_at=OuterRef(anchor)
    )
    queued_directly = OutboxMessage.objects.filter(
        case=OuterRef("pk"), step__isnull=True, template=step.template
    )
    cases = cases.exclude(Exists(queued_already)).exclude(Exists(queued_directly))
    cases = cases.annotate(notice_anchor=F(anchor)).select_related("notice_profile")
    if after is not None:
        cases = cases.filter(
            Q(notice_anchor__gt=after[0]) | Q(notice_anchor=after[0], pk__gt=after[1])
        )
    return cases.order_by("notice_anchor", "pk")


def _due_rows(
    step: CadenceStep, cases: list[OffboardingCase], now: datetime
) -> list[OutboxMessage]:
    """Return the messages due at ``now`` for ``cases``; cases not yet due wait."""
    rows = []
    wall_now = timezone.now()
    oldest = now - app_settings.NOTICE_CATCH_UP
    for case in cases:
        anchor = anchor_of(case, step.trigger)
        if anchor is None:
            continue
        # Only day offsets depend on the account's time zone; hours need no lookup.
        zone = time_zone_of(case) if step.unit == OffsetUnit.DAYS else UTC_ZONE
        due = step.due_at(anchor, zone)
        if due > now or due < oldest:
            continue
        rows.append(
            OutboxMessage(
                case=case,
                key=message_key(step, anchor),
                step=step,
                anchor_at=anchor,
                template=step.template,
                required=step.required,
                due_at=due,
                next_attempt_at=wall_now,
            )
        )
    return rows
