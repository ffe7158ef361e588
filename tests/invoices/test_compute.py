"""Tax and totals of a final invoice under each rounding rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offboarding.billing.base import ClosingStatement, StatementLine, StatementPayment
from offboarding.invoices.compute import compute_draft
from tests.conftest import utc

D = Decimal


def statement(amounts, *, rate="19", currency="EUR", include_tax=True, paid=None):
    lines = [
        StatementLine("usage", f"Item {i}", D(a), tax_rate=D(rate)) for i, a in enumerate(amounts)
    ]
    payments = [StatementPayment("Payment", D(paid), utc(2024, 4, 1))] if paid else []
    return ClosingStatement(
        "1", currency, lines=lines, payments=payments, prices_include_tax=include_tax
    )


def test_gross_prices_line_rounding():
    draft = compute_draft(statement(["0.99"] * 3, paid="2.97"), "line")

    assert [line.tax_amount for line in draft.lines] == [D("0.16")] * 3
    assert [line.net_amount for line in draft.lines] == [D("0.83")] * 3
    assert (draft.net_total, draft.tax_total, draft.gross_total) == (
        D("2.49"),
        D("0.48"),
        D("2.97"),
    )
    assert draft.balance_due == 0


def test_gross_prices_document_rounding():
    draft = compute_draft(statement(["0.99"] * 3, paid="2.97"), "document")

    assert [line.tax_amount for line in draft.lines] == [None] * 3
    assert [line.net_amount for line in draft.lines] == [D("0.84"), D("0.83"), D("0.83")]
    assert (draft.net_total, draft.tax_total, draft.gross_total) == (
        D("2.50"),
        D("0.47"),
        D("2.97"),
    )
    assert draft.balance_due == 0


def test_net_prices_line_rounding():
    draft = compute_draft(statement(["0.83"] * 3, include_tax=False, paid="2.97"), "line")

    assert [line.gross_amount for line in draft.lines] == [D("0.99")] * 3
    assert (draft.net_total, draft.tax_total, draft.gross_total) == (
        D("2.49"),
        D("0.48"),
        D("2.97"),
    )
    assert draft.balance_due == 0


def test_net_prices_document_rounding():
    draft = compute_draft(statement(["0.83"] * 3, include_tax=False, paid="2.97"), "document")

    assert (draft.net_total, draft.tax_total, draft.gross_total) == (
        D("2.49"),
        D("0.47"),
        D("2.96"),
    )
    assert draft.balance_due == D("-0.01")


def test_yen_tax_has_no_decimals():
    draft = compute_draft(statement(["1000"], rate="10", currency="JPY", paid="1000"), "line")

    assert draft.lines[0].tax_amount == D("91")
    assert draft.lines[0].net_amount == D("909")
    assert draft.balance_due == 0


def test_rates_grouped_separately():
    lines = [
        StatementLine("usage", "A", D("11.90"), tax_rate=D("19")),
        StatementLine("usage", "B", D("10.70"), tax_rate=D("7")),
    ]
    draft = compute_draft(ClosingStatement("1", "EUR", lines=lines), "document")

    assert [(g.rate, g.basis, g.tax) for g in draft.tax_groups] == [
        (D("7"), D("10.00"), D("0.70")),
        (D("19"), D("10.00"), D("1.90")),
    ]
    assert draft.balance_due == D("22.60")


def test_credit_has_negative_quantity():
    draft = compute_draft(statement(["30.00", "-12.00"], rate="0", paid="18.00"), "line")

    assert [(line.quantity, line.unit_price) for line in draft.lines] == [
        (D("1"), D("30.00")),
        (D("-1"), D("12.00")),
    ]


def test_unknown_rounding_rejected():
    with pytest.raises(ValueError, match="Invalid invoice rounding 'bank'"):
        compute_draft(statement(["1.00"]), "bank")


def test_empty_statement_rejected():
    with pytest.raises(ValueError, match="has no lines"):
        compute_draft(ClosingStatement("1", "EUR"), "line")
