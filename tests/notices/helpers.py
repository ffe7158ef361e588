"""Building cases for notice tests through the core lifecycle services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from offboarding import clock, jobs
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor, OffboardingCase
from offboarding.services import lifecycle


def subscribed_user(
    username: str, email: str, *, since: datetime, zone: str = "", language: str = ""
):
    """A user (the account) with a monthly subscription since ``since``."""
    user = get_user_model().objects.create_user(
        username, email, "pw", last_name=zone, first_name=language
    )
    LocalLedgerBackend().subscribe(str(user.pk), "team-monthly", since)
    return user


def cancel(user) -> OffboardingCase:
    """Open a case for ``user`` and confirm the cancellation at period end."""
    case = lifecycle.open_case(user, user)
    return lifecycle.confirm_cancellation(case, actor=Actor.customer(user))


def walk(until: datetime, step: timedelta, inbox) -> list[tuple[datetime, object]]:
    """Move the clock by ``step`` up to ``until``, scanning at each stop.

    Returns (clock time of the scan, message) for every message the inbox received.
    """
    received = []
    while clock.now() < until:
        clock.advance(step)
        jobs.scan_due_work()
        received.extend((clock.now(), message) for message in inbox.take())
    return received


def scan_at(moments, inbox) -> list[tuple[datetime, object]]:
    """Set the clock to each of ``moments`` in turn and scan; return what arrived when."""
    received = []
    for moment in moments:
        clock.freeze(moment)
        jobs.scan_due_work()
        received.extend((moment, message) for message in inbox.take())
    return received
