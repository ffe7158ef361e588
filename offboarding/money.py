"""Money as ``Decimal`` with an ISO 4217 currency, rounded half up to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not two digits. Every other code has two.
_EXPONENTS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
         "UYI", "VND", "VUV", "XAF", "XOF", "XPF"],
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
