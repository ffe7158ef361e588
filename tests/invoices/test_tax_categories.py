"""VAT categories on final invoices: line checks, tax groups, party rules, XML, PDF, ledger."""

from __future__ import annotations

from decimal import Decimal

import facturx
import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from lxml import etree

from offboarding.billing.base import ClosingStatement, StatementLine
from offboarding.billing.local import LocalLedgerBackend
from offboarding.invoices import services
from offboarding.invoices.cii import RAM, build_cii_xml
from offboarding.invoices.compute import DOCUMENT, LINE, compute_draft
from offboarding.invoices.document import render_invoice_html
from offboarding.invoices.tax_categories import check_parties
from offboarding.models import FinalInvoice, FinalInvoiceLine, Plan
from tests.conftest import utc
from tests.invoices.conftest import cancel_immediately, pdf_pages_text

NS = {"ram": RAM}
EXEMPTION_TEXT = "Exempt under Article 132(1)(i) of Directive 2006/112/EC"
EXEMPTION_CODE = "VATEX-EU-132-1I"


def line(rate="0", category="", reason="", code="", amount="100", description="Team"):
    return StatementLine(
        kind="period",
        description=description,
        amount=Decimal(amount),
        tax_rate=Decimal(rate),
        tax_category=category,
        tax_exemption_reason=reason,
        tax_exemption_reason_code=code,
    )


def statement(*lines: StatementLine) -> ClosingStatement:
    return ClosingStatement(
        account_key="acct-1", currency="EUR", lines=list(lines), prices_include_tax=False
    )


# Line checks


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (line(category="X"), 'Invalid VAT category "X" on line 2 ("Usage")'),
        (line(category="S"), 'VAT category "S" on line 2 ("Usage") requires a tax rate above 0 %'),
        (line(category="L"), 'VAT category "L" on line 2 ("Usage") requires a tax rate above 0 %'),
        (
            line("19", "Z"),
            'VAT category "Z" on line 2 ("Usage") requires a tax rate of 0 %, not 19 %',
        ),
        (
            line("19", "E", reason=EXEMPTION_TEXT),
            'VAT category "E" on line 2 ("Usage") requires a tax rate of 0 %, not 19 %',
        ),
        (line("19", "AE"), 'VAT category "AE" on line 2 ("Usage") requires a tax rate of 0 %'),
        (line("19", "K"), 'VAT category "K" on line 2 ("Usage") requires a tax rate of 0 %'),
        (line("19", "G"), 'VAT category "G" on line 2 ("Usage") requires a tax rate of 0 %'),
        (
            line("7", "O"),
            'VAT category "O" on line 2 ("Usage") requires a tax rate of 0 %, not 7 %',
        ),
        (line(category="E"), 'VAT category "E" on line 2 ("Usage") requires an exemption reason'),
        (
            line("19", "S", reason="Reverse charge"),
            'VAT category "S" on line 2 ("Usage") is taxable, so it takes no exemption reason',
        ),
        (
            line(category="Z", code="VATEX-EU-O"),
            'VAT category "Z" on line 2 ("Usage") is taxable, so it takes no exemption reason',
        ),
        (
            line(category="E", code="EU-132"),
            'Invalid VAT exemption reason code "EU-132" on line 2 ("Usage")',
        ),
        (line("-5"), 'Invalid tax rate -5 % on line 2 ("Usage")'),
    ],
)
def test_line_check_rejects(bad_line, message):
    usage = StatementLine(
        kind="usage",
        description="Usage",
        amount=bad_line.amount,
        tax_rate=bad_line.tax_rate,
        tax_category=bad_line.tax_category,
        tax_exemption_reason=bad_line.tax_exemption_reason,
        tax_exemption_reason_code=bad_line.tax_exemption_reason_code,
    )

    with pytest.raises(ValueError) as error:
        compute_draft(statement(line("19", "S"), usage), LINE)

    assert message in str(error.value)


