"""The final invoice as a Factur-X PDF: template context, layout, embedded CII XML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from offboarding.invoices import tax_categories
from offboarding.invoices.cii import build_cii_xml
from offboarding.invoices.pdf import html_to_pdf, render_html
from offboarding.money import format_money, to_babel_locale

TEMPLATE = "offboarding/invoice/final_invoice.html"


def _number(value: Decimal, language: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(Decimal(value).normalize(), locale=to_babel_locale(language))


def invoice_context(invoice: Any) -> dict[str, Any]:
    """Return the template context of ``invoice``, with every amount already formatted in
    the invoice's language, so an overriding template needs no template tags."""
    language, currency = invoice.language, invoice.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, language)

    lines = [
        {
            "line": line,
            "position": line.position,
            "description": line.description,
            "period_start": line.period_start,
            "period_last_day": line.period_end - timedelta(microseconds=1)
            if line.period_end
            else None,
            "quantity": _number(line.quantity, language),
            "unit_price": money(line.unit_price),
            # None where the line's category has no rate (category O).
            "tax_rate": (
                None
                if line.vat_category in tax_categories.WITHOUT_RATE
                else _number(line.tax_rate, language)
            ),
            "net_amount": money(line.net_amount),
            "amount": money(line.gross_amount),
        }
        for line in invoice.lines.all()
    ]
    payments = [
        {
            "payment": payment,
            "description": payment.description,
            "occurred_at": payment.occurred_at,
            # Signed by their effect on the balance: payments lower it, refunds raise it.
            "amount": money(payment.amount if payment.kind == "refund" else -payment.amount),
            "is_refund": payment.kind == "refund",
        }
        for payment in invoice.payments.all()
    ]
    tax_groups = [_tax_group(group, money, language) for group in invoice.tax_breakdown]
    return {
        "invoice": invoice,
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "lines": lines,
        "payments": payments,
        "closures": list(invoice.closures.all()),
        "period_last_day": (
            invoice.period_end - timedelta(microseconds=1) if invoice.period_end else None
        ),
        "tax_groups": tax_groups,
        "net_total": money(invoice.net_total),
        "tax_total": money(invoice.tax_total),
        "gross_total": money(invoice.gross_total),
        "paid_total": money(invoice.paid_total),
        "refunded_total": money(invoice.refunded_total),
        "balance_due": money(invoice.balance_due),
        "has_refunds": invoice.refunded_total != 0,
    }


def _tax_group(group: dict, money: Callable[[Decimal], str], language: str) -> dict[str, Any]:
    category = group["category"]
    return {
        "category": category,
        "category_label": tax_categories.LABELS.get(category, category),
        # None where the category has no rate (category O).
        "rate": (
            None
            if category in tax_categories.WITHOUT_RATE
            else _number(Decimal(group["rate"]), language)
        ),
        "basis": money(Decimal(group["basis"])),
        "tax": money(Decimal(group["tax"])),
        # The legal mention; a reason given only as a VATEX code prints the code. Entries
        # of invoices issued before exemption reasons were stored have neither key.
        "exemption_reason": group.get("exemption_reason")
        or group.get("exemption_reason_code", ""),
    }


def render_invoice_html(invoice: Any) -> str:
    return render_html(
        TEMPLATE, invoice_context(invoice), language=invoice.language, time_zone=invoice.time_zone
    )


def render_invoice_pdf(invoice: Any) -> bytes:
    """Return the PDF/A-3b of ``invoice`` with its CII XML embedded as factur-x.xml."""
    import facturx

    pdf = html_to_pdf(render_invoice_html(invoice))
    seller = invoice.seller.get("name", "")
    with translation.override(invoice.language):
        title = gettext("Final invoice %(number)s") % {"number": invoice.number}
    metadata = {
        "author": seller,
        "keywords": "Factur-X, Invoice",
        "title": title,
        "subject": f"Factur-X invoice {invoice.number} dated {invoice.issue_date:%Y-%m-%d} issued by {seller}",
    }
    return facturx.generate_from_binary(
        pdf,
        build_cii_xml(invoice),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata=metadata,
        lang=invoice.language,
    )
