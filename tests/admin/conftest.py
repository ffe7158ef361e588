"""Fixtures of the admin tests: staff users in the two groups and cases along the lifecycle."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from offboarding.admin.groups import ADMINISTRATORS, CUSTOMER_SUCCESS, install_staff_groups
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor
from offboarding.services import lifecycle
from tests.conftest import utc

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def users_are_accounts(settings):
    """The default adapter (every user is an account), the database clock, no step handlers.

    Without built-in handlers a purge completes at once, which keeps these tests about
    the admin rather than about the purge itself. The data registry gives the purge's dry
    run rows to count.
    """
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "DATA_REGISTRY": "tests.admin.registry.registry",
    }


@pytest.fixture
def staff_groups(db):
    install_staff_groups()
    return {
        "customer_success": Group.objects.get(name=CUSTOMER_SUCCESS),
        "administrators": Group.objects.get(name=ADMINISTRATORS),
    }


def _staff(django_user_model, username, group):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=True
    )
    user.groups.add(group)
    return user


@pytest.fixture
def success_user(staff_groups, django_user_model):
    return _staff(django_user_model, "cs-carla", staff_groups["customer_success"])


@pytest.fixture
def admin_user_in_group(staff_groups, django_user_model):
    return _staff(django_user_model, "admin-ada", staff_groups["administrators"])


@pytest.fixture
def make_customer(db, frozen_clock, monthly_plan, django_user_model):
    """Return a factory of users subscribed to the monthly plan from 2024-01-31 10:00 UTC."""
    counter = itertools.count(1)

    def make(name=None):
        name = name or f"customer{next(counter)}"
        user = django_user_model.objects.create_user(name, f"{name}@example.com", PASSWORD)
        LocalLedgerBackend().subscribe(str(user.pk), monthly_plan.code, utc(2024, 1, 31, 10))
        return user

    return make


@pytest.fixture
def ended_case(make_customer, frozen_clock):
    """A case whose boundary was 2024-03-31 10:00 and whose retention ends 2024-04-30 10:00."""
    user = make_customer("ended")
    case = lifecycle.open_case(user, user)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(user))
    frozen_clock.at(utc(2024, 4, 2, 9))
    return lifecycle.reach_boundary(case)


@pytest.fixture
def scheduled_case(make_customer, frozen_clock):
    user = make_customer("scheduled")
    case = lifecycle.open_case(user, user)
    return lifecycle.confirm_cancellation(case, actor=Actor.customer(user))
