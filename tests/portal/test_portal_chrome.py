"""The portal's frame around its pages: the export page, the header links, the 404 page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from config.accounts.models import Role
from offboarding import jobs
from offboarding.models import Actor, CaseState, DataExport, OffboardingCase
from offboarding.services import lifecycle
from tests.portal.conftest import NOW, PERIOD_END
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = pytest.mark.django_db

PRODUCT_LINK = "Back to the product"


@pytest.fixture
def scheduled(settings, frozen_clock, monthly_plan):
    """Acme, in Berlin, with its owner and a cancellation scheduled for the period end."""
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    acme = make_organisation("Acme", monthly_plan.code, jurisdiction="eu")
    owner = make_user("owner")
    add_member(acme, owner, Role.OWNER)
    case = lifecycle.open_case(acme, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner))
    assert case.boundary_at == PERIOD_END
    return case, owner


def status_url(case) -> str:
    return reverse("offboarding:status", args=[case.public_id])


def test_export_page_is_portal_page(client, scheduled):
    case, owner = scheduled
    client.force_login(owner)
    client.post(reverse("offboarding:export-request"), {"formats": ["csv"]})
    export = DataExport.objects.get(account_key=case.account_key)

    response = client.get(reverse("offboarding:export-status", args=[export.token]))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'class="portal-header"' in html
    assert "portal.css" in html
    assert "Sign out" in html
    assert f'href="{status_url(case)}"' in html
    assert "Back to the status of your cancellation" in html
    # Requested on 5 March 2024 at 12:00 UTC: 1 p.m. in Berlin's winter time.
    assert "Export queued since March 5, 2024, 1 p.m. CET" in html
    assert "Times in Europe/Berlin" in html


def test_export_page_in_zone_after_ready(client, scheduled):
    case, owner = scheduled
    client.force_login(owner)
    client.post(reverse("offboarding:export-request"), {"formats": ["csv"]})
    export = DataExport.objects.get(account_key=case.account_key)
    DataExport.objects.filter(pk=export.pk).update(
        status="ready", expires_at=NOW + timedelta(days=7), file_count=1, size_bytes=10
    )

    html = client.get(reverse("offboarding:export-status", args=[export.token])).content.decode()

    assert "available until March 12, 2024, 1 p.m. CET" in html
    assert " UTC)" not in html


def test_product_link_before_boundary(client, scheduled):
    case, owner = scheduled
    client.force_login(owner)

    html = client.get(status_url(case)).content.decode()

    assert PRODUCT_LINK in html


def test_product_link_hidden_after_boundary(client, scheduled, frozen_clock):
    case, owner = scheduled
    frozen_clock.at(PERIOD_END + timedelta(hours=1))
    jobs.scan_due_work()
    client.force_login(owner)

    html = client.get(status_url(case)).content.decode()
    product = client.get("/")

    assert OffboardingCase.objects.get(pk=case.pk).state == CaseState.ENDED
    assert PRODUCT_LINK not in html
    assert "Sign out" in html
    # The link would only lead back here: the product sends the owner to the portal.
    assert product.status_code == 302
    assert product["Location"] == status_url(case)


def test_product_link_kept_in_data_vault(client, scheduled, frozen_clock):
    case, owner = scheduled
    lifecycle.enter_vault(case, actor=Actor.customer(owner))
    frozen_clock.at(PERIOD_END + timedelta(hours=1))
    jobs.scan_due_work()
    client.force_login(owner)

    html = client.get(status_url(case)).content.decode()

    assert OffboardingCase.objects.get(pk=case.pk).state == CaseState.VAULTED
    assert PRODUCT_LINK in html
    # A read-only owner may open the product's pages.
    product = client.get("/", follow=True)
    assert product.status_code == 200
    assert product.redirect_chain[-1][0] != status_url(case)


def test_no_subscription_page_names_emails(client, db):
    client.force_login(make_user("nobody"))

    response = client.get(reverse("offboarding:portal"))
    html = response.content.decode()

    assert response.status_code == 404
    assert "There is no subscription to manage for this sign-in" in html
    assert (
        "If the account's data was deleted, its deletion certificate and final invoice "
        "were sent by email to the account's owner." in html
    )


@pytest.mark.parametrize("template", ["access_ending_message.txt", "access_ending_message.html"])
def test_access_ending_reminder_says_undo(scheduled, template):
    case, _ = scheduled
    context = {"case": case, "account_label": "Acme", "portal_url": "/offboarding/"}

    text = render_to_string(f"offboarding/email/{template}", context)

    assert "you can undo the cancellation on your subscription page" in text
    assert "withdraw" not in text
