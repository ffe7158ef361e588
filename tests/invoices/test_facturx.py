"""The Factur-X XML embedded in the final invoice PDF: present, EN 16931, valid."""

from __future__ import annotations

import io

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from offboarding.invoices import services
from offboarding.invoices.cii import RAM, build_cii_xml
from tests.invoices.conftest import cancel_immediately

NS = {"ram": RAM}


@pytest.fixture
def euro_invoice(invoice_settings, frozen_clock, monthly_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-monthly").final_invoice


def embedded_xml(pdf: bytes) -> bytes:
    filename, xml = facturx.get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def test_embedded_xml_passes_xsd(euro_invoice):
    xml = embedded_xml(services.read_pdf(euro_invoice))

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"


def test_embedded_xml_figures(euro_invoice):
    tree = etree.fromstring(embedded_xml(services.read_pdf(euro_invoice)))

    def text(path: str) -> list[str]:
        return [node.text for node in tree.iterfind(path, NS)]

    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert text(summation + "GrandTotalAmount") == ["18.00"]
    assert text(summation + "TotalPrepaidAmount") == ["18.00"]
    assert text(summation + "DuePayableAmount") == ["0.00"]
    assert text(".//ram:LineTotalAmount")[:2] == ["30.00", "-12.00"]
    assert text(".//ram:BilledQuantity") == ["1", "-1"]
    assert text(".//ram:ChargeAmount") == ["30", "12"]


def test_xml_names_invoice_number(euro_invoice):
    tree = etree.fromstring(build_cii_xml(euro_invoice))
    document_id = tree.find(
        "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}ExchangedDocument/ram:ID",
        NS,
    )

    assert document_id.text == "FIN-2024-000001"


def test_pdf_declares_pdfa3b(euro_invoice):
    reader = PdfReader(io.BytesIO(services.read_pdf(euro_invoice)))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()

    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    assert 'pdfaid:conformance="B"' in xmp or "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp


def test_yen_xml_has_no_decimals(invoice_settings, frozen_clock, yen_plan, customer):
    invoice = cancel_immediately(frozen_clock, customer, "team-yen").final_invoice
    tree = etree.fromstring(build_cii_xml(invoice))
    amounts = [node.text for node in tree.iter() if node.tag.endswith("Amount")]

    assert "3000" in amounts
    assert "-1200" in amounts
    assert all("." not in amount for amount in amounts), amounts
    assert facturx.xml_check_xsd(build_cii_xml(invoice), flavor="factur-x", level="en16931")


def test_taxed_invoice_with_addresses(invoice_settings, frozen_clock, customer):
    from decimal import Decimal

    from offboarding.models import Plan

    invoice_settings.OFFBOARDING = {
        **invoice_settings.OFFBOARDING,
        "ADAPTER": "tests.invoices.adapters.AddressedAdapter",
        "INVOICE_ROUNDING": "document",
    }
    Plan.objects.create(
        code="team-vat",
        name="Team (monthly, VAT)",
        amount=Decimal("35.70"),
        currency="EUR",
        interval="month",
        tax_rate=Decimal("19"),
    )
    invoice = cancel_immediately(frozen_clock, customer, "team-vat").final_invoice
    xml = embedded_xml(services.read_pdf(invoice))
    tree = etree.fromstring(xml)

    def amounts(path: str) -> list[Decimal]:
        return [Decimal(node.text) for node in tree.iterfind(path, NS)]

    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    basis = amounts(summation + "TaxBasisTotalAmount")[0]
    tax = amounts(summation + "TaxTotalAmount")[0]
    line_totals = amounts(
        ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    )

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert sum(line_totals) == basis
    assert basis + tax == amounts(summation + "GrandTotalAmount")[0] == Decimal("21.42")
    assert tax == Decimal("3.42")
    assert amounts(summation + "DuePayableAmount") == [Decimal("0.00")]
    assert [n.text for n in tree.iterfind(".//ram:CountryID", NS)] == ["DE", "DE"]
    assert [n.text for n in tree.iterfind(".//ram:SpecifiedTaxRegistration/ram:ID", NS)] == [
        "DE123456789",
        "DE987654321",
    ]
    assert invoice.seller["name"] == "Acme Projects GmbH"
