"""A long final invoice: the line table spans pages, repeats its header, counts pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from offboarding.billing.local import LocalLedgerBackend
from offboarding.invoices import services
from offboarding.models import Actor, LedgerEntry, LedgerSubscription
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.invoices.conftest import pdf_pages_text

USAGE_LINES = 119  # plus the period charge: 120 lines


def test_120_lines_span_pages(invoice_settings, frozen_clock, monthly_plan, customer):
    frozen_clock.at(utc(2024, 4, 1))
    ledger = LocalLedgerBackend()
    subscription = ledger.subscribe(str(customer.pk), "team-monthly", utc(2024, 4, 1))
    usage = [
        LedgerEntry(
            subscription=subscription,
            kind=LedgerEntry.Kind.USAGE,
            description=f"API calls, batch {index + 1}",
            amount=Decimal("1.25"),
            currency="EUR",
            occurred_at=utc(2024, 4, 2) + timedelta(hours=index),
        )
        for index in range(USAGE_LINES)
    ]
    LedgerEntry.objects.bulk_create(usage)
    LedgerEntry.objects.create(
        subscription=subscription,
        kind=LedgerEntry.Kind.PAYMENT,
        description="Usage payment",
        amount=-Decimal("1.25") * USAGE_LINES,
        currency="EUR",
        occurred_at=utc(2024, 4, 28),
    )
    frozen_clock.at(utc(2024, 4, 19))
    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    frozen_clock.at(utc(2024, 5, 1))
    lifecycle.reach_boundary(case)

    invoice = services.issue_final_invoice(case)
    pages = pdf_pages_text(services.read_pdf(invoice))

    assert LedgerSubscription.objects.get().status == "canceled"
    assert invoice.lines.count() == 120
    assert invoice.gross_total == Decimal("178.75")
    assert invoice.balance_due == 0
    assert len(pages) >= 3
    table_pages = [text for text in pages if "API calls, batch" in text]
    assert len(table_pages) >= 3
    for text in table_pages:
        assert "Description Quantity Unit price (net) Tax % Amount (gross)" in " ".join(
            text.split()
        )
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in " ".join(text.split()), number
    found = re.findall(r"API calls, batch (\d+)", " ".join(pages))
    assert sorted(map(int, found)) == list(range(1, USAGE_LINES + 1))
