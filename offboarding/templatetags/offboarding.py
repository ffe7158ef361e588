"""Template tags for host pages and the portal: the cancel entry and optional panels."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Panels that other parts of the app, or the host, may provide for the status page.
PANEL_TEMPLATES = {
    "export": "offboarding/portal/_export_panel.html",
    "invoice": "offboarding/portal/_invoice_panel.html",
}


@register.inclusion_tag("offboarding/portal/_cancel_entry.html", takes_context=True)
def offboarding_cancel_entry(context: template.Context) -> dict[str, Any]:
    """Render the "Cancel subscription" entry that links to the portal."""
    return {"request": context.get("request"), "user": context.get("user")}


@register.simple_tag(takes_context=True)
def offboarding_panel(context: template.Context, name: str) -> SafeString:
    """Render the portal panel ``name`` if a template provides it, else nothing.

    Panels are optional: a host or app part that does not ship one leaves no gap.
    """
    path = PANEL_TEMPLATES.get(name)
    if path is None:
        return mark_safe("")  # noqa: S308 - an empty string holds no markup.
    try:
        panel = get_template(path)
    except template.TemplateDoesNotExist:
        return mark_safe("")  # noqa: S308
    values = {str(key): value for key, value in context.flatten().items()}
    rendered = panel.render(values, context.get("request"))
    return mark_safe(rendered)  # noqa: S308 - a rendered template, escaped by its engine.
