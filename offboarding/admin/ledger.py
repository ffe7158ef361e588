"""Admin for the local ledger's plans, with the VAT category their invoice lines carry."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from offboarding.models.ledger import Plan


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
