"""The final invoice of an immediate cancellation on the local ledger, in EUR and JPY."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from offboarding.invoices import services
from offboarding.models import CaseState, CaseStep, FinalInvoice
from tests.conftest import utc
from tests.invoices.conftest import cancel_immediately, pdf_pages_text


@pytest.fixture
def euro_case(invoice_settings, frozen_clock, monthly_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-monthly")


@pytest.fixture
def yen_case(invoice_settings, frozen_clock, yen_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-yen")


def test_boundary_step_issues_invoice(euro_case):
    step = CaseStep.objects.get(case=euro_case, moment="boundary_reached", handler="final_invoice")
    assert euro_case.state == CaseState.ENDED
    assert step.status == CaseStep.Status.DONE
    assert step.result["invoice"] == "FIN-2024-000001"
    assert FinalInvoice.objects.get(case=euro_case).number == "FIN-2024-000001"


def test_immediate_cancel_euro_figures(euro_case):
    invoice = euro_case.final_invoice
    lines = list(invoice.lines.all())

    assert [line.kind for line in lines] == ["period", "proration_credit"]
    assert lines[0].gross_amount == Decimal("30.00")
    assert lines[1].gross_amount == Decimal("-12.00")
    assert lines[1].quantity == Decimal("-1")
    assert lines[1].unit_price == Decimal("12.00")
    assert invoice.gross_total == Decimal("18.00")
    assert invoice.paid_total == Decimal("30.00")
    assert invoice.refunded_total == Decimal("12.00")
    assert invoice.balance_due == Decimal("0.00")
    assert invoice.currency == "EUR"
    assert invoice.period_start == utc(2024, 4, 1)
    assert invoice.period_end == utc(2024, 5, 1)
    assert invoice.issue_date.isoformat() == "2024-04-19"


def test_immediate_cancel_payments_and_closure(euro_case):
    invoice = euro_case.final_invoice
    payments = {(p.kind, p.amount) for p in invoice.payments.all()}
    closure = invoice.closures.get()

    assert payments == {("payment", Decimal("30.00")), ("refund", Decimal("12.00"))}
    assert closure.description == "Team (monthly)"
    assert closure.closed_at == utc(2024, 4, 19)


def test_euro_pdf_text(euro_case):
    text = " ".join(" ".join(pdf_pages_text(services.read_pdf(euro_case.final_invoice))).split())

    assert "FIN-2024-000001" in text
    assert "€30.00" in text
    assert "-€12.00" in text
    assert "€18.00" in text
    assert "€0.00" in text
    assert "no further charges will be made" in text
    assert "✓ Team (monthly): closed on April 19, 2024, midnight UTC" in text
    assert "Last billing period April 1, 2024 – April 30, 2024" in text
    assert "April 1, 2024 – April 30, 2024" in text.split("Description", 1)[1]
    assert "Page 1 of 1" in text


def test_immediate_cancel_yen_figures(yen_case):
    invoice = yen_case.final_invoice
    amounts = [line.gross_amount for line in invoice.lines.all()]
    totals = [
        invoice.net_total,
        invoice.tax_total,
        invoice.gross_total,
        invoice.paid_total,
        invoice.refunded_total,
        invoice.balance_due,
    ]

    assert amounts == [Decimal("3000"), Decimal("-1200")]
    assert totals == [Decimal(v) for v in ("1800", "0", "1800", "3000", "1200", "0")]
    for value in amounts + totals:
        assert value == value.to_integral_value()


def test_yen_pdf_has_no_decimals(yen_case):
    text = "\n".join(pdf_pages_text(services.read_pdf(yen_case.final_invoice)))

    assert "¥3,000" in text
    assert "-¥1,200" in text
    assert "¥0" in text
    assert re.search(r"\d[.,]\d{1,2}(?!\d)", text) is None, text


def test_step_twice_issues_once(euro_case):
    from offboarding.invoices.handlers import issue_final_invoice

    step = CaseStep.objects.get(case=euro_case, handler="final_invoice")
    result = issue_final_invoice(euro_case, step)

    assert result["invoice"] == "FIN-2024-000001"
    assert FinalInvoice.objects.count() == 1
