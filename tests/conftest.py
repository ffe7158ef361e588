"""Shared fixtures: the app clock, accounts, plans and subscriptions on the local ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from offboarding import clock


def pytest_collection_modifyitems(config, items):
    # Tests marked "postgres" need row locks, COPY and real concurrent transactions.
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def frozen_clock(db):
    """Freeze the app clock; call the fixture's ``.at(datetime)`` to move it."""

    class FrozenClock:
        def at(self, moment: datetime) -> datetime:
            return clock.freeze(moment)

        def advance(self, delta):
            return clock.advance(delta)

        def now(self) -> datetime:
            return clock.now()

    frozen = FrozenClock()
    frozen.at(utc(2024, 3, 5, 12, 0, 0))
    return frozen


@pytest.fixture
def monthly_plan(db):
    from offboarding.models import Plan

    return Plan.objects.create(
        code="team-monthly",
        name="Team (monthly)",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        tax_rate=Decimal("0"),
    )


@pytest.fixture
def yearly_plan(db):
    from offboarding.models import Plan

    return Plan.objects.create(
        code="team-yearly",
        name="Team (yearly)",
        amount=Decimal("300.00"),
        currency="EUR",
        interval="year",
    )
