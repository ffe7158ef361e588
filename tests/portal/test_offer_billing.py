"""Pause and discount offers on the local ledger, for monthly and yearly plans."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor, LedgerEntry, LedgerSubscription
from offboarding.models.portal import SaveOffer
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.portal.conftest import NOW

pytestmark = pytest.mark.django_db

# A yearly subscription from 1 June 2023: the paid period runs to 1 June 2024.
YEARLY_START = utc(2023, 6, 1)
YEARLY_END = utc(2024, 6, 1)


@pytest.fixture
def yearly_customer(django_user_model, yearly_plan, clock_now):
    user = django_user_model.objects.create_user("gus", "gus@example.com", "pw-not-asked")
    LocalLedgerBackend().subscribe(str(user.pk), yearly_plan.code, YEARLY_START, trial=False)
    return user


def subscription_of(user):
    return LocalLedgerBackend().get_subscription(str(user.pk), NOW)


def period_charges(user) -> list:
    return list(
        LedgerEntry.objects.filter(subscription__account_key=str(user.pk), kind="period")
        .order_by("period_start")
        .values_list("period_start", "amount")
    )


def test_pause_extends_yearly_period(yearly_customer, clock_now):
    case = lifecycle.open_case(yearly_customer, yearly_customer)
    lifecycle.accept_pause(case, days=30, actor=Actor.customer(yearly_customer))

    info = subscription_of(yearly_customer)
    # The paid year still starts where it did, and ends the pause's length later.
    assert info.current_period_start == YEARLY_START
    assert info.current_period_end == YEARLY_END + timedelta(days=30)
    assert info.pause_ends_at == NOW + timedelta(days=30)

    # The next yearly charge moves by the pause, and none falls on the old period end.
    LocalLedgerBackend().get_subscription(str(yearly_customer.pk), utc(2024, 6, 15))
    assert period_charges(yearly_customer) == [(YEARLY_START, Decimal("300.00"))]
    LocalLedgerBackend().get_subscription(str(yearly_customer.pk), utc(2024, 7, 2))
    starts = [start for start, _ in period_charges(yearly_customer)]
    assert starts == [YEARLY_START, YEARLY_END + timedelta(days=30)]


def test_repeated_pause_extends_once(yearly_customer, clock_now):
    backend = LocalLedgerBackend()
    until = NOW + timedelta(days=30)
    backend.pause(str(yearly_customer.pk), until=until, now=NOW)
    backend.pause(str(yearly_customer.pk), until=until, now=NOW)

    assert subscription_of(yearly_customer).current_period_end == YEARLY_END + timedelta(days=30)
    assert LedgerSubscription.objects.filter(account_key=str(yearly_customer.pk)).count() == 2


def test_early_resume_gives_back_unused_pause(yearly_customer, clock_now):
    backend = LocalLedgerBackend()
    backend.pause(str(yearly_customer.pk), until=NOW + timedelta(days=30), now=NOW)
    backend.resume(str(yearly_customer.pk), NOW + timedelta(days=10))

    info = backend.get_subscription(str(yearly_customer.pk), NOW + timedelta(days=10))
    assert info.current_period_end == YEARLY_END + timedelta(days=10)
    assert info.pause_ends_at is None


def test_cancel_while_paused_ends_at_extended_end(yearly_customer, clock_now):
    case = lifecycle.open_case(yearly_customer, yearly_customer)
    case = lifecycle.accept_pause(case, days=30, actor=Actor.customer(yearly_customer))
    clock_now.at(NOW + timedelta(days=5))

    case = lifecycle.open_case(yearly_customer, yearly_customer)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(yearly_customer))
    # Cancelling ends the pause at once, so 5 of its 30 days were used.
    assert case.boundary_at == YEARLY_END + timedelta(days=5)
    statement = LocalLedgerBackend().closing_statement(str(yearly_customer.pk), case.boundary_at)
    assert statement.period_start == YEARLY_START
    assert [line.amount for line in statement.lines] == [Decimal("300.00")]


def test_immediate_cancel_while_paused_refunds(yearly_customer, clock_now):
    backend = LocalLedgerBackend()
    backend.pause(str(yearly_customer.pk), until=NOW + timedelta(days=30), now=NOW)

    assert backend.cancel(str(yearly_customer.pk), immediately=True, now=NOW) == NOW
    refunds = LedgerEntry.objects.filter(
        kind="refund", subscription__account_key=str(yearly_customer.pk)
    )
    assert refunds.count() == 1
    assert refunds.get().amount > 0


def test_pause_keeps_monthly_periods_free(customer, clock_now):
    # Paid to 31 March; a 60-day pause moves the next charge from 31 March to 30 May.
    case = lifecycle.open_case(customer, customer)
    lifecycle.accept_pause(case, days=60, actor=Actor.customer(customer))
    LocalLedgerBackend().get_subscription(str(customer.pk), utc(2024, 6, 1))

    starts = [start for start, _ in period_charges(customer)]
    assert starts == [utc(2024, 1, 31, 10), utc(2024, 2, 29, 10), utc(2024, 5, 30, 10)]


def test_discount_covers_next_yearly_payment(django_user_model, yearly_plan, clock_now):
    # The next yearly payment, on 1 October 2024, is seven months away: past three months.
    user = django_user_model.objects.create_user("ida", "ida@example.com", "pw-not-asked")
    backend = LocalLedgerBackend()
    backend.subscribe(str(user.pk), yearly_plan.code, utc(2023, 10, 1), trial=False)

    backend.apply_discount(str(user.pk), percent=20, months=3, now=NOW)
    backend.get_subscription(str(user.pk), utc(2025, 10, 2))

    amounts = [amount for _, amount in period_charges(user)]
    assert amounts == [Decimal("300.00"), Decimal("240.00"), Decimal("300.00")]


def test_discount_covers_next_monthly_payments(customer, clock_now):
    LocalLedgerBackend().apply_discount(str(customer.pk), percent=20, months=3, now=NOW)
    LocalLedgerBackend().get_subscription(str(customer.pk), utc(2024, 7, 1))

    amounts = [amount for _, amount in period_charges(customer)]
    discounted, full = Decimal("24.00"), Decimal("30.00")
    assert amounts == [full, full, discounted, discounted, discounted, full]


@pytest.mark.parametrize(
    ("plan", "text"),
    [
        ("yearly", "20% off your next yearly payment."),
        ("monthly", "20% off your next 3 monthly payments."),
    ],
)
def test_discount_offer_worded_by_period(
    client, request, clock_now, yearly_customer, customer, reasons, plan, text
):
    SaveOffer.objects.create(
        kind=SaveOffer.Kind.DISCOUNT, discount_percent=20, discount_months=3, order=1
    )
    user = yearly_customer if plan == "yearly" else customer
    client.force_login(user)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})

    page = client.get(response["Location"]).content.decode()
    assert text in page
    assert "for the next 3 months" not in page
