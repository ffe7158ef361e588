"""PDF rendering with WeasyPrint: the bundled font, the base stylesheet, PDF/A-3b output.

Other documents of the app (the deletion certificate) reuse this module: render a
template whose ``<style>`` includes ``offboarding/invoice/base.css`` with
:func:`render_pdf`, which adds ``fonts_url`` and ``page_counter`` to the context.
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import strip_spaces_between_tags
from django.utils.translation import gettext

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
PDF_VARIANT = "pdf/a-3b"

_PLACEHOLDER = re.compile(r"(%\((?:page|pages)\)s)")


def fonts_url() -> str:
    """Return the file:// URL of the bundled fonts folder (DejaVu Sans), ending in "/"."""
    return FONTS_DIR.as_uri() + "/"


def css_string(text: str) -> str:
    """Quote ``text`` as a CSS string that is also safe inside an HTML ``<style>``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return '"' + escaped.replace("<", "\\3c ") + '"'


def page_counter_content(label: str) -> str:
    """Turn a translated "Page %(page)s of %(pages)s" into a CSS ``content`` value that
    prints the page counters, so every language keeps its own word order."""
    parts = []
    for part in _PLACEHOLDER.split(label):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(css_string(part))
    return " ".join(parts)


def pdf_context() -> dict[str, Any]:
    """Return the context every PDF template needs: the font folder and the page label."""
    return {
        "fonts_url": fonts_url(),
        "page_counter": page_counter_content(gettext("Page %(page)s of %(pages)s")),
    }


def render_html(
    template_name: str, context: dict[str, Any], *, language: str, time_zone: str
) -> str:
    """Render ``template_name`` in ``language`` with dates shown in ``time_zone``."""
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(time_zone)):
        return render_to_string(template_name, {**pdf_context(), **context})


def html_to_pdf(html: str, *, pdf_variant: str | None = PDF_VARIANT) -> bytes:
    """Lay out ``html`` and return the PDF bytes (PDF/A-3b unless ``pdf_variant`` names another)."""
    from weasyprint import HTML

    # Whitespace between tags becomes anonymous boxes that WeasyPrint lays out one by
    # one; dropping it halves the layout time of a long line table.
    document = HTML(string=strip_spaces_between_tags(html), base_url=fonts_url())
    if pdf_variant:
        return document.write_pdf(pdf_variant=pdf_variant)
    return document.write_pdf()


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    language: str = "en",
    time_zone: str = "UTC",
    pdf_variant: str | None = PDF_VARIANT,
) -> bytes:
    """Render a template to PDF with the bundled font and the base stylesheet."""
    html = render_html(template_name, context, language=language, time_zone=time_zone)
    return html_to_pdf(html, pdf_variant=pdf_variant)
