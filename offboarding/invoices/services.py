"""Issuing, rendering and delivering the final invoice of a case.

Each step is idempotent: a case has at most one final invoice (a one-to-one row), its
PDF is rendered once (a one-to-one document row), and the notice is unique per case.
"""

from __future__ import annotations

import hashlib
import logging
import zoneinfo
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from offboarding import clock
from offboarding.adapter import PartyDetails, get_adapter
from offboarding.conf import app_settings
from offboarding.invoices.checks import SERIES_PATTERN
from offboarding.invoices.compute import InvoiceDraft, TaxGroup, compute_draft
from offboarding.invoices.tax_categories import check_parties
from offboarding.models import Actor, OffboardingCase
from offboarding.models.invoices import (
    FinalInvoice,
    FinalInvoiceClosure,
    FinalInvoiceDocument,
    FinalInvoiceLine,
    FinalInvoicePayment,
    InvoiceCounter,
)
from offboarding.money import format_money

logger = logging.getLogger(__name__)

UNBALANCED_ACTION = "final_invoice_unbalanced"


class UnbalancedInvoice(Exception):
    """The billing data of a case does not settle to a zero balance; nothing was issued."""

    def __init__(self, case: OffboardingCase, draft: InvoiceDraft) -> None:
        self.case = case
        self.draft = draft
        super().__init__(
            f"The final invoice of case {case.public_id} does not balance: "
            f"{draft.balance_due} {draft.currency} remain after payments and refunds "
            f"(total {draft.gross_total}, paid {draft.paid_total}, refunded {draft.refunded_total})."
        )


# Numbering


def take_number(series: str, year: int) -> int:
    """Take the next number of ``series`` in ``year``; call inside the issuing transaction.

    The counter row stays locked until that transaction ends, so concurrent issuers
    wait in turn, and a rolled-back issue gives its number back: no gaps, no duplicates.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "take_number() must run inside the transaction that issues the invoice."
        )
    # get_or_create inserts in a savepoint and re-reads on a unique conflict, so two
    # first issuers of a new year end up on the same row.
    InvoiceCounter.objects.get_or_create(series=series, year=year)
    counter = InvoiceCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


# Issuing


def issue_final_invoice(case: OffboardingCase, *, now: datetime | None = None) -> FinalInvoice:
    """Issue the final invoice of ``case`` from the billing backend's closing statement.

    Returns the existing invoice when there is one. Raises :class:`UnbalancedInvoice`
    and issues nothing when the statement does not settle to zero, and ``ValueError`` when
    its VAT categories break EN 16931's rules or need party details that are missing.
    """
    existing = FinalInvoice.objects.filter(case=case).first()
    if existing is not None:
        return existing
    series = str(app_settings.INVOICE_SERIES)
    if not SERIES_PATTERN.fullmatch(series):
        raise ValueError(
            f'Invalid OFFBOARDING["INVOICE_SERIES"] {series!r}: use 1 to 16 upper-case letters or digits.'
        )

    adapter = get_adapter()
    now = now or clock.now()
    statement = adapter.get_billing_backend().closing_statement(case.account_key, now)
    draft = compute_draft(statement, app_settings.INVOICE_ROUNDING)
    if draft.balance_due != 0:
        raise UnbalancedInvoice(case, draft)

    account = adapter.get_account(case.account_key)
    seller = adapter.get_seller_details()
    buyer = (
        adapter.get_buyer_details(account)
        if account is not None
        else PartyDetails(name=case.account_label or case.account_key)
    )
    language = adapter.get_language(account) if account is not None else settings.LANGUAGE_CODE
    zone = adapter.get_timezone(account) if account is not None else zoneinfo.ZoneInfo("UTC")
    issue_date = timezone.localtime(now, zone).date()
    seller_details, buyer_details = asdict(seller), asdict(buyer)
    check_parties(
        (group.category for group in draft.tax_groups),
        seller_details,
        buyer_details,
        has_period=bool(statement.period_start and statement.period_end),
    )

    with transaction.atomic():
        OffboardingCase.objects.select_for_update().get(pk=case.pk)
        existing = FinalInvoice.objects.filter(case=case).first()
        if existing is not None:
            return existing
        sequence = take_number(series, issue_date.year)
        invoice = FinalInvoice.objects.create(
            case=case,
            account_key=case.account_key,
            number=FinalInvoice.format_number(series, issue_date.year, sequence),
            series=series,
            year=issue_date.year,
            sequence=sequence,
            issued_at=now,
            issue_date=issue_date,
            currency=draft.currency,
            period_start=statement.period_start,
            period_end=statement.period_end,
            rounding=draft.rounding,
            prices_include_tax=draft.prices_include_tax,
            language=language,
            time_zone=str(zone),
            seller=seller_details,
            buyer=buyer_details,
            tax_breakdown=[_breakdown_entry(group, language) for group in draft.tax_groups],
            net_total=draft.net_total,
            tax_total=draft.tax_total,
            gross_total=draft.gross_total,
            paid_total=draft.paid_total,
            refunded_total=draft.refunded_total,
            balance_due=draft.balance_due,
        )
        _write_rows(invoice, draft, statement.closed_items)

    logger.info("Final invoice %s issued for case %s", invoice.number, case.public_id)
    return invoice


def _breakdown_entry(group: TaxGroup, language: str) -> dict[str, str]:
    # A default exemption reason is a lazy translation: store it in the invoice's language.
    with translation.override(language):
        reason = str(group.exemption_reason)
    return {
        "rate": str(group.rate),
        "category": group.category,
        "basis": str(group.basis),
        "tax": str(group.tax),
        "exemption_reason": reason,
        "exemption_reason_code": group.exemption_reason_code,
    }


def _write_rows(invoice: FinalInvoice, draft: InvoiceDraft, closed_items: list) -> None:
    FinalInvoiceLine.objects.bulk_create(
        [
            FinalInvoiceLine(
                invoice=invoice,
                position=position,
                kind=line.kind,
                description=line.description[:200],
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                tax_rate=line.tax_rate,
                tax_category=line.tax_category.category,
                tax_amount=line.tax_amount,
                gross_amount=line.gross_amount,
                period_start=line.period_start,
                period_end=line.period_end,
            )
            for position, line in enumerate(draft.lines, start=1)
        ]
    )
    settled = [(FinalInvoicePayment.Kind.PAYMENT, payment) for payment in draft.payments] + [
        (FinalInvoicePayment.Kind.REFUND, refund) for refund in draft.refunds
    ]
    FinalInvoicePayment.objects.bulk_create(
        [
            FinalInvoicePayment(
                invoice=invoice,
                kind=kind,
                description=movement.description[:200],
                amount=movement.amount,
                occurred_at=movement.occurred_at,
            )
            for kind, movement in settled
        ]
    )
    FinalInvoiceClosure.objects.bulk_create(
        [
            FinalInvoiceClosure(
                invoice=invoice,
                reference=item.reference[:120],
                description=item.description[:200],
                closed_at=item.closed_at,
            )
            for item in closed_items
        ]
    )


def flag_unbalanced(error: UnbalancedInvoice) -> None:
    """Flag the case for staff once, with the figures that do not add up."""
    case = error.case
    case.refresh_from_db()
    draft = error.draft
    reason = (
        f"Final invoice not issued: balance {draft.balance_due} {draft.currency} "
        f"(total {draft.gross_total}, paid {draft.paid_total}, refunded {draft.refunded_total})"
    )
    if case.needs_attention and case.attention_reason == reason:
        return
    case.record(
        UNBALANCED_ACTION,
        actor=Actor.system(),
        reason=reason,
        data={"balance_due": str(draft.balance_due), "currency": draft.currency},
        needs_attention=True,
        attention_reason=reason,
    )
    logger.warning("Final invoice of case %s does not balance; flagged for staff", case.public_id)


# The PDF


def storage():
    return storages[app_settings.STORAGE_ALIAS]


def ensure_document(invoice: FinalInvoice) -> FinalInvoiceDocument:
    """Render and store the invoice's PDF once; return its document row."""
    existing = FinalInvoiceDocument.objects.filter(invoice=invoice).first()
    if existing is not None:
        return existing

    from offboarding.invoices.document import render_invoice_pdf

    pdf = render_invoice_pdf(invoice)
    files = storage()
    name = f"offboarding/invoices/{invoice.year}/{invoice.number}-{invoice.token[:12]}.pdf"
    if files.exists(name):
        # Left by an attempt that stopped before writing its row; the invoice is
        # immutable, so the new rendering replaces it.
        files.delete(name)
    stored_name = files.save(name, ContentFile(pdf))
    try:
        with transaction.atomic():
            document = FinalInvoiceDocument.objects.create(
                invoice=invoice,
                storage_name=stored_name,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                rendered_at=timezone.now(),
            )
    except IntegrityError:
        # Another worker stored the PDF first; keep theirs.
        document = FinalInvoiceDocument.objects.get(invoice=invoice)
        if document.storage_name != stored_name:
            files.delete(stored_name)
        return document
    logger.info("Final invoice %s rendered (%s bytes)", invoice.number, len(pdf))
    return document


