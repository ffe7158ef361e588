"""The demo's final invoices: Initech, in Japan, buys a plan outside the scope of German VAT."""

from __future__ import annotations

from io import StringIO

import facturx
import pytest
from django.core.management import call_command
from lxml import etree

from config.accounts.models import Organisation
from offboarding.invoices.cii import RAM, build_cii_xml
from offboarding.models import Actor, FinalInvoice
from offboarding.services import lifecycle
from offboarding.steps import run_pending_steps

pytestmark = pytest.mark.django_db


def test_initech_invoice_outside_vat_scope():
    call_command("demo_setup", stdout=StringIO())
    initech = Organisation.objects.get(slug="initech")
    owner = initech.owner_membership().user

    case = lifecycle.open_case(initech, owner)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(owner), immediately=True)
    run_pending_steps(case_id=case.pk)

    invoice = FinalInvoice.objects.get(case=case)
    assert invoice.currency == "JPY"
    assert [group["category"] for group in invoice.tax_breakdown] == ["O"]
    assert invoice.tax_breakdown[0]["exemption_reason_code"] == "VATEX-EU-O"
    assert invoice.balance_due == 0

    xml = build_cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    root = etree.fromstring(xml)
    seller = root.find(f".//{{{RAM}}}SellerTradeParty")
    assert seller.findtext(f"{{{RAM}}}SpecifiedLegalOrganization/{{{RAM}}}ID") == "HRB 123456 B"
    # Category "O" leaves every VAT ID out of the XML.
    assert root.find(f".//{{{RAM}}}SpecifiedTaxRegistration") is None
    assert root.find(f".//{{{RAM}}}RateApplicablePercent") is None
