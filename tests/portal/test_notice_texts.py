"""Notices to a customer whose user is the account: single-user wording, dates as elsewhere."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from offboarding import jobs
from offboarding.models import CaseState
from offboarding.notices.sending import send_due_notices
from tests.portal.conftest import case_of


@pytest.fixture
def cancelled_now(client, customer, reasons, clock_now, portal_settings, tmp_path, mailoutbox):
    """The customer cancels at once on 5 March 2024 and every due notice is sent."""
    portal_settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    jobs.scan_due_work()
    send_due_notices()
    case = case_of(customer)
    assert case.state == CaseState.ENDED
    return case


def mail_with(mailoutbox, words: str):
    [message] = [mail for mail in mailoutbox if words in mail.subject]
    return message


def test_final_invoice_dates_like_other_notices(cancelled_now, mailoutbox):
    message = mail_with(mailoutbox, "final invoice")
    html = message.alternatives[0][0]

    # The same filters as every other notice, in the invoice's zone (UTC here).
    for body in (message.body, html):
        assert "of March 5, 2024." in body
        assert "closed on March 5, 2024, noon UTC" in body
        assert "5 March 2024" not in body


@pytest.mark.parametrize(
    "template, words",
    [
        ("access_ending_message.txt", "your access to the product stops on"),
        ("access_ending_message.html", "your access to the product stops on"),
        ("access_ended_message.txt", "your access to the product has stopped"),
        ("access_ended_message.html", "your access to the product has stopped"),
    ],
)
def test_access_notice_speaks_to_one_user(cancelled_now, template, words):
    context = {"case": cancelled_now, "account_label": "ann"}

    text = render_to_string(f"offboarding/email/{template}", context)

    assert words in text
    assert "team" not in text


def test_vault_offer_speaks_to_one_user(client, customer, reasons, vault_offer):
    client.force_login(customer)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})

    page = client.get(response["Location"]).content.decode()

    assert "you can still read your data in the product, but not change it." in page
    assert "team" not in page.lower()
