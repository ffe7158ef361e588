"""The local ledger's closing statement and what the final invoice makes of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offboarding.billing.base import BillingError
from offboarding.billing.local import LocalLedgerBackend
from offboarding.invoices import services
from offboarding.models import (
    Actor,
    AuditEvent,
    CaseStep,
    FinalInvoice,
    InvoiceCounter,
    LedgerEntry,
    LedgerSubscription,
    Plan,
)
from offboarding.services import lifecycle
from offboarding.steps import run_pending_steps
from tests.conftest import utc


def cancel_at_period_end(frozen_clock, customer):
    frozen_clock.at(utc(2024, 4, 1))
    LocalLedgerBackend().subscribe(str(customer.pk), "team-monthly", utc(2024, 4, 1))
    frozen_clock.at(utc(2024, 4, 19))
    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    return case


def test_period_end_cancel_has_no_proration(
    invoice_settings, frozen_clock, monthly_plan, customer
):
    case = cancel_at_period_end(frozen_clock, customer)
    frozen_clock.at(utc(2024, 5, 1))
    lifecycle.reach_boundary(case)
    run_pending_steps(case_id=case.pk)
    invoice = FinalInvoice.objects.get(case=case)

    assert [line.kind for line in invoice.lines.all()] == ["period"]
    assert [p.kind for p in invoice.payments.all()] == ["payment"]
    assert invoice.gross_total == Decimal("30.00")
    assert invoice.refunded_total == 0
    assert invoice.balance_due == 0
    assert invoice.closures.get().closed_at == utc(2024, 5, 1)
    assert not LedgerEntry.objects.filter(kind__in=["proration_credit", "refund"]).exists()


def test_statement_of_immediate_cancel(frozen_clock, monthly_plan, customer):
    ledger = LocalLedgerBackend()
    frozen_clock.at(utc(2024, 4, 1))
    ledger.subscribe(str(customer.pk), "team-monthly", utc(2024, 4, 1))
    ledger.cancel(str(customer.pk), immediately=True, now=utc(2024, 4, 19))
    statement = ledger.closing_statement(str(customer.pk), utc(2024, 4, 19))

    assert [(line.kind, line.amount) for line in statement.lines] == [
        ("period", Decimal("30.00")),
        ("proration_credit", Decimal("-12.00")),
    ]
    assert [p.amount for p in statement.payments] == [Decimal("30.00")]
    assert [r.amount for r in statement.refunds] == [Decimal("12.00")]
    assert statement.period_start == utc(2024, 4, 1)
    assert statement.period_end == utc(2024, 5, 1)


def test_trial_period_gets_zero_line(frozen_clock, customer):
    Plan.objects.create(
        code="trial",
        name="Trial plan",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        trial_days=14,
    )
    ledger = LocalLedgerBackend()
    ledger.subscribe(str(customer.pk), "trial", utc(2024, 4, 1))
    ledger.cancel(str(customer.pk), immediately=True, now=utc(2024, 4, 5))
    statement = ledger.closing_statement(str(customer.pk), utc(2024, 4, 5))

    assert len(statement.lines) == 1
    assert statement.lines[0].amount == 0
    assert statement.payments == []


def test_reactivated_customer_gets_no_second_trial(frozen_clock, customer):
    Plan.objects.create(
        code="trial",
        name="Trial plan",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        trial_days=14,
    )
    ledger = LocalLedgerBackend()
    account = str(customer.pk)
    first = ledger.subscribe(account, "trial", utc(2024, 1, 1))
    ledger.cancel(account, immediately=False, now=utc(2024, 2, 10))
    ledger.close(account, utc(2024, 3, 1))
    ledger.reactivate(account, plan_code=None, now=utc(2024, 4, 1))
    second = LedgerSubscription.objects.exclude(pk=first.pk).get()
    ledger.materialise(second, utc(2024, 4, 2))

    assert first.trial_ends_at is not None
    assert second.trial_ends_at is None
    assert LedgerEntry.objects.filter(
        subscription=second, kind="period", period_start=utc(2024, 4, 1)
    ).get().amount == Decimal("30.00")


def test_second_active_subscription_rejected(frozen_clock, monthly_plan, yearly_plan, customer):
    ledger = LocalLedgerBackend()
    ledger.subscribe(str(customer.pk), "team-monthly", utc(2024, 4, 1))

    with pytest.raises(BillingError):
        ledger.subscribe(str(customer.pk), "team-yearly", utc(2024, 4, 2))


def test_unbalanced_flags_case(invoice_settings, frozen_clock, monthly_plan, customer):
    case = cancel_at_period_end(frozen_clock, customer)
    subscription = LedgerSubscription.objects.get()
    LedgerEntry.objects.create(
        subscription=subscription,
        kind=LedgerEntry.Kind.USAGE,
        description="Unpaid usage",
        amount=Decimal("4.50"),
        currency="EUR",
        occurred_at=utc(2024, 4, 20),
    )
    frozen_clock.at(utc(2024, 5, 1))
    lifecycle.reach_boundary(case)
    run_pending_steps(case_id=case.pk)
    case.refresh_from_db()
    step = CaseStep.objects.get(case=case, handler="final_invoice")

    assert not FinalInvoice.objects.exists()
    assert not InvoiceCounter.objects.filter(last_number__gt=0).exists()
    assert case.needs_attention
    assert "balance 4.50 EUR" in case.attention_reason
    assert step.status == CaseStep.Status.PENDING
    assert "does not balance" in step.last_error
    assert AuditEvent.objects.filter(case=case, action=services.UNBALANCED_ACTION).count() == 1


def test_unbalanced_flag_recorded_once(invoice_settings, frozen_clock, monthly_plan, customer):
    case = cancel_at_period_end(frozen_clock, customer)
    LedgerEntry.objects.create(
        subscription=LedgerSubscription.objects.get(),
        kind=LedgerEntry.Kind.USAGE,
        description="Unpaid usage",
        amount=Decimal("4.50"),
        currency="EUR",
        occurred_at=utc(2024, 4, 20),
    )
    frozen_clock.at(utc(2024, 5, 1))
    lifecycle.reach_boundary(case)
    for _attempt in range(2):
        with pytest.raises(services.UnbalancedInvoice) as caught:
            services.issue_final_invoice(case)
        services.flag_unbalanced(caught.value)

    assert AuditEvent.objects.filter(case=case, action=services.UNBALANCED_ACTION).count() == 1
