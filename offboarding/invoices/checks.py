"""System checks of the final invoice settings and of the PDF libraries it needs."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from django.core.checks import Error, Tags, Warning, register

from offboarding.conf import app_settings
from offboarding.invoices.compute import ROUNDING_RULES

SERIES_PATTERN = re.compile(r"[A-Z0-9]{1,16}")
PDF_PACKAGES = ("weasyprint", "facturx", "babel")


@register(Tags.compatibility)
def check_invoice_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    if app_settings.INVOICE_ROUNDING not in ROUNDING_RULES:
        messages.append(
            Error(
                f'OFFBOARDING["INVOICE_ROUNDING"] = {app_settings.INVOICE_ROUNDING!r} is invalid.',
                hint=f"Use one of {', '.join(map(repr, ROUNDING_RULES))}.",
                id="offboarding.E050",
            )
        )
    if not SERIES_PATTERN.fullmatch(str(app_settings.INVOICE_SERIES)):
        messages.append(
            Error(
                f'OFFBOARDING["INVOICE_SERIES"] = {app_settings.INVOICE_SERIES!r} is invalid.',
                hint='Use 1 to 16 upper-case letters or digits, for example "FIN".',
                id="offboarding.E051",
            )
        )
    missing = [name for name in PDF_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        messages.append(
            Warning(
                f"Final invoices cannot be rendered: {', '.join(missing)} not installed.",
                hint='Install the PDF extra: pip install "django-offboarding[pdf]".',
                id="offboarding.W050",
            )
        )
    return messages
