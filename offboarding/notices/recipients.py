"""Recipients of a case's notices, with their language and time zone.

The account is read live while it exists. A copy is kept in the case's
:class:`~offboarding.models.CaseNoticeProfile`, because the deletion notice is sent after
the purge removed the account, and erased when nothing is left to send.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac

from offboarding import clock
from offboarding.adapter import DefaultOffboardingAdapter, get_adapter
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
    return capture_many([case])[case.pk]


def capture_many(cases: Iterable[OffboardingCase]) -> dict[int, CaseNoticeProfile | None]:
    """Capture the profiles of several cases as :func:`capture` does, by case id.

    The accounts are read together (see :func:`_live_accounts`) and new profiles are
    inserted in one query, so a batch of notices costs no account query per message.
    """
    cases = list(cases)
    adapter = get_adapter()
    accounts = _live_accounts(adapter, {case.account_key for case in cases})
    captured_at = cache(clock.now)  # One clock read per batch, and only when needed.
    profiles: dict[int, CaseNoticeProfile | None] = {}
    new_profiles = []
    for case in cases:
        profile = _cached_profile(case)
        if profile is NOT_LOADED:
            profile = CaseNoticeProfile.objects.filter(case=case).first()
        account = accounts.get(case.account_key)
        if account is not None:
            values = {
                "emails": list(adapter.get_contact_emails(account)),
                "language": adapter.get_language(account),
                "time_zone": str(adapter.get_timezone(account)),
            }
            if profile is None:
                profile = CaseNoticeProfile(case=case, **values, captured_at=captured_at())
                case.notice_profile = profile
                new_profiles.append(profile)
            elif any(getattr(profile, name) != value for name, value in values.items()):
                _refresh_profile(profile, values, captured_at())
        profiles[case.pk] = profile
    # A concurrent capture may have inserted a row first; either copy is current.
    CaseNoticeProfile.objects.bulk_create(new_profiles, ignore_conflicts=True)
    return profiles


def _live_accounts(adapter: Any, keys: set[str]) -> dict[str, Any]:
    """Return the existing accounts of ``keys`` by key.

    With the default ``get_account`` (a primary key lookup on the account model) the
    accounts are read in one query. Keys that query does not find, and every key of an
    adapter that overrides ``get_account``, go through ``get_account`` one by one.
    """
    accounts: dict[str, Any] = {}
    if keys and type(adapter).get_account is DefaultOffboardingAdapter.get_account:
        manager = adapter.get_account_model()._default_manager
        try:
            accounts = {str(account.pk): account for account in manager.filter(pk__in=keys)}
        except (ValueError, TypeError, ValidationError):
            accounts = {}  # A key that is no valid primary key; get_account handles it.
    for key in keys - accounts.keys():
        account = adapter.get_account(key)
        if account is not None:
            accounts[key] = account
    return accounts


def _refresh_profile(
    profile: CaseNoticeProfile, values: dict[str, Any], captured_at: datetime
) -> None:
    CaseNoticeProfile.objects.filter(case_id=profile.case_id).update(
        **values, captured_at=captured_at
    )
    for name, value in values.items():
        setattr(profile, name, value)


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
    return _recipients(capture(case))


def recipients_of_many(cases: Iterable[OffboardingCase]) -> dict[int, Recipients]:
    """Return the current recipients of several cases by case id, as :func:`recipients_of`."""
    return {case_id: _recipients(profile) for case_id, profile in capture_many(cases).items()}


def _recipients(profile: CaseNoticeProfile | None) -> Recipients:
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
    logger.info("Notice contacts of purged cases erased, cases: %s", len(profiles))
    return len(profiles)
