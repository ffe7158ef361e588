"""Amounts in the invoice admin and on the case page carry their currency's decimals."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.invoices.conftest import cancel_immediately


@pytest.fixture
def euro_invoice(invoice_settings, frozen_clock, monthly_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-monthly").final_invoice


@pytest.fixture
def yen_invoice(invoice_settings, frozen_clock, yen_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-yen").final_invoice


def page_text(admin_client, url) -> str:
    html = admin_client.get(url).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_invoice_page_formats_totals_and_lines(admin_client, euro_invoice):
    url = reverse("admin:offboarding_finalinvoice_change", args=[euro_invoice.pk])

    text = page_text(admin_client, url)

    assert "€18.00" in text
    assert "€30.00" in text
    assert "-€12.00" in text
    assert "€0.00" in text
    assert "30.0000" not in text
    assert "18.0000" not in text


def test_invoice_list_formats_totals(admin_client, euro_invoice):
    text = page_text(admin_client, reverse("admin:offboarding_finalinvoice_changelist"))

    assert "€18.00" in text
    assert "18.0000" not in text


def test_yen_invoice_has_no_decimals(admin_client, yen_invoice):
    url = reverse("admin:offboarding_finalinvoice_change", args=[yen_invoice.pk])

    text = page_text(admin_client, url)

    assert "¥3,000" in text
    assert "¥1,800" in text
    assert "3000.0000" not in text


def test_case_page_invoice_section_formats_money(admin_client, euro_invoice):
    url = reverse("admin:offboarding_offboardingcase_change", args=[euro_invoice.case_id])

    section = page_text(admin_client, url).split("Final invoice", 1)[1]

    assert "EUR €18.00 €30.00 €12.00 €0.00" in section
