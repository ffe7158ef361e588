"""The Factur-X / ZUGFeRD XML of a final invoice: UN/CEFACT CII, EN 16931 profile.

Element order follows the Factur-X 1.0 EN 16931 XSD (``facturx.xml_check_xsd`` checks
it). Amounts carry the currency's own number of decimals, so a JPY invoice has none.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree

from offboarding.invoices.tax_categories import (
    INTRA_COMMUNITY,
    WITHOUT_RATE,
    category_for_rate,
    omits_vat_ids,
)
from offboarding.money import currency_exponent

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
COMMERCIAL_INVOICE = "380"  # UNTDID 1001
UNIT_ONE = "C62"  # UN/ECE Recommendation 20: "one", a unit without dimension


def _el(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _ram(parent: etree._Element, tag: str, text: str | None = None, **attributes: str):
    return _el(parent, RAM, tag, text, **attributes)


def _amount(value: Decimal, currency: str) -> str:
    exponent = currency_exponent(currency)
    return f"{Decimal(value):.{exponent}f}"


def _decimal(value: Decimal) -> str:
    """Write ``value`` without trailing zeros and without an exponent (19.00 -> 19)."""
    text = f"{Decimal(value).normalize():f}"
    return text


def _date(parent: etree._Element, tag: str, value: date) -> None:
    wrapper = _ram(parent, tag)
    _el(wrapper, UDT, "DateTimeString", value.strftime("%Y%m%d"), format="102")


def _last_day(end: datetime) -> date:
    # Periods end at an exclusive instant; the invoice names the last day they cover.
    return (end - timedelta(microseconds=1)).date()


def build_cii_xml(invoice: Any) -> bytes:
    """Return the CII XML of ``invoice`` (a saved FinalInvoice) as UTF-8 bytes."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    context = _el(root, RSM, "ExchangedDocumentContext")
    guideline = _ram(context, "GuidelineSpecifiedDocumentContextParameter")
    _ram(guideline, "ID", EN16931_GUIDELINE)

    document = _el(root, RSM, "ExchangedDocument")
    _ram(document, "ID", invoice.number)
    _ram(document, "TypeCode", COMMERCIAL_INVOICE)
    _date(document, "IssueDateTime", invoice.issue_date)
    for note in _notes(invoice):
        _ram(_ram(document, "IncludedNote"), "Content", note)

    transaction = _el(root, RSM, "SupplyChainTradeTransaction")
    for line in invoice.lines.all():
        _line_item(transaction, line, invoice.currency)
    categories = {group["category"] for group in invoice.tax_breakdown}
    _agreement(transaction, invoice, with_vat_ids=not omits_vat_ids(categories))
    _delivery(transaction, invoice, categories)
    _settlement(transaction, invoice)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _notes(invoice: Any) -> list[str]:
    notes = [
        f"{closure.description} ({closure.reference}) closed on {closure.closed_at:%Y-%m-%d}"
        for closure in invoice.closures.all()
    ]
    notes.append("Final invoice: the subscription is closed and no further charges will be made.")
    return notes


