"""Admin for the portal part: offers and survey are edited here, what customers did is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from offboarding.admin.times import ZonedTimesMixin
from offboarding.models.portal import (
    OfferEvent,
    SaveOffer,
    SurveyQuestion,
    SurveyReason,
    SurveyResponse,
)


@admin.register(SaveOffer)
class SaveOfferAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "pause_days",
        "discount_percent",
        "discount_months",
        "plan_codes",
        "reason_codes",
        "active",
        "order",
    ]
    list_editable = ["active", "order"]
    list_filter = ["kind", "active"]
    fieldsets = [
        (None, {"fields": ["kind", "headline", "active", "order"]}),
        (_("Pause"), {"fields": ["pause_days"]}),
        (_("Discount"), {"fields": ["discount_percent", "discount_months"]}),
        (_("Who sees it"), {"fields": ["plan_codes", "reason_codes"]}),
    ]


@admin.register(SurveyReason)
class SurveyReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "order", "active"]
    list_editable = ["label", "order", "active"]
    search_fields = ["code", "label"]


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["kind", "active"]


class ReadOnlyAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Records of what customers did: staff read them, nobody edits or deletes them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["case", "reason_code", "nps", "skipped", "answered_at"]
    list_filter = ["reason_code", "skipped"]
    list_select_related = ["case"]
    search_fields = ["case__public_id", "case__account_key"]
    date_hierarchy = "answered_at"


@admin.register(OfferEvent)
class OfferEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "action", "at"]
    list_filter = ["kind", "action"]
    list_select_related = ["case"]
    search_fields = ["case__public_id", "case__account_key"]
    date_hierarchy = "at"
