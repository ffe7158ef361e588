"""Display formats of a date-time, a date and a price on customer-facing pages and emails.

Dates and times use the active language's ``DATE_FORMAT`` and ``DATETIME_FORMAT``, so a
host changes them per language through Django's format modules (``FORMAT_MODULE_PATH``).
A date-time is shown in the active time zone, which the portal and the notice renderer
set to the account's zone, followed by that zone's abbreviation ("CET", "UTC"). Money has
the currency's own number of decimals (:func:`offboarding.money.format_money`).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from offboarding.billing.periods import MONTH, YEAR
from offboarding.money import format_money


def format_datetime(value: datetime | None, zone: tzinfo | None = None) -> str:
    """Return ``value`` in ``zone`` (default: the active zone) with the zone's abbreviation.

    A naive value is shown as it is, without a zone. None gives "".
    """
    if value is None:
        return ""
    if timezone.is_naive(value):
        return date_format(value, "DATETIME_FORMAT")
    local = timezone.localtime(value, zone)
    return pgettext("date and time, then the time zone", "%(datetime)s %(zone)s") % {
        "datetime": date_format(local, "DATETIME_FORMAT"),
        "zone": local.tzname() or str(local.tzinfo),
    }


def format_date(value: date | None, zone: tzinfo | None = None) -> str:
    """Return the calendar date of ``value``; a date-time counts in ``zone`` (default: the active zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    return date_format(value, "DATE_FORMAT")


def format_amount(amount: Decimal, currency: str) -> str:
    """Return ``amount`` in ``currency`` formatted for the active language ("€12.00", "¥3,000")."""
    return format_money(Decimal(amount), currency, translation.get_language() or "en")


def format_price(amount: Decimal, currency: str, interval: str) -> str:
    """Return a price per billing period ("€12.00 / month"); an unknown interval shows the amount only."""
    text = format_amount(amount, currency)
    if interval == MONTH:
        return gettext("%(amount)s / month") % {"amount": text}
    if interval == YEAR:
        return gettext("%(amount)s / year") % {"amount": text}
    return text
