"""Who may see and act on a case: only whom the adapter allows; everyone else gets a 404."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from config.accounts.models import Role
from offboarding.models import CaseState, OffboardingCase
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = pytest.mark.django_db

CASE_GET_URLS = ["status", "offers", "survey", "receipt", "delete-data"]
CASE_POST_URLS = [
    "offer-accept",
    "offer-decline",
    "survey",
    "withdraw",
    "resume",
    "vault",
    "leave-vault",
    "reactivate",
    "delete-data",
]
ACCOUNT_URLS = ["portal", "cancel", "contract-withdrawal"]


@pytest.fixture
def shape(settings, frozen_clock, monthly_plan, reasons):
    """Acme (owner, admin, member) with a scheduled case, and Other Co with its own owner."""
    settings.OFFBOARDING = DEMO_OFFBOARDING
    from tests.portal.conftest import NOW

    frozen_clock.at(NOW)
    acme = make_organisation("Acme", monthly_plan.code, jurisdiction="eu")
    other = make_organisation("Other Co", monthly_plan.code)
    users = {name: make_user(name) for name in ("owner", "admin", "member", "stranger")}
    add_member(acme, users["owner"], Role.OWNER)
    add_member(acme, users["admin"], Role.ADMIN)
    add_member(acme, users["member"], Role.MEMBER)
    add_member(other, users["stranger"], Role.OWNER)

    from offboarding.models import Actor
    from offboarding.services import lifecycle

    case = lifecycle.open_case(acme, users["owner"])
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(users["owner"]))
    return {"case": case, **users}


def _case_snapshot(case):
    case = OffboardingCase.objects.get(pk=case.pk)
    return (case.state, case.retention_ends_at, case.boundary_at, case.events.count())


def test_anonymous_is_sent_to_login(client, shape):
    case = shape["case"]
    login = reverse(django_settings.LOGIN_URL)
    for name in CASE_GET_URLS:
        response = client.get(reverse(f"offboarding:{name}", args=[case.public_id]))
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name
    for name in CASE_POST_URLS:
        response = client.post(reverse(f"offboarding:{name}", args=[case.public_id]))
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name
    for name in ACCOUNT_URLS:
        assert client.get(reverse(f"offboarding:{name}")).status_code == 302, name
    assert _case_snapshot(case)[0] == CaseState.SCHEDULED


@pytest.mark.parametrize("who", ["stranger", "member", "admin"])
def test_others_get_not_found(client, shape, who):
    case = shape["case"]
    before = _case_snapshot(case)
    client.force_login(shape[who])
    for name in CASE_GET_URLS:
        response = client.get(reverse(f"offboarding:{name}", args=[case.public_id]))
        assert response.status_code == 404, name
    for name in CASE_POST_URLS:
        response = client.post(
            reverse(f"offboarding:{name}", args=[case.public_id]),
            {"offer": 1, "when": "end_of_period", "confirm": "on"},
        )
        assert response.status_code == 404, name
    assert _case_snapshot(case) == before


@pytest.mark.parametrize("who", ["member", "admin"])
def test_members_cannot_start_a_cancellation(client, shape, who):
    client.force_login(shape[who])
    for name in ACCOUNT_URLS:
        assert client.get(reverse(f"offboarding:{name}")).status_code == 404, name
    assert client.post(reverse("offboarding:cancel"), {"when": "end_of_period"}).status_code == 404
    assert OffboardingCase.objects.count() == 1


def test_stranger_sees_only_own_account(client, shape):
    client.force_login(shape["stranger"])
    page = client.get(reverse("offboarding:cancel")).content.decode()
    assert "Other Co" in page
    assert "Acme" not in page


def test_owner_gets_through(client, shape):
    case = shape["case"]
    client.force_login(shape["owner"])
    for name in ["status", "survey", "receipt"]:
        response = client.get(reverse(f"offboarding:{name}", args=[case.public_id]))
        assert response.status_code == 200, name
    assert client.get(reverse("offboarding:portal"))["Location"] == reverse(
        "offboarding:status", args=[case.public_id]
    )


def test_unknown_public_id_is_not_found(client, shape):
    client.force_login(shape["owner"])
    assert client.get(reverse("offboarding:status", args=["no-such-case"])).status_code == 404
    numeric = reverse("offboarding:status", args=[str(shape["case"].pk)])
    assert client.get(numeric).status_code == 404
