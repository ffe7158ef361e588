"""Cases written directly in a given state, for the KPI and list tests.

The KPIs only read what the lifecycle wrote, so these rows set the same fields the
workflows would set, within the model's constraints.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from offboarding.models import CaseState, OffboardingCase

_keys = itertools.count(1)


def case_in_state(state: str, *, requested_at: datetime, **fields) -> OffboardingCase:
    """Create a case in ``state``; fields a state needs default from ``requested_at``."""
    defaults: dict = {"account_key": f"acct-{next(_keys)}", "account_label": ""}
    if state in (
        CaseState.SCHEDULED,
        CaseState.ENDED,
        CaseState.PURGED,
        CaseState.REACTIVATED,
        CaseState.VAULTED,
        CaseState.WITHDRAWN,
    ):
        defaults["confirmed_at"] = requested_at
        defaults["boundary_at"] = requested_at + timedelta(days=10)
    if state in (CaseState.ENDED, CaseState.PURGED, CaseState.REACTIVATED):
        defaults["ended_at"] = defaults["boundary_at"]
        defaults["retention_days"] = 30
        defaults["retention_starts_at"] = defaults["boundary_at"]
        defaults["retention_ends_at"] = defaults["boundary_at"] + timedelta(days=30)
    if state == CaseState.SAVED:
        defaults["saved_as"] = "paused"
        defaults["pause_ends_at"] = requested_at + timedelta(days=30)
    defaults.update(fields)
    if state in (
        CaseState.WITHDRAWN,
        CaseState.REACTIVATED,
        CaseState.PURGED,
        CaseState.ABANDONED,
    ):
        defaults.setdefault("closed_at", requested_at + timedelta(days=1))
    return OffboardingCase.objects.create(state=state, requested_at=requested_at, **defaults)