@pytest.mark.parametrize(
    ("rate", "category"),
    [("19", "S"), ("0", "Z"), ("7", "L"), ("0", "M"), ("4", "M")],
)
def test_line_check_accepts(rate, category):
    draft = compute_draft(statement(line(rate, category)), LINE)

    assert [group.category for group in draft.tax_groups] == [category]
    assert draft.tax_groups[0].exemption_reason == ""


def test_blank_category_follows_rate():
    draft = compute_draft(statement(line("19"), line("0", description="Free seat")), LINE)

    assert [(group.category, group.rate) for group in draft.tax_groups] == [
        ("Z", Decimal("0")),
        ("S", Decimal("19")),
    ]
    assert [line.tax_category.category for line in draft.lines] == ["S", "Z"]


def test_category_code_is_normalised():
    draft = compute_draft(statement(line(category=" ae ", code="vatex-eu-ae")), LINE)

    assert draft.tax_groups[0].category == "AE"
    assert draft.tax_groups[0].exemption_reason_code == "VATEX-EU-AE"


@pytest.mark.parametrize(
    ("category", "code", "text"),
    [
        ("AE", "VATEX-EU-AE", "Reverse charge"),
        ("K", "VATEX-EU-IC", "Intra-community supply"),
        ("G", "VATEX-EU-G", "Export outside the EU"),
        ("O", "VATEX-EU-O", "Not subject to VAT"),
    ],
)
def test_default_exemption_reason(category, code, text):
    group = compute_draft(statement(line(category=category)), LINE).tax_groups[0]

    assert group.exemption_reason_code == code
    assert isinstance(group.exemption_reason, Promise)
    assert str(group.exemption_reason) == text


def test_backend_reason_replaces_default():
    group = compute_draft(statement(line(category="AE", reason="Autoliquidation")), LINE)
    only = group.tax_groups[0]

    assert only.exemption_reason == "Autoliquidation"
    assert only.exemption_reason_code == ""


def test_backend_code_keeps_matching_text():
    same = compute_draft(statement(line(category="O", code="VATEX-EU-O")), LINE).tax_groups[0]
    other = compute_draft(statement(line(category="G", code="VATEX-EU-O")), LINE).tax_groups[0]

    assert str(same.exemption_reason) == "Not subject to VAT"
    assert other.exemption_reason == ""
    assert other.exemption_reason_code == "VATEX-EU-O"


def test_exempt_takes_reason_or_code():
    by_text = compute_draft(statement(line(category="E", reason=EXEMPTION_TEXT)), LINE)
    by_code = compute_draft(statement(line(category="E", code=EXEMPTION_CODE)), LINE)

    assert by_text.tax_groups[0].exemption_reason == EXEMPTION_TEXT
    assert by_code.tax_groups[0].exemption_reason_code == EXEMPTION_CODE


# Tax groups


@pytest.mark.parametrize("rounding", [LINE, DOCUMENT])
def test_mixed_categories_group_apart(rounding):
    draft = compute_draft(
        statement(
            line("19", "S", amount="100"),
            line("0", "AE", amount="50", description="Seats, reverse charge"),
            line("0", "E", reason=EXEMPTION_TEXT, amount="30", description="Training"),
            line("0", "Z", amount="20", description="Books"),
            line("19", amount="10", description="Usage"),
            line("0", "E", reason=EXEMPTION_TEXT, amount="5", description="Workshop"),
        ),
        rounding,
    )

    summary = [(g.category, g.rate, g.basis, g.tax) for g in draft.tax_groups]
    assert summary == [
        ("AE", Decimal("0"), Decimal("50.00"), Decimal("0.00")),
        ("E", Decimal("0"), Decimal("35.00"), Decimal("0.00")),
        ("Z", Decimal("0"), Decimal("20.00"), Decimal("0.00")),
        ("S", Decimal("19"), Decimal("110.00"), Decimal("20.90")),
    ]
    assert draft.tax_groups[1].exemption_reason == EXEMPTION_TEXT
    assert draft.tax_total == Decimal("20.90")
    assert draft.net_total == Decimal("215.00")