def read_pdf(invoice: FinalInvoice) -> bytes:
    document = ensure_document(invoice)
    with storage().open(document.storage_name, "rb") as handle:
        return handle.read()


def download_filename(invoice: FinalInvoice) -> str:
    return f"{invoice.number}.pdf"


# Delivery


def notice_context(invoice: FinalInvoice) -> dict[str, Any]:
    """Return the email context: plain strings, formatted in the invoice's language."""

    def money(amount: Decimal) -> str:
        return format_money(amount, invoice.currency, invoice.language)

    zone = zoneinfo.ZoneInfo(invoice.time_zone)
    with translation.override(invoice.language):
        closed_items = []
        for closure in invoice.closures.all():
            closed_at = timezone.localtime(closure.closed_at, zone)
            closed_items.append(
                {
                    "description": closure.description,
                    "closed_date": date_format(closed_at, "DATE_FORMAT"),
                    "closed_time": date_format(closed_at, "H:i T"),
                }
            )
        issue_date = date_format(invoice.issue_date, "DATE_FORMAT")
    return {
        "invoice_number": invoice.number,
        "invoice_date": issue_date,
        "invoice_total": money(invoice.gross_total),
        "invoice_paid": money(invoice.paid_total),
        "invoice_refunded": money(invoice.refunded_total),
        "invoice_balance": money(invoice.balance_due),
        "has_refund": invoice.refunded_total != 0,
        "closed_items": closed_items,
    }


def deliver(invoice: FinalInvoice) -> bool:
    """Queue the email with the PDF attached; return False when the app has no notices."""
    try:
        from offboarding.notices.api import queue_notice
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("offboarding.notices"):
            raise
        logger.warning(
            "Final invoice %s not emailed: offboarding.notices is not installed", invoice.number
        )
        return False

    document = ensure_document(invoice)
    queue_notice(
        invoice.case,
        "final_invoice",
        "final_invoice",
        notice_context(invoice),
        attachments=[(download_filename(invoice), document.storage_name, "application/pdf")],
    )
    return True