def _line_item(transaction: etree._Element, line: Any, currency: str) -> None:
    item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(line.position))
    _ram(_ram(item, "SpecifiedTradeProduct"), "Name", line.description)

    agreement = _ram(item, "SpecifiedLineTradeAgreement")
    price = _ram(agreement, "NetPriceProductTradePrice")
    _ram(price, "ChargeAmount", _decimal(line.unit_price))

    delivery = _ram(item, "SpecifiedLineTradeDelivery")
    _ram(delivery, "BilledQuantity", _decimal(line.quantity), unitCode=UNIT_ONE)

    settlement = _ram(item, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", "VAT")
    category = line.tax_category or category_for_rate(line.tax_rate)
    _ram(tax, "CategoryCode", category)
    if category not in WITHOUT_RATE:
        _ram(tax, "RateApplicablePercent", _decimal(line.tax_rate))
    if line.period_start and line.period_end:
        period = _ram(settlement, "BillingSpecifiedPeriod")
        _date(period, "StartDateTime", line.period_start.date())
        _date(period, "EndDateTime", _last_day(line.period_end))
    summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _ram(summation, "LineTotalAmount", _amount(line.net_amount, currency))


def _party(parent: etree._Element, tag: str, details: dict, *, with_vat_id: bool) -> None:
    party = _ram(parent, tag)
    _ram(party, "Name", details.get("name") or "-")
    # Invoices stored before PartyDetails had this field carry no such key.
    if details.get("legal_registration_id"):
        legal = _ram(party, "SpecifiedLegalOrganization")
        _ram(legal, "ID", details["legal_registration_id"])
    country = details.get("country_code") or ""
    if country:
        address = _ram(party, "PostalTradeAddress")
        for index, line in enumerate(details.get("address_lines", [])[:3]):
            _ram(address, ("LineOne", "LineTwo", "LineThree")[index], line)
        _ram(address, "CountryID", country.upper())
    if details.get("email"):
        contact = _ram(party, "URIUniversalCommunication")
        _ram(contact, "URIID", details["email"], schemeID="EM")
    if with_vat_id and details.get("vat_id"):
        _ram(_ram(party, "SpecifiedTaxRegistration"), "ID", details["vat_id"], schemeID="VA")


def _agreement(transaction: etree._Element, invoice: Any, *, with_vat_ids: bool) -> None:
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    _party(agreement, "SellerTradeParty", invoice.seller, with_vat_id=with_vat_ids)
    _party(agreement, "BuyerTradeParty", invoice.buyer, with_vat_id=with_vat_ids)


def _delivery(transaction: etree._Element, invoice: Any, categories: set[str]) -> None:
    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")
    if INTRA_COMMUNITY in categories:
        # BR-IC-12: an intra-community supply names the country it goes to, the buyer's.
        ship_to = _ram(delivery, "ShipToTradeParty")
        address = _ram(ship_to, "PostalTradeAddress")
        _ram(address, "CountryID", invoice.buyer["country_code"].upper())


def _settlement(transaction: etree._Element, invoice: Any) -> None:
    currency = invoice.currency
    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    _ram(settlement, "InvoiceCurrencyCode", currency)
    for group in invoice.tax_breakdown:
        category = group["category"]
        # Invoices issued before exemption reasons were stored have no reason keys.
        reason = group.get("exemption_reason", "")
        reason_code = group.get("exemption_reason_code", "")
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", _amount(Decimal(group["tax"]), currency))
        _ram(tax, "TypeCode", "VAT")
        if reason:
            _ram(tax, "ExemptionReason", reason)
        _ram(tax, "BasisAmount", _amount(Decimal(group["basis"]), currency))
        _ram(tax, "CategoryCode", category)
        if reason_code:
            _ram(tax, "ExemptionReasonCode", reason_code)
        if category not in WITHOUT_RATE:
            _ram(tax, "RateApplicablePercent", _decimal(Decimal(group["rate"])))
    if invoice.period_start and invoice.period_end:
        period = _ram(settlement, "BillingSpecifiedPeriod")
        _date(period, "StartDateTime", invoice.period_start.date())
        _date(period, "EndDateTime", _last_day(invoice.period_end))
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    _ram(terms, "Description", "Settled: payments and refunds applied, nothing is due.")

    summation = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(summation, "LineTotalAmount", _amount(invoice.net_total, currency))
    _ram(summation, "TaxBasisTotalAmount", _amount(invoice.net_total, currency))
    _ram(summation, "TaxTotalAmount", _amount(invoice.tax_total, currency), currencyID=currency)
    _ram(summation, "GrandTotalAmount", _amount(invoice.gross_total, currency))
    prepaid = invoice.paid_total - invoice.refunded_total
    _ram(summation, "TotalPrepaidAmount", _amount(prepaid, currency))
    _ram(summation, "DuePayableAmount", _amount(invoice.balance_due, currency))
