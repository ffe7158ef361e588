"""Helpers for portal tests on the demo host's B2B shape: organisations with an owner."""

from __future__ import annotations

from itertools import count

from django.contrib.auth import get_user_model

from config.accounts.models import Membership, Organisation, Role
from offboarding.billing.local import LocalLedgerBackend
from tests.portal.conftest import SUBSCRIBED_AT

DEMO_OFFBOARDING = {
    "CLOCK": "database",
    "ACCOUNT_MODEL": "accounts.Organisation",
    "ADAPTER": "config.offboarding_adapter.DemoAdapter",
}

_numbers = count(1)


def make_user(name: str):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw-not-asked")


def make_organisation(
    name: str,
    plan_code: str,
    *,
    jurisdiction: str = "default",
    timezone: str = "Europe/Berlin",
    subscribed_at=SUBSCRIBED_AT,
) -> Organisation:
    organisation = Organisation.objects.create(
        name=name,
        slug=f"{name.lower().replace(' ', '-')}-{next(_numbers)}",
        jurisdiction=jurisdiction,
        timezone=timezone,
    )
    LocalLedgerBackend().subscribe(str(organisation.pk), plan_code, subscribed_at, trial=False)
    return organisation


def add_member(organisation: Organisation, user, role: str = Role.MEMBER) -> Membership:
    return Membership.objects.create(organisation=organisation, user=user, role=role)
