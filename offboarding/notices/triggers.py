"""Cadence triggers: the case field each is anchored on and the states its notices apply in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from offboarding.models import CaseState, OffboardingCase, SaveKind
from offboarding.models.notices import NoticeTrigger, OffsetDirection

S = CaseState

# States in which a case still concerns the customer; withdrawn, abandoned, reactivated and
# purged cases get no further cadence notice of their earlier steps.
OPEN_STATES = [S.REQUESTED, S.SAVED, S.SCHEDULED, S.ENDED, S.VAULTED]


@dataclass(frozen=True)
class TriggerSpec:
    """The case field a trigger is anchored on and the case states its notices apply in.

    ``before`` and ``after`` are the filters for notices before and after the anchor; None
    means no notice can be placed on that side. The ``before`` filters match the core's
    partial indexes of due work (boundary, pause, purge), so that scan stays a range read.

    The ``after`` scans are ranges on the anchor (from ``NOTICE_CATCH_UP`` ago until now),
    read through the case model's plain index on each anchor field.
    """

    anchor: str
    before: Q | None
    after: Q | None

    def condition(self, direction: str) -> Q | None:
        return self.before if direction == OffsetDirection.BEFORE else self.after


PAUSED = Q(state=S.SAVED, saved_as=SaveKind.PAUSED)

TRIGGERS: dict[str, TriggerSpec] = {
    NoticeTrigger.REQUESTED: TriggerSpec("requested_at", None, Q(state__in=OPEN_STATES)),
    NoticeTrigger.CANCELLATION_CONFIRMED: TriggerSpec(
        "confirmed_at", None, Q(state__in=[S.SCHEDULED, S.ENDED, S.VAULTED])
    ),
    NoticeTrigger.PAUSE_ACCEPTED: TriggerSpec(
        "notice_profile__pause_accepted_at", None, PAUSED & Q(closed_at__isnull=True)
    ),
    NoticeTrigger.PAUSE_ENDING: TriggerSpec(
        "pause_ends_at", PAUSED & Q(closed_at__isnull=True), PAUSED
    ),
    NoticeTrigger.BOUNDARY_REACHED: TriggerSpec(
        "boundary_at", Q(state=S.SCHEDULED), Q(state=S.ENDED)
    ),
    # No reminder of a deletion that a legal hold or a started purge has taken over.
    NoticeTrigger.RETENTION_ENDING: TriggerSpec(
        "retention_ends_at",
        Q(state=S.ENDED, legal_hold=False, purge_started_at__isnull=True),
        Q(state=S.ENDED),
    ),
    NoticeTrigger.PURGED: TriggerSpec("purged_at", None, Q(state=S.PURGED)),
    # A reactivation closes the case, so closed_at is the moment of the reactivation.
    NoticeTrigger.REACTIVATED: TriggerSpec("closed_at", None, Q(state=S.REACTIVATED)),
    NoticeTrigger.WINBACK: TriggerSpec("boundary_at", None, Q(state__in=[S.ENDED, S.VAULTED])),
}


def anchor_of(case: OffboardingCase, trigger: str) -> datetime | None:
    """Return the case's current moment for ``trigger``, following the anchor's lookups."""
    value: Any = case
    for name in TRIGGERS[trigger].anchor.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def step_applies(
    case: OffboardingCase,
    step: Any,
    now: datetime,
    anchor_at: datetime | None = None,
    *,
    in_state: bool | None = None,
) -> str:
    """Return why ``step``'s notice does not apply to ``case`` at ``now``, or ``""``.

    ``anchor_at`` is the trigger moment the message was queued for; a case whose moment
    has moved since gets a message for the new moment instead. ``in_state`` is whether the
    case matches the step's state filter, when the caller has queried that already.
    """
    spec = TRIGGERS[step.trigger]
    condition = spec.condition(step.direction)
    if condition is None:
        return "the trigger has no notice on this side"
    if in_state is None:
        in_state = OffboardingCase.objects.filter(condition, pk=case.pk).exists()
    if not in_state:
        return f"the case is {case.state}"
    anchor = anchor_of(case, step.trigger)
    if anchor is None:
        return "the trigger has no date"
    if anchor_at is not None and anchor != anchor_at:
        return "the date it was counted from has changed"
    if step.direction == OffsetDirection.BEFORE and anchor <= now:
        return "the moment it announces has passed"
    return ""
