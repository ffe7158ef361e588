"""Admin for the exports part: a read-only list of exports and a case action to start one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from offboarding.admin.case_actions import ACT_ON_CASE, CaseAction, ReasonForm, register_action
from offboarding.admin.times import ZonedTimesMixin
from offboarding.models import Actor, DataExport, ExportFormat, OffboardingCase


@admin.register(DataExport)
class DataExportAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Exports as a record: staff read them here and start new ones from a case."""

    list_display = [
        "short_token",
        "account_key",
        "status",
        "progress",
        "formats",
        "requested_at",
        "ready_at",
        "first_downloaded_at",
        "file_count",
        "size_bytes",
        "attempts",
    ]
    list_filter = ["status", "requested_by_kind"]
    search_fields = ["account_key", "token", "case__public_id"]
    date_hierarchy = "requested_at"
    list_select_related = ["case"]
    readonly_fields = [field.name for field in DataExport._meta.fields]

    @admin.display(description=_("export"))
    def short_token(self, export: DataExport) -> str:
        return export.token[:8]

    @admin.display(description=_("progress"))
    def progress(self, export: DataExport) -> str:
        return f"{export.progress_done}/{export.progress_total}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StartExportForm(ReasonForm):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=ExportFormat.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["csv", "json"],
    )

    field_order = ["formats", "reason"]


def _start_export(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    from offboarding.exports import service

    service.request_export(
        case.account_key, list(data["formats"]), actor=actor, case=case, reason=data["reason"]
    )


register_action(
    CaseAction(
        name="start_export",
        label=_("Start a data export for the customer"),
        permission=ACT_ON_CASE,
        form_class=StartExportForm,
        run=_start_export,
        offered=lambda case: case.purge_started_at is None,
        done_message=_(
            "The export has started. The customer downloads it from the portal once "
            "it is ready; its progress is listed under Data exports."
        ),
    )
)
