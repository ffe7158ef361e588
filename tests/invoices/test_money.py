"""Locale-aware money formatting with ISO 4217 minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offboarding.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("30", "EUR", "en", "€30.00"),
        ("-12", "EUR", "en", "-€12.00"),
        ("1234.5", "EUR", "de", "1.234,50\xa0€"),
        ("3000", "JPY", "en", "¥3,000"),
        ("3000", "JPY", "ja", "¥3,000"),
        ("5000", "KRW", "ko", "₩5,000"),
        ("123456.7", "INR", "en-IN", "₹1,23,456.70"),
        ("1", "GBP", "en-GB", "£1.00"),
        ("1.2345", "BHD", "en", "BHD1.235"),
        ("10", "EUR", "xx-unknown", "€10.00"),
    ],
)
def test_format_money(amount, currency, locale, expected):
    assert format_money(Decimal(amount), currency, locale) == expected


def test_invalid_currency_rejected():
    with pytest.raises(ValueError, match="Invalid ISO 4217 currency code"):
        format_money(Decimal("1"), "EURO", "en")