def test_exempt_lines_with_different_reasons_rejected():
    lines = statement(
        line(category="E", reason=EXEMPTION_TEXT),
        line(category="E", code="VATEX-EU-132-1B", description="Care"),
    )

    with pytest.raises(ValueError) as error:
        compute_draft(lines, LINE)

    message = str(error.value)
    assert 'Lines 1 and 2 have VAT category "E" with different exemption reasons' in message
    assert EXEMPTION_TEXT in message
    assert "VATEX-EU-132-1B" in message


def test_not_subject_mixed_with_others_rejected():
    lines = statement(line(category="O"), line("19", "S", description="Seats"))

    with pytest.raises(ValueError) as error:
        compute_draft(lines, LINE)

    assert 'VAT category "O" cannot be on one invoice with lines of other categories (S)' in str(
        error.value
    )


# Party rules

SELLER = {"name": "Acme", "vat_id": "DE123456789", "country_code": "DE"}
BUYER = {"name": "Exemple", "vat_id": "FR40303265045", "country_code": "FR"}


@pytest.mark.parametrize(
    ("categories", "seller", "buyer", "has_period", "message"),
    [
        (["E"], {**SELLER, "vat_id": ""}, BUYER, True, 'category "E", which require the seller'),
        (["AE"], {**SELLER, "vat_id": ""}, BUYER, True, 'category "AE", which require the seller'),
        (["G"], {**SELLER, "vat_id": ""}, {}, True, 'category "G", which require the seller'),
        (["K"], {**SELLER, "vat_id": ""}, BUYER, True, 'category "K", which require the seller'),
        (["AE"], SELLER, {**BUYER, "vat_id": ""}, True, 'category "AE", which require the buyer'),
        (["K"], SELLER, {**BUYER, "vat_id": ""}, True, 'category "K", which require the buyer'),
        (["K"], SELLER, {**BUYER, "country_code": ""}, True, "require the country the supply"),
        (["K"], SELLER, BUYER, False, "require an invoicing period"),
        (["O"], SELLER, {}, True, "the seller needs a legal registration ID"),
    ],
)
def test_party_check_rejects(categories, seller, buyer, has_period, message):
    with pytest.raises(ValueError) as error:
        check_parties(categories, seller, buyer, has_period=has_period)

    assert message in str(error.value)


@pytest.mark.parametrize(
    ("categories", "seller", "buyer"),
    [
        (["S", "Z"], {"name": "Seller"}, {"name": "Buyer"}),
        (["AE"], SELLER, {"name": "Exemple", "legal_registration_id": "RCS Paris 303 265 045"}),
        (["G", "E"], SELLER, {"name": "Initech"}),
        (["K"], SELLER, BUYER),
        (["O"], {**SELLER, "legal_registration_id": "HRB 123456 B"}, {"name": "Initech"}),
    ],
)
def test_party_check_accepts(categories, seller, buyer):
    check_parties(categories, seller, buyer, has_period=True)


# Issued invoices


def use_plan(settings, adapter: str, **fields) -> None:
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "ADAPTER": f"tests.invoices.adapters.{adapter}",
    }
    Plan.objects.create(
        code="team-tax",
        name="Team (monthly)",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        **fields,
    )


def header_taxes(tree) -> list:
    return tree.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)


def children(element) -> list[tuple[str, str]]:
    return [(etree.QName(child).localname, child.text) for child in element]


def texts(tree, path: str) -> list[str]:
    return [node.text for node in tree.iterfind(path, NS)]


