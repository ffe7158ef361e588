"""Money as ``Decimal`` with an ISO 4217 currency, rounded half up to the currency's minor unit."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# ISO 4217 currencies whose minor unit is not two digits. Every other code has two.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def currency_exponent(currency: str) -> int:
    """Return the number of decimal digits of ``currency``'s minor unit (JPY: 0, EUR: 2)."""
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"Invalid ISO 4217 currency code: {currency!r}.")
    return _EXPONENTS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half up to ``currency``'s minor unit (the one rounding rule we use)."""
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """Format ``amount`` with the locale's currency symbol, grouping and sign placement.

    The number of decimals is the ISO 4217 minor unit (JPY and KRW show none), not the
    CLDR one, so the text always matches the quantized amounts.
    """
    from babel.numbers import parse_pattern

    babel_locale = to_babel_locale(locale)
    exponent = currency_exponent(currency)
    pattern = copy.copy(parse_pattern(babel_locale.currency_formats["standard"].pattern))
    pattern.frac_prec = (exponent, exponent)
    text = pattern.apply(
        quantize(amount, currency), babel_locale, currency=currency.upper(), currency_digits=False
    )
    # CLDR writes the fullwidth yen sign for Japanese; the bundled PDF font (DejaVu Sans)
    # has only the ordinary one.
    return text.replace("\uffe5", "\u00a5")


def to_babel_locale(language: str) -> Locale:
    """Return the Babel locale of a Django language code ("en-gb"), or English if unknown."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")
