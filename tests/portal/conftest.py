"""Fixtures of the portal tests: a customer whose user is the account, with a subscription."""

from __future__ import annotations

from datetime import timedelta

import pytest

from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import OffboardingCase
from offboarding.models.portal import SaveOffer, SurveyReason
from tests.conftest import utc

# The customer subscribed on 31 January 2024 and the clock shows 5 March 2024, so the
# paid period ends on 31 March 2024 at 10:00 UTC.
SUBSCRIBED_AT = utc(2024, 1, 31, 10)
NOW = utc(2024, 3, 5, 12)
PERIOD_END = utc(2024, 3, 31, 10)


@pytest.fixture
def portal_settings(settings):
    settings.OFFBOARDING = {"CLOCK": "database"}
    return settings


@pytest.fixture
def clock_now(frozen_clock, portal_settings):
    frozen_clock.at(NOW)
    return frozen_clock


@pytest.fixture
def make_customer(django_user_model, monthly_plan, clock_now):
    """Return a factory of users with a monthly subscription on the local ledger."""

    def make(name: str = "ann", *, subscribed_at=SUBSCRIBED_AT, trial: bool = False):
        user = django_user_model.objects.create_user(name, f"{name}@example.com", "pw-not-asked")
        LocalLedgerBackend().subscribe(str(user.pk), monthly_plan.code, subscribed_at, trial=trial)
        return user

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer()


@pytest.fixture
def reasons(db):
    SurveyReason.install_defaults()
    return list(SurveyReason.objects.all())


@pytest.fixture
def pause_offer(db):
    return SaveOffer.objects.create(kind=SaveOffer.Kind.PAUSE, order=1)


@pytest.fixture
def vault_offer(db):
    return SaveOffer.objects.create(kind=SaveOffer.Kind.VAULT, order=2)


def case_of(user) -> OffboardingCase:
    return OffboardingCase.objects.get(account_key=str(user.pk))


def after_period() -> timedelta:
    return PERIOD_END - NOW + timedelta(hours=1)
