"""The portal of an account whose data was purged while its user row was kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offboarding import jobs
from offboarding.models import Actor, CaseState, DeletionCertificate
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.portal.conftest import case_of

# The customer's boundary is 31 March 2024 10:00 UTC, and the retention window is 30 days.
AFTER_RETENTION = utc(2024, 5, 1, 22, 30)


@pytest.fixture
def purged_customer(customer, clock_now, portal_settings, tmp_path):
    portal_settings.MEDIA_ROOT = tmp_path / "media"
    portal_settings.OFFBOARDING = {
        "CLOCK": "database",
        "ADAPTER": "tests.portal.adapters.KeepAccountRowAdapter",
    }
    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    clock_now.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    clock_now.at(AFTER_RETENTION)
    jobs.scan_due_work()
    jobs.scan_due_work()
    assert case_of(customer).state == CaseState.PURGED
    return customer


def test_portal_leads_to_purged_status(client, purged_customer):
    client.force_login(purged_customer)
    case = case_of(purged_customer)
    status_url = reverse("offboarding:status", args=[case.public_id])

    assert client.get(reverse("offboarding:portal")).url == status_url
    assert client.get(reverse("offboarding:cancel")).url == status_url


def test_purged_status_offers_no_export(client, purged_customer):
    client.force_login(purged_customer)
    case = case_of(purged_customer)

    page = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()

    assert "Your data has been deleted" in page
    assert "your account's data was deleted for good" in page
    assert "May 1, 2024, 10:30 p.m." in page
    assert "p.m.." not in page
    assert "Start export" not in page
    assert reverse("offboarding:export-request") not in page
    assert reverse("offboarding:survey", args=[case.public_id]) not in page
    assert reverse("offboarding:reactivate", args=[case.public_id]) not in page
    assert reverse("offboarding:certificate-download", args=[case.public_id]) in page
    assert reverse("offboarding:invoice-download", args=[case.final_invoice.token]) in page


def test_purged_certificate_download(client, purged_customer):
    client.force_login(purged_customer)
    case = case_of(purged_customer)
    assert DeletionCertificate.objects.filter(case=case).exists()

    response = client.get(reverse("offboarding:certificate-download", args=[case.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_purged_invoice_download(client, purged_customer):
    client.force_login(purged_customer)
    invoice = case_of(purged_customer).final_invoice

    response = client.get(reverse("offboarding:invoice-download", args=[invoice.token]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_certificate_hidden_from_others(client, purged_customer, make_customer):
    case = case_of(purged_customer)
    client.force_login(make_customer("bob"))

    response = client.get(reverse("offboarding:certificate-download", args=[case.public_id]))

    assert response.status_code == 404


def test_certificate_of_open_case_404(client, customer):
    client.force_login(customer)
    case = lifecycle.open_case(customer, customer)

    response = client.get(reverse("offboarding:certificate-download", args=[case.public_id]))

    assert response.status_code == 404


def test_purged_survey_redirects(client, purged_customer):
    client.force_login(purged_customer)
    case = case_of(purged_customer)

    response = client.get(reverse("offboarding:survey", args=[case.public_id]))

    assert response.url == reverse("offboarding:status", args=[case.public_id])
