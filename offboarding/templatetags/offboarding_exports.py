"""Template tag of the export panel: the account's recent exports and fresh download links."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.models import DataExport

register = template.Library()

# Exports listed on the panel, newest first.
PANEL_EXPORTS = 5


@dataclass
class ExportRow:
    export: DataExport
    download_url: str = ""


@dataclass
class ExportPanelState:
    """State of the export panel: whether the user may export, and the recent exports."""

    allowed: bool = False
    exports: list[ExportRow] = field(default_factory=list)
    has_active: bool = False
    form: Any = None


@register.filter
def export_format_names(export: DataExport) -> str:
    """Return the names of the formats an export's archive holds, in a fixed order: "CSV, JSON"."""
    from offboarding.exports.formats import FORMATS

    chosen = set(export.formats or [])
    return ", ".join(fmt.upper() for fmt in FORMATS if fmt in chosen)


@register.simple_tag(takes_context=True)
def export_panel_state(context: template.Context) -> ExportPanelState:
    """Return the export panel's state for the request's user and account."""
    from offboarding.exports import links
    from offboarding.views.exports import ExportRequestForm

    request = context.get("request")
    state = ExportPanelState()
    if request is None or not getattr(request.user, "is_authenticated", False):
        return state
    adapter = get_adapter()
    case = context.get("case")
    # The status fragment names its export's account; the portal page names its case.
    account_key = context.get("export_account_key") or (case.account_key if case else None)
    if account_key:
        account = adapter.get_account(account_key)
    else:
        account = adapter.get_account_for_user(request, request.user)
    if account is None or not adapter.can_offboard(request.user, account):
        return state

    state.allowed = True
    state.form = ExportRequestForm()
    now = clock.now()
    account_key = adapter.get_account_key(account)
    for export in DataExport.objects.for_account(account_key)[:PANEL_EXPORTS]:
        row = ExportRow(export)
        if export.is_ready and export.expires_at and export.expires_at > now:
            row.download_url = links.download_url(export)
        state.has_active = state.has_active or export.is_active
        state.exports.append(row)
    return state
