import pytest

from offboarding.billing.local import LocalLedgerBackend
from tests.conftest import utc


@pytest.fixture(autouse=True)
def users_are_accounts(settings):
    """The default adapter: every user is an account; the clock is the database clock."""
    settings.OFFBOARDING = {"CLOCK": "database"}


@pytest.fixture
def customer(db, frozen_clock, monthly_plan, django_user_model):
    """A user subscribed to the monthly plan anchored 2024-01-31 10:00 UTC."""
    user = django_user_model.objects.create_user("ann", "ann@example.com", "correct horse")
    LocalLedgerBackend().subscribe(str(user.pk), monthly_plan.code, utc(2024, 1, 31, 10))
    return user


@pytest.fixture
def april_customer(db, frozen_clock, monthly_plan, django_user_model):
    """A user whose monthly period ends 2024-04-01 00:00 UTC."""
    user = django_user_model.objects.create_user("bob", "bob@example.com", "correct horse")
    LocalLedgerBackend().subscribe(str(user.pk), monthly_plan.code, utc(2024, 3, 1))
    return user
