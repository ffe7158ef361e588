"""The date, time and money filters that portal pages, notices and the demo share."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from offboarding.billing.base import DowngradeOption

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# 00:31 on 2 January in Berlin, still 1 January in UTC.
LATE_EVENING_UTC = datetime(2027, 1, 1, 23, 31, tzinfo=UTC)


def render(source: str, language: str = "en", zone=BERLIN, **context) -> str:
    template = Template("{% load offboarding_formats %}" + source)
    with translation.override(language), timezone.override(zone):
        return template.render(Context(context))


def test_datetime_in_active_zone_with_abbreviation():
    text = render("{{ at|local_datetime }}", at=LATE_EVENING_UTC)

    assert text == "Jan. 2, 2027, 12:31 a.m. CET"


def test_datetime_summer_time_abbreviation():
    text = render("{{ at|local_datetime }}", at=datetime(2027, 7, 1, 10, 0, tzinfo=UTC))

    assert text == "July 1, 2027, noon CEST"


def test_datetime_zone_argument_overrides_active_zone():
    text = render('{{ at|local_datetime:"UTC" }}', at=LATE_EVENING_UTC)

    assert text == "Jan. 1, 2027, 11:31 p.m. UTC"


def test_datetime_follows_language_formats():
    text = render("{{ at|local_datetime }}", language="de", at=LATE_EVENING_UTC)

    assert text == "2. Januar 2027 00:31 CET"


def test_date_is_calendar_day_in_zone():
    assert render("{{ at|local_date }}", at=LATE_EVENING_UTC) == "Jan. 2, 2027"
    assert render("{{ at|local_date }}", zone=UTC, at=LATE_EVENING_UTC) == "Jan. 1, 2027"


def test_date_value_is_not_shifted():
    assert render("{{ day|local_date }}", day=date(2027, 1, 1)) == "Jan. 1, 2027"


@pytest.mark.parametrize("value", [None, "", "2027-01-01", 42])
def test_non_dates_render_empty(value):
    assert render("{{ value|local_datetime }}|{{ value|local_date }}", value=value) == "|"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12.0000"), "EUR", "€12.00"),
        (Decimal("3000.0000"), "JPY", "¥3,000"),
        (Decimal("-12.5"), "EUR", "-€12.50"),
        (Decimal("1.2345"), "KWD", "KWD1.235"),
    ],
)
def test_money_uses_currency_decimals(amount, currency, expected):
    assert render("{{ amount|money:currency }}", amount=amount, currency=currency) == expected


def test_money_follows_language():
    text = render('{{ amount|money:"EUR" }}', language="de", amount=Decimal("1234.5"))

    assert text == "1.234,50\xa0€"


@pytest.mark.parametrize("amount", [None, "", "not a number"])
def test_money_without_amount_renders_empty(amount):
    assert render('{{ amount|money:"EUR" }}', amount=amount) == ""


@pytest.mark.parametrize(
    ("interval", "expected"),
    [("month", "€12.00 / month"), ("year", "€12.00 / year"), ("week", "€12.00")],
)
def test_price_names_the_period(interval, expected):
    option = DowngradeOption("starter", "Starter", Decimal("12.0000"), "EUR", interval)

    assert render("{{ option|price }}", option=option) == expected


def test_price_of_yen_plan_has_no_decimals():
    option = DowngradeOption("starter-jpy", "Starter", Decimal("3000.0000"), "JPY", "month")

    assert render("{{ option|price }}", option=option) == "¥3,000 / month"