def test_reverse_charge_invoice(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "FrenchBusinessAdapter", tax_category="AE")
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice
    xml = build_cii_xml(invoice)
    tree = etree.fromstring(xml)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    [tax] = header_taxes(tree)
    assert children(tax) == [
        ("CalculatedAmount", "0.00"),
        ("TypeCode", "VAT"),
        ("ExemptionReason", "Reverse charge"),
        ("BasisAmount", "18.00"),
        ("CategoryCode", "AE"),
        ("ExemptionReasonCode", "VATEX-EU-AE"),
        ("RateApplicablePercent", "0"),
    ]
    line_path = ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:"
    assert texts(tree, line_path + "CategoryCode") == ["AE", "AE"]
    assert texts(tree, line_path + "RateApplicablePercent") == ["0", "0"]
    assert texts(tree, ".//ram:SpecifiedTaxRegistration/ram:ID") == [
        "DE123456789",
        "FR40303265045",
    ]
    assert [line.tax_category for line in invoice.lines.all()] == ["AE", "AE"]
    assert invoice.tax_breakdown[0]["exemption_reason_code"] == "VATEX-EU-AE"


def test_reverse_charge_pdf_mention(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "FrenchBusinessAdapter", tax_category="AE")
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice

    text = " ".join(" ".join(pdf_pages_text(services.read_pdf(invoice))).split())

    assert "Tax 0 % on €18.00" in text
    assert "VAT reverse charge" in text
    assert "Reverse charge" in text.replace("VAT reverse charge", "")


def test_not_subject_invoice(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "OutsideEuAdapter", tax_category="O")
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice
    xml = build_cii_xml(invoice)
    tree = etree.fromstring(xml)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    [tax] = header_taxes(tree)
    assert children(tax) == [
        ("CalculatedAmount", "0.00"),
        ("TypeCode", "VAT"),
        ("ExemptionReason", "Not subject to VAT"),
        ("BasisAmount", "18.00"),
        ("CategoryCode", "O"),
        ("ExemptionReasonCode", "VATEX-EU-O"),
    ]
    assert texts(tree, ".//ram:RateApplicablePercent") == []
    assert texts(tree, ".//ram:SpecifiedLineTradeSettlement//ram:CategoryCode") == ["O", "O"]
    # BR-O-02: no VAT IDs; BR-CO-26: the seller is identified by its register number.
    assert texts(tree, ".//ram:SpecifiedTaxRegistration/ram:ID") == []
    assert texts(tree, ".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "HRB 123456 B"
    ]
    html = render_invoice_html(invoice)
    assert "No tax on €18.00" in html
    assert "Services outside the scope of VAT" in html


def test_not_subject_needs_seller_registration(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "AddressedAdapter", tax_category="O")
    case = cancel_immediately(frozen_clock, customer, "team-tax")

    with pytest.raises(ValueError, match="seller needs a legal registration ID"):
        services.issue_final_invoice(case)

    assert not FinalInvoice.objects.exists()


def test_exempt_invoice(invoice_settings, frozen_clock, customer):
    use_plan(
        invoice_settings,
        "AddressedAdapter",
        tax_category="E",
        tax_exemption_reason=EXEMPTION_TEXT,
        tax_exemption_reason_code=EXEMPTION_CODE,
    )
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice
    xml = build_cii_xml(invoice)
    [tax] = header_taxes(etree.fromstring(xml))

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert children(tax) == [
        ("CalculatedAmount", "0.00"),
        ("TypeCode", "VAT"),
        ("ExemptionReason", EXEMPTION_TEXT),
        ("BasisAmount", "18.00"),
        ("CategoryCode", "E"),
        ("ExemptionReasonCode", EXEMPTION_CODE),
        ("RateApplicablePercent", "0"),
    ]
    assert EXEMPTION_TEXT in render_invoice_html(invoice)


def test_exempt_needs_seller_vat_id(invoice_settings, frozen_clock, customer):
    use_plan(
        invoice_settings,
        "UnregisteredSellerAdapter",
        tax_category="E",
        tax_exemption_reason=EXEMPTION_TEXT,
    )
    case = cancel_immediately(frozen_clock, customer, "team-tax")

    with pytest.raises(ValueError, match='category "E", which require the seller'):
        services.issue_final_invoice(case)

    assert not FinalInvoice.objects.exists()


