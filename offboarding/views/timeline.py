"""The entries of a case's timeline on the portal status page, in the order they happen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from offboarding.models import CaseState, OffboardingCase

S = CaseState

CLOSED_LABELS: dict[str, Promise] = {
    S.REACTIVATED: _("Account reactivated"),
    S.WITHDRAWN: _("Cancellation undone"),
    S.PURGED: _("Data deleted"),
    S.SAVED: _("Subscription continues"),
}


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of a case: what happens, when, and whether it has happened yet."""

    label: str | Promise
    at: datetime
    done: bool


def timeline_entries(
    case: OffboardingCase, data_deleted_on: datetime | None
) -> list[TimelineEntry]:
    """Return the case's moments sorted by time; moments at the same time keep this order."""
    if case.ended_at:
        boundary = (_("Access ended"), case.boundary_at, True)
    else:
        boundary = (_("Access ends"), case.boundary_at, False)
    moments: list[tuple[str | Promise, datetime | None, bool]] = [
        (_("Cancellation requested"), case.requested_at, True),
        (_("Cancellation confirmed"), case.confirmed_at, True),
        (_("Pause ends, billing resumes"), case.pause_ends_at if case.is_paused else None, False),
        boundary,
        (_vault_label(case), case.vaulted_at, True),
        (_("Data deleted on"), data_deleted_on, False),
        (CLOSED_LABELS.get(case.state, _("Case closed")), case.closed_at, True),
    ]
    entries = [TimelineEntry(label, at, done) for label, at, done in moments if at is not None]
    return sorted(entries, key=lambda entry: entry.at)


def _vault_label(case: OffboardingCase) -> str | Promise:
    """Name the vault moment: chosen before access ends, or moved into after it ended."""
    if case.vaulted_at and case.boundary_at and case.vaulted_at < case.boundary_at:
        return _("Chose the data vault: the data stays there when access ends")
    return _("Moved into the data vault")
