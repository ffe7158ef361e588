"""After "delete my data now", the portal stops offering to keep the data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offboarding.models import CaseState
from tests.portal.conftest import case_of


def ended_case(client, customer):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    case = case_of(customer)
    assert case.state == CaseState.ENDED
    return case


@pytest.fixture
def deletion_requested(client, customer, reasons, clock_now):
    """An immediately cancelled case whose owner asked for the deletion, before the purge."""
    case = ended_case(client, customer)
    url = reverse("offboarding:delete-data", args=[case.public_id])
    reauthenticate = client.post(url, {"confirm": "on"})
    client.post(reauthenticate["Location"], {"password": "pw-not-asked"})
    client.post(url, {"confirm": "on"})
    case.refresh_from_db()
    assert case.retention_ends_at == clock_now.now()
    assert case.purge_started_at is None
    return case


def status_page(client, case) -> str:
    return client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()


def test_status_offers_reactivation_before_request(client, customer, reasons, clock_now):
    case = ended_case(client, customer)

    page = status_page(client, case)

    assert reverse("offboarding:reactivate", args=[case.public_id]) in page
    assert reverse("offboarding:vault", args=[case.public_id]) in page


def test_status_hides_reactivation_after_request(client, deletion_requested):
    page = status_page(client, deletion_requested)

    assert reverse("offboarding:reactivate", args=[deletion_requested.public_id]) not in page
    assert reverse("offboarding:vault", args=[deletion_requested.public_id]) not in page
    assert "with everything as it was" not in page


@pytest.mark.parametrize("action", ["reactivate", "vault"])
def test_post_after_request_rejected(client, deletion_requested, action):
    response = client.post(reverse(f"offboarding:{action}", args=[deletion_requested.public_id]))

    deletion_requested.refresh_from_db()
    assert response.status_code == 302
    assert deletion_requested.state == CaseState.ENDED
    page = status_page(client, deletion_requested)
    assert "That is not possible for this case any more." in page
