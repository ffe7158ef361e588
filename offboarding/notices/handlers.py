"""Step handlers of the notices part: what must be kept while the account still exists."""

from __future__ import annotations

from typing import Any

from offboarding.models import AuditEvent, OffboardingCase
from offboarding.models.notices import CaseNoticeProfile
from offboarding.notices import recipients
from offboarding.steps import step_handler


@step_handler("requested", name="notices.capture_recipients")
@step_handler("boundary_reached", name="notices.capture_recipients")
def capture_recipients(case: OffboardingCase, step: Any) -> dict:
    """Copy the contacts, language and time zone the deletion notice will need."""
    profile = recipients.capture(case)
    return {"captured": profile is not None}


@step_handler("saved", name="notices.remember_pause_start")
def remember_pause_start(case: OffboardingCase, step: Any) -> dict:
    """Keep when the pause was accepted, the moment the "pause accepted" trigger counts from."""
    if not case.is_paused:
        return {"paused": False}
    accepted = (
        AuditEvent.objects.filter(case=case, action="accept_save")
        .order_by("-sequence")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if recipients.capture(case) is None:
        # The account is gone; the moment is still worth keeping.
        CaseNoticeProfile.objects.get_or_create(case=case)
    CaseNoticeProfile.objects.filter(case=case).update(pause_accepted_at=accepted)
    return {"paused": True}
