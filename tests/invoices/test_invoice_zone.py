"""The final invoice shows every date of the account in the account's time zone."""

from __future__ import annotations

import re

import pytest
from django.utils.html import strip_tags

from offboarding.invoices.document import render_invoice_html
from tests.invoices.conftest import cancel_immediately


@pytest.fixture
def new_york_invoice(invoice_settings, frozen_clock, monthly_plan, customer):
    invoice = cancel_immediately(frozen_clock, customer, "team-monthly").final_invoice
    # The period runs from 2024-04-01 to 2024-05-01 UTC, which is 20:00 the evening
    # before in New York, so every date of the document moves one day back.
    invoice.time_zone = "America/New_York"
    return invoice


def rendered_text(invoice) -> str:
    # Cells are separated by tags only, so each tag becomes a space before they go.
    html = render_invoice_html(invoice).replace("<", " <")
    return " ".join(strip_tags(html).split())


def test_header_and_line_show_same_period(new_york_invoice):
    text = rendered_text(new_york_invoice)
    header, table = text.split("Description", 1)

    assert "Last billing period March 31, 2024 – April 30, 2024" in header
    assert "March 31, 2024 – April 30, 2024" in table


def test_period_shown_on_period_charge_only(new_york_invoice):
    table = rendered_text(new_york_invoice).split("Description", 1)[1]

    assert len(re.findall(r"March 31, 2024 – April 30, 2024", table)) == 1


def test_closure_time_has_zone_abbreviation(new_york_invoice):
    text = rendered_text(new_york_invoice)

    assert "Team (monthly): closed on April 18, 2024, 8 p.m. EDT" in text


def test_columns_say_net_and_gross(new_york_invoice):
    text = rendered_text(new_york_invoice)

    assert "Unit price (net)" in text
    assert "Amount (gross)" in text
