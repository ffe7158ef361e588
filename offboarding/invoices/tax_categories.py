"""VAT categories of EN 16931 and the rules each one sets for the rest of an invoice.

Codes are those of UNCL 5305 as EN 16931-1 uses them. The rules cited by id (BR-S-05,
BR-O-02, ...) are the business rules of EN 16931-1:2017 as the CEN validation artefacts
for CII state them (``cii/schematron`` in ConnectingEurope/eInvoicing-EN16931). Category
K's rules are named BR-IC there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
REVERSE_CHARGE = "AE"
INTRA_COMMUNITY = "K"
EXPORT = "G"
NOT_SUBJECT = "O"
CANARY_ISLANDS = "L"
CEUTA_MELILLA = "M"

LABELS: dict[str, Promise] = {
    STANDARD: _("Standard rated"),
    ZERO_RATED: _("Zero rated"),
    EXEMPT: _("Exempt from VAT"),
    REVERSE_CHARGE: _("VAT reverse charge"),
    INTRA_COMMUNITY: _("Intra-community supply, exempt from VAT"),
    EXPORT: _("Export outside the EU, VAT not charged"),
    NOT_SUBJECT: _("Services outside the scope of VAT"),
    CANARY_ISLANDS: _("Canary Islands general indirect tax (IGIC)"),
    CEUTA_MELILLA: _("Ceuta and Melilla production, services and import tax (IPSI)"),
}
CODES = tuple(LABELS)
CHOICES = list(LABELS.items())

# BR-S-05 and BR-AF-05: the rate is above 0. BR-Z-05, BR-E-05, BR-AE-05, BR-IC-05,
# BR-G-05: the rate is 0. Category O has no rate (BR-O-05), which the app stores as 0.
RATE_ABOVE_ZERO = frozenset({STANDARD, CANARY_ISLANDS})
RATE_ZERO = frozenset({ZERO_RATED, EXEMPT, REVERSE_CHARGE, INTRA_COMMUNITY, EXPORT, NOT_SUBJECT})
# BR-S-10, BR-Z-10, BR-AF-10, BR-AG-10: no exemption reason, as tax is charged.
NO_EXEMPTION_REASON = frozenset({STANDARD, ZERO_RATED, CANARY_ISLANDS, CEUTA_MELILLA})
# BR-Z-01, BR-E-01, BR-AE-01, BR-IC-01, BR-G-01, BR-O-01: exactly one breakdown entry.
ONE_BREAKDOWN = RATE_ZERO
# BR-O-05 and BR-48: the rate percent is left out of the line and of the breakdown.
WITHOUT_RATE = frozenset({NOT_SUBJECT})

# The reason written when the billing backend gives none (BR-AE-10, BR-IC-10, BR-G-10,
# BR-O-10 require a reason code or text). AE's text is the mention that Article 226(11a)
# of Directive 2006/112/EC requires on the invoice.
DEFAULT_EXEMPTIONS: dict[str, tuple[str, Promise]] = {
    REVERSE_CHARGE: ("VATEX-EU-AE", _("Reverse charge")),
    INTRA_COMMUNITY: ("VATEX-EU-IC", _("Intra-community supply")),
    EXPORT: ("VATEX-EU-G", _("Export outside the EU")),
    NOT_SUBJECT: ("VATEX-EU-O", _("Not subject to VAT")),
}
VATEX_PREFIX = "VATEX-"


@dataclass(frozen=True)
class LineTax:
    """The checked VAT category of a line, with the exemption reason the invoice prints."""

    category: str
    exemption_reason: str | Promise = ""
    exemption_reason_code: str = ""


def category_for_rate(rate: Decimal) -> str:
    """Return the category of a line that names none: "S" above 0 %, "Z" at 0 %."""
    return STANDARD if rate > 0 else ZERO_RATED


def line_tax(
    *, subject: str, rate: Decimal, category: str, reason: str, reason_code: str
) -> LineTax:
    """Check a VAT category against its rate and exemption reason; fill in the default reason.

    ``subject`` names what is checked in the error, such as 'line 2 ("Team")'. Raises
    ``ValueError`` with a translated message naming the subject and the value when
    EN 16931 rejects them.
    """
    code = category.strip().upper() or category_for_rate(rate)
    reason = reason.strip()
    reason_code = reason_code.strip().upper()
    values = {"subject": subject, "category": code, "rate": rate, "code": reason_code}

    if code not in CODES:
        raise ValueError(
            gettext(
                'Invalid VAT category "%(category)s" on %(subject)s: expected one of %(codes)s.'
            )
            % {**values, "category": category, "codes": ", ".join(CODES)}
        )
    _check_rate(code, rate, values)
    if reason_code and not reason_code.startswith(VATEX_PREFIX):
        raise ValueError(
            gettext(
                'Invalid VAT exemption reason code "%(code)s" on %(subject)s: expected a '
                'VATEX code such as "VATEX-EU-AE".'
            )
            % values
        )
    if code in NO_EXEMPTION_REASON and (reason or reason_code):
        raise ValueError(
            gettext(
                'VAT category "%(category)s" on %(subject)s is taxable, so it takes no '
                'exemption reason: remove the reason, or use an exempt category such as "E".'
            )
            % values
        )
    if code == EXEMPT and not (reason or reason_code):
        raise ValueError(
            gettext(
                'VAT category "E" on %(subject)s requires an exemption reason or a VATEX '
                "reason code."
            )
            % values
        )
    return _with_default_reason(code, reason, reason_code)


def _check_rate(code: str, rate: Decimal, values: dict[str, Any]) -> None:
    if rate < 0:
        raise ValueError(
            gettext("Invalid tax rate %(rate)s %% on %(subject)s: a rate cannot be negative.")
            % values
        )
    if code in RATE_ABOVE_ZERO and rate == 0:
        raise ValueError(
            gettext(
                'VAT category "%(category)s" on %(subject)s requires a tax rate above 0 %%. '
                'Without tax, use category "Z", "E", "AE", "K", "G" or "O".'
            )
            % values
        )
    if code in RATE_ZERO and rate != 0:
        raise ValueError(
            gettext(
                'VAT category "%(category)s" on %(subject)s requires a tax rate of 0 %%, '
                "not %(rate)s %%."
            )
            % values
        )


def _with_default_reason(code: str, reason: str, reason_code: str) -> LineTax:
    default = DEFAULT_EXEMPTIONS.get(code)
    if default is None or reason:
        return LineTax(code, reason, reason_code)
    default_code, default_text = default
    if not reason_code:
        return LineTax(code, default_text, default_code)
    # A backend's own VATEX code keeps the default text only when the codes agree.
    return LineTax(code, default_text if reason_code == default_code else "", reason_code)


def check_breakdown(lines: Iterable[tuple[int, LineTax]]) -> None:
    """Check the categories of all lines together (BR-x-01 and BR-O-11 to BR-O-14).

    ``lines`` are (position, tax) pairs. Raises ``ValueError`` when a category that allows
    one breakdown entry has lines with different reasons, or when category O is mixed
    with other categories.
    """
    first: dict[str, tuple[int, LineTax]] = {}
    for position, tax in lines:
        seen = first.setdefault(tax.category, (position, tax))
        if tax.category in ONE_BREAKDOWN and _reason(seen[1]) != _reason(tax):
            raise ValueError(
                f'Lines {seen[0]} and {position} have VAT category "{tax.category}" with '
                f'different exemption reasons ("{_describe(seen[1])}" and "{_describe(tax)}"), '
                f"but an invoice has one breakdown entry for that category; "
                f"give both lines the same reason."
            )
    if NOT_SUBJECT in first and len(first) > 1:
        others = ", ".join(sorted(code for code in first if code != NOT_SUBJECT))
        raise ValueError(
            f'Lines of VAT category "O" cannot be on one invoice with lines of other '
            f'categories ({others}): EN 16931 allows no other category beside "O".'
        )


def _reason(tax: LineTax) -> tuple[str, str]:
    return (str(tax.exemption_reason), tax.exemption_reason_code)


def _describe(tax: LineTax) -> str:
    return " ".join(part for part in _reason(tax) if part) or "none"


def check_parties(
    categories: Iterable[str],
    seller: Mapping[str, Any],
    buyer: Mapping[str, Any],
    *,
    has_period: bool,
) -> None:
    """Check that the parties carry the identifiers the invoice's categories require.

    ``seller`` and ``buyer`` are the invoice's party details as dicts. Raises
    ``ValueError`` when a required identifier is missing, so nothing is issued.
    """
    present = set(categories)
    needs_seller_vat = present & {EXEMPT, REVERSE_CHARGE, INTRA_COMMUNITY, EXPORT}
    for code in sorted(needs_seller_vat):
        if not seller.get("vat_id"):
            # BR-E-02, BR-AE-02, BR-IC-02, BR-G-02.
            raise ValueError(
                f'The invoice has lines of VAT category "{code}", which require the seller\'s '
                f"VAT ID; return it in the adapter's get_seller_details()."
            )
    if REVERSE_CHARGE in present and not (
        buyer.get("vat_id") or buyer.get("legal_registration_id")
    ):
        # BR-AE-02 accepts the buyer's legal registration ID in place of the VAT ID.
        raise ValueError(
            'The invoice has lines of VAT category "AE", which require the buyer\'s VAT ID; '
            "return it in the adapter's get_buyer_details()."
        )
    if INTRA_COMMUNITY in present:
        _check_intra_community(buyer, has_period)
    if NOT_SUBJECT in present and not seller.get("legal_registration_id"):
        # BR-O-02 keeps the seller's VAT ID out of the XML, and BR-CO-26 then needs
        # another identifier of the seller: the legal registration ID is the one the
        # XML can carry.
        raise ValueError(
            'The invoice has lines of VAT category "O", which leave the seller\'s VAT ID '
            "out of the Factur-X XML, so the seller needs a legal registration ID (such as "
            "a commercial register number) as its identifier; set legal_registration_id in "
            "the PartyDetails that the adapter's get_seller_details() returns."
        )


def _check_intra_community(buyer: Mapping[str, Any], has_period: bool) -> None:
    if not buyer.get("vat_id"):
        # BR-IC-02.
        raise ValueError(
            'The invoice has lines of VAT category "K", which require the buyer\'s VAT ID; '
            "return it in the adapter's get_buyer_details()."
        )
    if not buyer.get("country_code"):
        # BR-IC-12: the deliver-to country, which the app takes from the buyer's address.
        raise ValueError(
            'The invoice has lines of VAT category "K", which require the country the '
            "supply goes to; return the buyer's country_code in get_buyer_details()."
        )
    if not has_period:
        # BR-IC-11: the invoicing period or the actual delivery date.
        raise ValueError(
            'The invoice has lines of VAT category "K", which require an invoicing period; '
            "the billing backend's closing statement has no period_start and period_end."
        )


def omits_vat_ids(categories: Iterable[str]) -> bool:
    """Return whether the XML leaves out the seller's and buyer's VAT IDs (BR-O-02)."""
    return NOT_SUBJECT in set(categories)
