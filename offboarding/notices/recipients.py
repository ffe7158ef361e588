"""Recipients of a case's notices, with their language and time zone.

The account is read live while it exists. A copy is kept in the case's
:class:`~offboarding.models.CaseNoticeProfile`, because the deletion notice is sent after
the purge removed the account, and erased when nothing is left to send.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.conf import app_settings
from offboarding.models import CaseState, OffboardingCase
from offboarding.models.notices import CaseNoticeProfile, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

CONTACT_SALT = "offboarding.notices.contact"

NOT_LOADED = object()


@dataclass(frozen=True)
class Recipients:
    emails: list[str]
    language: str
    time_zone: zoneinfo.ZoneInfo


def contact_digest(email: str) -> str:
    """Return a keyed hash of a contact address, used instead of the address itself."""
    return salted_hmac(CONTACT_SALT, email.strip().lower(), algorithm="sha256").hexdigest()


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE or "UTC")


def capture(case: OffboardingCase) -> CaseNoticeProfile | None:
    """Copy the account's contacts, language and time zone into the case's profile.

    Returns the profile, or the stored one unchanged when the account no longer exists.
    """
    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    profile = _cached_profile(case)
    if profile is NOT_LOADED:
        profile = CaseNoticeProfile.objects.filter(case=case).first()
    if account is None:
        return profile

    values = {
        "emails": list(adapter.get_contact_emails(account)),
        "language": adapter.get_language(account),
        "time_zone": str(adapter.get_timezone(account)),
    }
    if profile is None:
        profile = CaseNoticeProfile(case=case, **values, captured_at=clock.now())
        # A concurrent capture may have inserted the row first; either copy is current.
        CaseNoticeProfile.objects.bulk_create([profile], ignore_conflicts=True)
        case.notice_profile = profile
        return profile
    if any(getattr(profile, name) != value for name, value in values.items()):
        CaseNoticeProfile.objects.filter(case=case).update(**values, captured_at=clock.now())
        for name, value in values.items():
            setattr(profile, name, value)
    return profile


def time_zone_of(case: OffboardingCase) -> zoneinfo.ZoneInfo:
    """Return the account's time zone, from the copy when one exists (no account lookup)."""
    profile = _cached_profile(case)
    if profile is NOT_LOADED or profile is None:
        profile = capture(case)
    if profile is not None and profile.time_zone:
        return _zone(profile.time_zone)
    return _zone(settings.TIME_ZONE or "UTC")


def _cached_profile(case: OffboardingCase) -> Any:
    """Return the case's profile as loaded by select_related (None if it has none), or
    NOT_LOADED when it was not loaded; never queries."""
    related = OffboardingCase.notice_profile.related
    if not related.is_cached(case):
        return NOT_LOADED
    return related.get_cached_value(case)


def recipients_of(case: OffboardingCase) -> Recipients:
    """Return the current recipients: the live account's, else the last copy."""
    profile = capture(case)
    if profile is None:
        return Recipients([], settings.LANGUAGE_CODE, _zone(settings.TIME_ZONE or "UTC"))
    return Recipients(
        list(profile.emails), profile.language or settings.LANGUAGE_CODE, _zone(profile.time_zone)
    )


def forget_purged_contacts(limit: int = 500) -> int:
    """Erase the copied contacts of purged cases that have nothing left to send.

    A case is left alone for ``NOTICE_CATCH_UP`` after its purge, the time in which the
    deletion notice may still be queued.
    """
    purged_before = clock.now() - app_settings.NOTICE_CATCH_UP
    open_messages = OutboxMessage.objects.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).values("case_id")
    profiles = list(
        CaseNoticeProfile.objects.filter(
            case__state=CaseState.PURGED, case__purged_at__lte=purged_before
        )
        .exclude(emails=[])
        .exclude(case_id__in=open_messages)
        .values_list("pk", flat=True)[:limit]
    )
    if not profiles:
        return 0
    CaseNoticeProfile.objects.filter(pk__in=profiles).update(emails=[])
    logger.info("Erased the notice contacts of %s purged cases", len(profiles))
    return len(profiles)
