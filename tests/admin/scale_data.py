"""Bulk rows for the scale tests and the admin benchmark: cases in every state, answers,
offers and exports, written with ``bulk_create``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import connection

from offboarding.models import (
    AuditEvent,
    CaseState,
    DataExport,
    OffboardingCase,
    OfferEvent,
    SurveyResponse,
)
from offboarding.models.cases import Actor

S = CaseState
# State mix of a product a few years old: most cases ended or purged.
STATE_CYCLE = (
    [S.ENDED] * 8
    + [S.PURGED] * 4
    + [
        S.SCHEDULED,
        S.SCHEDULED,
        S.REACTIVATED,
        S.VAULTED,
        S.WITHDRAWN,
        S.SAVED,
        S.REQUESTED,
        S.ABANDONED,
    ]
)
REASONS = ["too_expensive", "missing_features", "switched_service", "unused", "other"]
BATCH = 5000


def _case(index: int, start: datetime, rng: random.Random) -> OffboardingCase:
    state = STATE_CYCLE[index % len(STATE_CYCLE)]
    requested = start + timedelta(minutes=index * 7)
    case = OffboardingCase(
        public_id=f"scale{index:08d}",
        account_key=f"scale-{index}",
        account_label=f"Scale account {index}",
        state=state,
        requested_at=requested,
        plan_code="team-monthly",
    )
    if state not in (S.REQUESTED, S.SAVED, S.ABANDONED):
        case.confirmed_at = requested + timedelta(minutes=3)
        case.boundary_at = requested + timedelta(days=rng.randint(1, 30))
    if state in (S.ENDED, S.PURGED, S.REACTIVATED):
        case.ended_at = case.boundary_at
        case.retention_days = 30
        case.retention_starts_at = case.boundary_at
        case.retention_ends_at = case.boundary_at + timedelta(days=30)
    if state == S.PURGED:
        case.purge_started_at = case.retention_ends_at + timedelta(hours=rng.choice([0, 0, 0, 30]))
        case.purged_at = case.purge_started_at + timedelta(minutes=5)
    if state == S.VAULTED:
        case.vaulted_at = case.boundary_at
    if state == S.SAVED:
        case.saved_as = "paused"
        case.pause_ends_at = requested + timedelta(days=30)
    if state in (S.WITHDRAWN, S.REACTIVATED, S.PURGED, S.ABANDONED):
        case.closed_at = (case.purged_at or case.boundary_at or requested) + timedelta(days=2)
    case.legal_hold = index % 997 == 0
    case.legal_hold_reason = "Litigation" if case.legal_hold else ""
    case.needs_attention = index % 501 == 0
    return case


def create_cases(count: int, start: datetime, seed: int = 7) -> list[int]:
    """Write ``count`` cases plus survey answers, offer events and exports; return case ids."""
    rng = random.Random(seed)
    cases = [_case(index, start, rng) for index in range(count)]
    OffboardingCase.objects.bulk_create(cases, batch_size=BATCH)
    ids = list(OffboardingCase.objects.order_by("pk").values_list("pk", flat=True))

    answers, offers, exports = [], [], []
    for case in cases:
        if case.pk % 3 == 0:
            answers.append(
                SurveyResponse(
                    case_id=case.pk,
                    nps=rng.randint(0, 10),
                    reason_code=rng.choice(REASONS),
                    answered_at=case.requested_at + timedelta(minutes=2),
                )
            )
        if case.pk % 10 == 0:
            offers.append(
                OfferEvent(
                    case_id=case.pk,
                    kind="pause",
                    at=case.requested_at,
                    action="accepted" if case.state == S.SAVED else "declined",
                )
            )
        if case.pk % 20 == 0:
            requested = case.requested_at + timedelta(hours=1)
            exports.append(
                DataExport(
                    account_key=case.account_key,
                    case_id=case.pk,
                    formats=["csv"],
                    status="ready",
                    requested_at=requested,
                    ready_at=requested + timedelta(minutes=rng.randint(1, 240)),
                    first_downloaded_at=requested + timedelta(hours=rng.randint(1, 72)),
                )
            )
    SurveyResponse.objects.bulk_create(answers, batch_size=BATCH)
    OfferEvent.objects.bulk_create(offers, batch_size=BATCH)
    DataExport.objects.bulk_create(exports, batch_size=BATCH)
    return ids


def add_history(case: OffboardingCase, events: int) -> None:
    """Append ``events`` audit events to ``case`` through the hash chain."""
    for index in range(events):
        AuditEvent.append(
            case,
            action=f"note_{index}",
            from_state=case.state,
            to_state=case.state,
            actor=Actor.system(),
            reason="",
            data={"index": index},
            occurred_at=case.requested_at,
        )


def analyze() -> None:
    """Refresh PostgreSQL's statistics so the planner sees the bulk rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
