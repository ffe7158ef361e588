"""Final invoices: issued once per case at the boundary, numbered gapless, never changed.

Every row here is written once. ``save()`` on a stored row, ``delete()`` and queryset
``update()``/``delete()`` raise ``TypeError``, because an issued invoice is a legal
document: a correction is a new document, not an edit.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offboarding.formatting import format_amount
from offboarding.invoices import tax_categories
from offboarding.models.cases import OffboardingCase


def new_invoice_token() -> str:
    """Return a random, URL-safe token that names an invoice in download URLs."""
    return secrets.token_urlsafe(24)


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Issued invoice rows are immutable.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Issued invoice rows are immutable.")


class ImmutableModel(models.Model):
    """A row that can be inserted and read, never changed or deleted through the ORM."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are immutable once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{type(self).__name__} rows are immutable once written.")


class InvoiceCounter(models.Model):
    """The last number issued in one series and year; locked while a number is taken."""

    series = models.CharField(_("series"), max_length=16)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year"], name="offboarding_invoice_counter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class Rounding(models.TextChoices):
    LINE = "line", _("per line")
    DOCUMENT = "document", _("per document")


class FinalInvoice(ImmutableModel):
    """The last invoice of a subscription, with closure lines and a zero balance."""

    token = models.CharField(
        _("token"), max_length=40, unique=True, default=new_invoice_token, editable=False
    )
    case = models.OneToOneField(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="final_invoice",
        verbose_name=_("case"),
    )
    account_key = models.CharField(_("account"), max_length=64, db_index=True)
    number = models.CharField(_("invoice number"), max_length=40, unique=True)
    series = models.CharField(_("series"), max_length=16)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    issued_at = models.DateTimeField(_("issued"))
    issue_date = models.DateField(_("invoice date"))
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    rounding = models.CharField(_("tax rounding"), max_length=16, choices=Rounding.choices)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    language = models.CharField(_("language"), max_length=16)
    time_zone = models.CharField(_("time zone"), max_length=64)
    seller = models.JSONField(_("seller"), default=dict)
    buyer = models.JSONField(_("buyer"), default=dict)
    # [{"category": "S", "rate": "19.00", "basis": "25.21", "tax": "4.79",
    #   "exemption_reason": "", "exemption_reason_code": ""}, ...]: amounts in currency
    # units as strings, one entry per VAT category, rate and exemption reason. Entries of
    # invoices issued before exemption reasons were stored have no reason keys.
    tax_breakdown = models.JSONField(_("tax breakdown"), default=list)
    net_total = models.DecimalField(_("net total"), max_digits=14, decimal_places=4)
    tax_total = models.DecimalField(_("tax total"), max_digits=14, decimal_places=4)
    gross_total = models.DecimalField(_("total"), max_digits=14, decimal_places=4)
    paid_total = models.DecimalField(_("payments applied"), max_digits=14, decimal_places=4)
    refunded_total = models.DecimalField(_("refunds"), max_digits=14, decimal_places=4)
    balance_due = models.DecimalField(_("balance"), max_digits=14, decimal_places=4)

    class Meta:
        verbose_name = _("final invoice")
        verbose_name_plural = _("final invoices")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "sequence"], name="offboarding_invoice_number_once"
            ),
            # A final invoice is only issued when it settles the account.
            models.CheckConstraint(
                condition=Q(balance_due=0), name="offboarding_invoice_balance_zero"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def format_number(series: str, year: int, sequence: int) -> str:
        return f"{series}-{year}-{sequence:06d}"


class FinalInvoiceLine(ImmutableModel):
    """A charge or credit; credits have a negative quantity and a positive unit price."""

    invoice = models.ForeignKey(FinalInvoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=24)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("unit price (net)"), max_digits=14, decimal_places=4)
    net_amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=4)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=2)
    # Blank on lines issued before categories were stored: those are "S" above 0 % and
    # "Z" at 0 % (tax_categories.category_for_rate).
    tax_category = models.CharField(
        _("VAT category"),
        max_length=2,
        blank=True,
        default="",
        choices=tax_categories.CHOICES,
    )
    # Null when tax is rounded per document: then only the breakdown carries tax amounts.
    tax_amount = models.DecimalField(
        _("tax amount"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    gross_amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=4)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)

    class Meta:
        verbose_name = _("final invoice line")
        verbose_name_plural = _("final invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="offboarding_invoice_line_position_once"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def vat_category(self) -> str:
        """The line's VAT category code, also for lines stored without one."""
        return self.tax_category or tax_categories.category_for_rate(self.tax_rate)


class FinalInvoicePayment(ImmutableModel):
    """A payment applied to the invoice or a refund paid out, as a positive amount."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")

    invoice = models.ForeignKey(FinalInvoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=4)
    occurred_at = models.DateTimeField(_("date"))

    class Meta:
        verbose_name = _("final invoice payment")
        verbose_name_plural = _("final invoice payments")
        ordering = ["invoice", "occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_amount(self.amount, self.invoice.currency)}"


class FinalInvoiceClosure(ImmutableModel):
    """A subscription item that the invoice confirms as closed, with its date."""

    invoice = models.ForeignKey(FinalInvoice, on_delete=models.PROTECT, related_name="closures")
    reference = models.CharField(_("reference"), max_length=120)
    description = models.CharField(_("item"), max_length=200)
    closed_at = models.DateTimeField(_("closed"))

    class Meta:
        verbose_name = _("closed subscription item")
        verbose_name_plural = _("closed subscription items")
        ordering = ["invoice", "closed_at", "pk"]

    def __str__(self) -> str:
        return self.description


class FinalInvoiceDocument(ImmutableModel):
    """The rendered PDF/A-3 file of an invoice, with the Factur-X XML embedded."""

    invoice = models.OneToOneField(FinalInvoice, on_delete=models.PROTECT, related_name="document")
    storage_name = models.CharField(_("file"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    rendered_at = models.DateTimeField(_("rendered"))

    class Meta:
        verbose_name = _("final invoice PDF")
        verbose_name_plural = _("final invoice PDFs")

    def __str__(self) -> str:
        return self.storage_name
