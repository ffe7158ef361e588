"""Admin for the local ledger: plans with their VAT category, and subscriptions, read only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from offboarding.admin.invoices import ReadOnlyInline
from offboarding.models.ledger import LedgerEntry, LedgerSubscription, Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "amount",
        "currency",
        "interval",
        "tax_rate",
        "tax_category",
        "tax_exemption_reason",
        "is_free",
    ]
    list_filter = ["currency", "interval", "tax_category", "is_free"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "amount", "currency", "interval", "trial_days"]}),
        (
            _("Tax"),
            {
                "fields": [
                    "tax_rate",
                    "tax_category",
                    "tax_exemption_reason",
                    "tax_exemption_reason_code",
                ]
            },
        ),
        (_("Free tier"), {"fields": ["is_free"]}),
    ]


ENTRY_FIELDS = ("occurred_at", "kind", "description", "amount", "currency", "tax_rate")


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS
    ordering = ("occurred_at", "pk")


@admin.register(LedgerSubscription)
class LedgerSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions and their entries, read only.

    Subscriptions change only through the billing backend (``LocalLedgerBackend``), which
    writes the charges, credits and payments that belong to each change.
    """

    list_display = ["account_key", "plan", "status", "anchor_at", "cancel_at", "pause_ends_at"]
    list_filter = ["status", "plan"]
    search_fields = ["account_key"]
    readonly_fields = [field.name for field in LedgerSubscription._meta.fields]
    inlines = [LedgerEntryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
