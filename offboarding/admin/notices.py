"""Admin for the notices part: the cadence, the outbox with its failures, the unsubscribes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from offboarding.admin.times import ZonedTimesMixin
from offboarding.models import Actor
from offboarding.models.notices import CadenceStep, NoticeUnsubscribe, OutboxMessage, OutboxStatus
from offboarding.notices import sending

ACT_ON_CASE = "offboarding.act_on_offboardingcase"


@admin.register(CadenceStep)
class CadenceStepAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "trigger",
        "direction",
        "offset",
        "unit",
        "template",
        "required",
        "active",
        "position",
    ]
    list_editable = ["active", "position"]
    list_filter = ["trigger", "required", "active"]
    search_fields = ["code", "template"]
    ordering = ["position", "pk"]
    fieldsets = [
        (None, {"fields": ["code", "active", "position"]}),
        (_("When"), {"fields": ["trigger", "direction", "offset", "unit"]}),
        (_("What"), {"fields": ["template", "required"]}),
    ]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = [
        "key",
        "case",
        "template",
        "required",
        "status",
        "attempts",
        "due_at",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "required", "template"]
    search_fields = ["case__public_id__exact", "case__account_key__exact", "key"]
    list_select_related = ["case"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [
        "case",
        "key",
        "step",
        "anchor_at",
        "template",
        "context",
        "attachments",
        "required",
        "status",
        "due_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "message_id",
        "cancel_reason",
        "created_at",
        "sent_at",
    ]
    exclude = ["delivered_to"]

    # Read-only: messages change by being sent, cancelled or sent again.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_act_on_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACT_ON_CASE)

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    @admin.action(description=_("Send again"), permissions=["act_on"])
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        resendable = [OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.SENT]
        chosen = list(queryset.select_related("case"))
        queued = 0
        for message in chosen:
            if message.status not in resendable:
                continue
            sending.resend(message, actor=Actor.staff(request.user))
            queued += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued to be sent again.",
                "%(count)d messages queued to be sent again.",
                queued,
            )
            % {"count": queued},
            messages.SUCCESS,
        )
        if queued < len(chosen):
            self.message_user(
                request,
                _("Pending messages and messages being sent were left as they are."),
                messages.WARNING,
            )


@admin.register(NoticeUnsubscribe)
class NoticeUnsubscribeAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = ["account_key", "case", "created_at"]
    search_fields = ["account_key__exact"]
    readonly_fields = ["account_key", "contact_digest", "case", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
