"""Template filters of the portal pages."""

from __future__ import annotations

from django import template

from offboarding.models import DataExport

register = template.Library()


@register.filter
def export_wait(export: DataExport) -> str:
    """Return "queued", "late" or "" for an export, as :func:`views.exports.export_wait` does."""
    from offboarding.views.exports import export_wait as wait_state

    return wait_state(export)
