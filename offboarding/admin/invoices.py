"""Admin for the invoices part: issued final invoices, read-only, with their PDF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from offboarding.admin.times import ZonedTimesMixin
from offboarding.formatting import format_amount
from offboarding.invoices import services
from offboarding.models import (
    FinalInvoice,
    FinalInvoiceClosure,
    FinalInvoiceLine,
    FinalInvoicePayment,
)


def money_field(model: type[models.Model], name: str) -> Callable[[Any, Any], str]:
    """Return an admin method that shows the amount field ``name`` in its invoice's currency.

    Lines and payments have no currency of their own, so they read their invoice's.
    """

    field = cast(models.Field, model._meta.get_field(name))

    @admin.display(description=field.verbose_name, ordering=name)
    def display(model_admin: Any, obj: Any) -> str:
        currency = obj.currency if isinstance(obj, FinalInvoice) else obj.invoice.currency
        return format_amount(getattr(obj, name), currency)

    return display


class ReadOnlyInline(ZonedTimesMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = FinalInvoiceLine
    fields = (
        "position",
        "kind",
        "description",
        "quantity",
        "unit_price_money",
        "net_amount_money",
        "tax_rate",
        "tax_category",
        "tax_amount_money",
        "gross_amount_money",
    )
    readonly_fields = fields
    unit_price_money = money_field(FinalInvoiceLine, "unit_price")
    net_amount_money = money_field(FinalInvoiceLine, "net_amount")
    tax_amount_money = money_field(FinalInvoiceLine, "tax_amount")
    gross_amount_money = money_field(FinalInvoiceLine, "gross_amount")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("invoice")


class PaymentInline(ReadOnlyInline):
    model = FinalInvoicePayment
    fields = ("kind", "description", "amount_money", "occurred_at")
    readonly_fields = fields
    amount_money = money_field(FinalInvoicePayment, "amount")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("invoice")


class ClosureInline(ReadOnlyInline):
    model = FinalInvoiceClosure
    fields = ("description", "reference", "closed_at")
    readonly_fields = fields


@admin.register(FinalInvoice)
class FinalInvoiceAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Issued invoices are legal documents: staff can read and download them, never edit."""

    list_display = [
        "number",
        "case_link",
        "issue_date",
        "currency",
        "gross_total_money",
        "balance_due_money",
        "pdf_link",
    ]
    list_filter = ["currency", "year", "series"]
    search_fields = ["number", "account_key", "case__public_id", "case__account_label"]
    date_hierarchy = "issue_date"
    list_select_related = ["case"]
    inlines = [LineInline, PaymentInline, ClosureInline]
    fields = (
        "number",
        "case_link",
        "account_key",
        "issued_at",
        "issue_date",
        "currency",
        "period_start",
        "period_end",
        "rounding",
        "prices_include_tax",
        "seller",
        "buyer",
        "tax_breakdown",
        "net_total_money",
        "tax_total_money",
        "gross_total_money",
        "paid_total_money",
        "refunded_total_money",
        "balance_due_money",
        "pdf_link",
    )
    readonly_fields = fields
    net_total_money = money_field(FinalInvoice, "net_total")
    tax_total_money = money_field(FinalInvoice, "tax_total")
    gross_total_money = money_field(FinalInvoice, "gross_total")
    paid_total_money = money_field(FinalInvoice, "paid_total")
    refunded_total_money = money_field(FinalInvoice, "refunded_total")
    balance_due_money = money_field(FinalInvoice, "balance_due")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(self.download_pdf)
        return [
            path("<path:object_id>/pdf/", download, name="offboarding_finalinvoice_pdf"),
            *super().get_urls(),
        ]

    def download_pdf(self, request: HttpRequest, object_id: str) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(FinalInvoice, pk=object_id)
        document = services.ensure_document(invoice)
        return FileResponse(
            services.storage().open(document.storage_name, "rb"),
            as_attachment=True,
            filename=services.download_filename(invoice),
            content_type="application/pdf",
        )

    @admin.display(description=_("case"))
    def case_link(self, invoice: FinalInvoice) -> str:
        url = reverse("admin:offboarding_offboardingcase_change", args=[invoice.case_id])
        return format_html('<a href="{}">{}</a>', url, invoice.case)

    @admin.display(description=_("PDF"))
    def pdf_link(self, invoice: FinalInvoice) -> str:
        url = reverse("admin:offboarding_finalinvoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download PDF"))