def test_intra_community_names_country(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "FrenchBusinessAdapter", tax_category="K")
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice
    xml = build_cii_xml(invoice)
    tree = etree.fromstring(xml)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert texts(tree, ".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["FR"]
    assert texts(tree, ".//ram:ApplicableHeaderTradeSettlement//ram:ExemptionReasonCode") == [
        "VATEX-EU-IC"
    ]


def test_invoice_without_categories_renders(invoice_settings, frozen_clock, customer):
    use_plan(invoice_settings, "AddressedAdapter", tax_rate=Decimal("19"))
    invoice = cancel_immediately(frozen_clock, customer, "team-tax").final_invoice
    # Rewrite the rows as they were stored before categories and reasons existed.
    old_breakdown = [
        {key: entry[key] for key in ("rate", "category", "basis", "tax")}
        for entry in invoice.tax_breakdown
    ]
    models.QuerySet.update(FinalInvoice.objects.filter(pk=invoice.pk), tax_breakdown=old_breakdown)
    models.QuerySet.update(FinalInvoiceLine.objects.filter(invoice=invoice), tax_category="")
    invoice = FinalInvoice.objects.get(pk=invoice.pk)

    xml = build_cii_xml(invoice)
    [tax] = header_taxes(etree.fromstring(xml))
    text = " ".join(" ".join(pdf_pages_text(services.read_pdf(invoice))).split())

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert children(tax) == [
        ("CalculatedAmount", "2.87"),
        ("TypeCode", "VAT"),
        ("BasisAmount", "15.13"),
        ("CategoryCode", "S"),
        ("RateApplicablePercent", "19"),
    ]
    assert [line.tax_category for line in invoice.lines.all()] == ["", ""]
    assert "Tax 19 % on €15.13" in text
    assert "Standard rated" in text


# Local ledger


def test_ledger_carries_plan_category(db):
    Plan.objects.create(
        code="team-exempt",
        name="Team (exempt)",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        tax_category="E",
        tax_exemption_reason=EXEMPTION_TEXT,
        tax_exemption_reason_code=EXEMPTION_CODE,
    )
    backend = LocalLedgerBackend()
    backend.subscribe("acct-1", "team-exempt", utc(2024, 4, 1))
    backend.cancel("acct-1", immediately=True, now=utc(2024, 4, 19))

    lines = backend.closing_statement("acct-1", utc(2024, 4, 19)).lines

    assert [line.kind for line in lines] == ["period", "proration_credit"]
    assert {line.tax_category for line in lines} == {"E"}
    assert {line.tax_exemption_reason for line in lines} == {EXEMPTION_TEXT}
    assert {line.tax_exemption_reason_code for line in lines} == {EXEMPTION_CODE}


def test_ledger_blank_category_stays_blank(db, monthly_plan):
    backend = LocalLedgerBackend()
    backend.subscribe("acct-1", "team-monthly", utc(2024, 4, 1))
    backend.cancel("acct-1", immediately=False, now=utc(2024, 4, 19))

    lines = backend.closing_statement("acct-1", utc(2024, 5, 1)).lines

    assert [line.tax_category for line in lines] == [""]


def test_plan_clean_rejects_mismatch(db):
    plan = Plan(
        code="team-zero",
        name="Team (zero)",
        amount=Decimal("30.00"),
        currency="EUR",
        interval="month",
        tax_rate=Decimal("0"),
        tax_category="S",
    )

    with pytest.raises(ValidationError) as error:
        plan.full_clean()

    assert 'plan "Team (zero)" requires a tax rate above 0 %' in str(error.value)


def test_plan_admin_shows_category(admin_client, db):
    Plan.objects.create(
        code="team-jpy",
        name="Team (JPY)",
        amount=Decimal("3000"),
        currency="JPY",
        interval="month",
        tax_category="O",
    )

    changelist = admin_client.get(reverse("admin:offboarding_plan_changelist"))
    add_form = admin_client.get(reverse("admin:offboarding_plan_add"))

    assert changelist.status_code == 200
    assert "Services outside the scope of VAT" in changelist.content.decode()
    assert 'name="tax_exemption_reason_code"' in add_form.content.decode()
