"""Template filters that show dates, times and money the same way on every customer page.

``{% load offboarding_formats %}`` provides ``local_datetime``, ``local_date``, ``money``
and ``price``; :mod:`offboarding.formatting` describes the formats.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from offboarding import formatting

register = template.Library()


def _zone(zone: Any) -> tzinfo | None:
    if zone is None or zone == "":
        return None
    if isinstance(zone, tzinfo):
        return zone
    return zoneinfo.ZoneInfo(str(zone))


@register.filter
def local_datetime(value: Any, zone: Any = None) -> str:
    """Show a date-time in the account's zone with the zone's abbreviation.

    ``zone`` (a ``tzinfo`` or an IANA name) overrides the active zone. Like Django's
    ``date`` filter, a value that is not a date-time gives "".
    """
    if isinstance(value, datetime):
        return formatting.format_datetime(value, _zone(zone))
    if isinstance(value, date):
        return formatting.format_date(value)
    return ""


@register.filter
def local_date(value: Any, zone: Any = None) -> str:
    """Show the calendar date of a date or date-time, in the account's zone."""
    if isinstance(value, date):
        return formatting.format_date(value, _zone(zone))
    return ""


@register.filter
def money(amount: Any, currency: str) -> str:
    """Show ``amount`` in ``currency`` with the currency's decimals: ``{{ total|money:"EUR" }}``."""
    if amount is None or amount == "" or not currency:
        return ""
    try:
        return formatting.format_amount(Decimal(str(amount)), str(currency))
    except (InvalidOperation, ValueError):
        return ""


@register.filter
def price(item: Any) -> str:
    """Show the price per period of anything with ``amount``, ``currency`` and ``interval``.

    Plans, subscriptions and downgrade options have these attributes: ``{{ plan|price }}``
    gives "€12.00 / month".
    """
    amount = getattr(item, "amount", None)
    currency = getattr(item, "currency", "")
    if amount is None or not currency:
        return ""
    return formatting.format_price(amount, currency, getattr(item, "interval", ""))
