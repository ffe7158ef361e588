"""The arithmetic of a final invoice: net, tax and totals from a closing statement.

Every amount is rounded half up to the currency's minor unit (``offboarding.money``),
and tax is rounded by one of two rules, chosen by ``OFFBOARDING["INVOICE_ROUNDING"]``:

- ``"line"``: each line's tax is rounded, and the totals are sums of rounded figures.
- ``"document"``: tax is rounded once per tax group over the sum of that group's lines.
  When prices include tax, the cent that the line nets lose to rounding goes to the
  group's largest line, so the lines still add up to the group's taxable amount.

A tax group is the lines that share a VAT category, a rate and an exemption reason
(``offboarding.invoices.tax_categories`` checks each line's category). With prices that
include tax, both rules keep each group's total equal to the sum of the gross amounts the
customer paid, so the balance comes out to zero whenever the billing system's payments
and refunds match its charges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext

from offboarding.billing.base import ClosingStatement, StatementLine, StatementPayment
from offboarding.invoices.tax_categories import LineTax, check_breakdown, line_tax
from offboarding.money import quantize

LINE = "line"
DOCUMENT = "document"
ROUNDING_RULES = (LINE, DOCUMENT)

HUNDRED = Decimal(100)


@dataclass
class DraftLine:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal | None
    gross_amount: Decimal
    period_start: datetime | None
    period_end: datetime | None
    tax_category: LineTax


@dataclass
class TaxGroup:
    """The lines of one VAT category, rate and exemption reason, with their tax.

    ``exemption_reason`` may be a lazy translation; it takes the invoice's language when
    the invoice is stored.
    """

    category: str
    rate: Decimal
    basis: Decimal
    tax: Decimal
    exemption_reason: str | Promise = ""
    exemption_reason_code: str = ""


@dataclass
class InvoiceDraft:
    currency: str
    rounding: str
    prices_include_tax: bool
    lines: list[DraftLine]
    tax_groups: list[TaxGroup]
    payments: list[StatementPayment] = field(default_factory=list)
    refunds: list[StatementPayment] = field(default_factory=list)

    @property
    def net_total(self) -> Decimal:
        return sum((group.basis for group in self.tax_groups), Decimal(0))

    @property
    def tax_total(self) -> Decimal:
        return sum((group.tax for group in self.tax_groups), Decimal(0))

    @property
    def gross_total(self) -> Decimal:
        return self.net_total + self.tax_total

    @property
    def paid_total(self) -> Decimal:
        return quantize(sum((p.amount for p in self.payments), Decimal(0)), self.currency)

    @property
    def refunded_total(self) -> Decimal:
        return quantize(sum((r.amount for r in self.refunds), Decimal(0)), self.currency)

    @property
    def balance_due(self) -> Decimal:
        """What the customer still owes (positive) or is owed (negative)."""
        return self.gross_total - self.paid_total + self.refunded_total


def compute_draft(statement: ClosingStatement, rounding: str) -> InvoiceDraft:
    """Compute the lines, tax groups and totals of ``statement`` under ``rounding``.

    Raises ``ValueError`` when a line's VAT category, rate or exemption reason breaks the
    rules of EN 16931, naming the line.
    """
    if rounding not in ROUNDING_RULES:
        raise ValueError(
            f"Invalid invoice rounding {rounding!r}; expected one of {ROUNDING_RULES}."
        )
    if not statement.lines:
        raise ValueError(f"The closing statement of account {statement.account_key} has no lines.")

    currency = statement.currency
    lines = [
        _line(line, position, currency, statement.prices_include_tax, rounding)
        for position, line in enumerate(statement.lines, start=1)
    ]
    check_breakdown((position, line.tax_category) for position, line in enumerate(lines, start=1))
    groups = _tax_groups(lines, currency, statement.prices_include_tax, rounding)
    return InvoiceDraft(
        currency=currency,
        rounding=rounding,
        prices_include_tax=statement.prices_include_tax,
        lines=lines,
        tax_groups=groups,
        payments=list(statement.payments),
        refunds=list(statement.refunds),
    )


def _line(
    line: StatementLine, position: int, currency: str, prices_include_tax: bool, rounding: str
) -> DraftLine:
    amount = quantize(line.amount, currency)
    rate = Decimal(line.tax_rate)
    checked = line_tax(
        subject=gettext('line %(position)s ("%(description)s")')
        % {"position": position, "description": line.description},
        rate=rate,
        category=line.tax_category,
        reason=line.tax_exemption_reason,
        reason_code=line.tax_exemption_reason_code,
    )
    if prices_include_tax:
        tax = quantize(amount * rate / (HUNDRED + rate), currency)
        net = (
            amount - tax
            if rounding == LINE
            else quantize(amount * HUNDRED / (HUNDRED + rate), currency)
        )
        gross = amount
    else:
        net = amount
        tax = quantize(net * rate / HUNDRED, currency)
        gross = net + tax
    # A credit is a negative quantity at a positive price, as EN 16931 forbids negative prices.
    quantity = Decimal(line.quantity) if net >= 0 else -Decimal(line.quantity)
    unit_price = abs(net) / abs(quantity) if quantity else Decimal(0)
    return DraftLine(
        kind=line.kind,
        description=line.description,
        quantity=quantity,
        unit_price=unit_price.quantize(Decimal("0.0001")),
        net_amount=net,
        tax_rate=rate,
        tax_amount=tax if rounding == LINE else None,
        gross_amount=gross if rounding == LINE or prices_include_tax else net,
        period_start=line.period_start,
        period_end=line.period_end,
        tax_category=checked,
    )


def _group_key(line: DraftLine) -> tuple[Decimal, str, str, str]:
    # Sorted by rate first, so invoices whose lines name no category list their groups
    # in the order they always had.
    category = line.tax_category
    return (
        line.tax_rate,
        category.category,
        category.exemption_reason_code,
        str(category.exemption_reason),
    )


def _tax_groups(
    lines: list[DraftLine], currency: str, prices_include_tax: bool, rounding: str
) -> list[TaxGroup]:
    by_group: dict[tuple[Decimal, str, str, str], list[DraftLine]] = defaultdict(list)
    for line in lines:
        by_group[_group_key(line)].append(line)

    groups = []
    for key in sorted(by_group):
        members = by_group[key]
        rate = key[0]
        if rounding == LINE:
            basis = sum((line.net_amount for line in members), Decimal(0))
            tax = sum((line.tax_amount or Decimal(0) for line in members), Decimal(0))
        elif prices_include_tax:
            gross = sum((line.gross_amount for line in members), Decimal(0))
            tax = quantize(gross * rate / (HUNDRED + rate), currency)
            basis = gross - tax
            _spread_residual(members, basis)
        else:
            basis = sum((line.net_amount for line in members), Decimal(0))
            tax = quantize(basis * rate / HUNDRED, currency)
        first = members[0].tax_category
        groups.append(
            TaxGroup(
                category=first.category,
                rate=rate,
                basis=basis,
                tax=tax,
                exemption_reason=first.exemption_reason,
                exemption_reason_code=first.exemption_reason_code,
            )
        )
    return groups


def _spread_residual(members: list[DraftLine], basis: Decimal) -> None:
    """Put the rounding difference between the group's basis and its line nets on the
    largest line, so the lines add up to the basis exactly."""
    residual = basis - sum((line.net_amount for line in members), Decimal(0))
    if not residual:
        return
    largest = max(members, key=lambda line: abs(line.net_amount))
    largest.net_amount += residual
    if largest.quantity:
        largest.unit_price = (abs(largest.net_amount) / abs(largest.quantity)).quantize(
            Decimal("0.0001")
        )
