"""The data vault in the product: the owner reads everything and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from config.accounts.models import Role
from offboarding import jobs
from offboarding.models import Actor, CaseState
from offboarding.services import lifecycle
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("workspace:dashboard")
SETTINGS_PAGE = reverse("accounts:settings")
BANNER = "Your data is in the data vault"


@pytest.fixture
def team(settings, frozen_clock, monthly_plan):
    """An organisation with an owner and a member, cancelled at the period end."""
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation("Vaulted Ltd", monthly_plan.code)
    owner, member = make_user("olga"), make_user("mark")
    add_member(organisation, owner, Role.OWNER)
    add_member(organisation, member, Role.MEMBER)
    case = lifecycle.open_case(organisation, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner))
    return organisation, owner, member, case


def run_due(frozen_clock, at) -> None:
    frozen_clock.at(at)
    jobs.scan_due_work()
    while jobs.scan_due_work().counts.get("steps"):
        pass


@pytest.fixture
def vaulted(team, frozen_clock):
    organisation, owner, member, case = team
    case = lifecycle.enter_vault(case, actor=Actor.customer(owner))
    run_due(frozen_clock, case.boundary_at + timedelta(hours=1))
    case.refresh_from_db()
    assert case.state == CaseState.VAULTED
    return organisation, owner, member, case


def test_vaulted_owner_reads_product(client, vaulted):
    organisation, owner, member, case = vaulted
    client.force_login(owner)

    for url in (DASHBOARD, SETTINGS_PAGE):
        response = client.get(url)
        assert response.status_code == 200, url
        assert BANNER in response.content.decode()
    assert client.head(DASHBOARD).status_code == 200


def test_vaulted_owner_cannot_write(client, vaulted):
    organisation, owner, member, case = vaulted
    client.force_login(owner)

    response = client.post(SETTINGS_PAGE, {"name": "Renamed"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "you can read it but not change it" in html
    assert f'href="{reverse("offboarding:status", args=[case.public_id])}"' in html
    organisation.refresh_from_db()
    assert organisation.name == "Vaulted Ltd"


def test_vaulted_owner_keeps_portal_actions(client, vaulted):
    organisation, owner, member, case = vaulted
    client.force_login(owner)

    response = client.post(reverse("offboarding:reactivate", args=[case.public_id]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REACTIVATED


def test_vaulted_member_stays_signed_out(client, vaulted):
    organisation, owner, member, case = vaulted
    client.force_login(member)

    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_ended_owner_without_vault_goes_to_portal(client, team, frozen_clock):
    organisation, owner, member, case = team
    run_due(frozen_clock, case.boundary_at + timedelta(hours=1))
    client.force_login(owner)

    response = client.get(DASHBOARD)
    assert response["Location"] == reverse("offboarding:status", args=[case.public_id])


def test_no_banner_before_the_boundary(client, team):
    organisation, owner, member, case = team
    lifecycle.enter_vault(case, actor=Actor.customer(owner))
    client.force_login(owner)

    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert BANNER not in response.content.decode()


def test_timeline_sorts_vault_before_boundary(client, team):
    organisation, owner, member, case = team
    lifecycle.enter_vault(case, actor=Actor.customer(owner))
    client.force_login(owner)

    html = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()
    labels = ["Cancellation requested", "Chose the data vault", "Access ends"]
    positions = [html.index(label) for label in labels]
    assert positions == sorted(positions)


def test_reactivated_page_reads_as_active(client, team, frozen_clock):
    organisation, owner, member, case = team
    run_due(frozen_clock, case.boundary_at + timedelta(hours=1))
    case.refresh_from_db()
    assert case.final_invoice is not None
    client.force_login(owner)

    client.post(reverse("offboarding:reactivate", args=[case.public_id]))
    html = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()
    assert "Your account is active again" in html
    assert "no further charges will be made" not in html
    assert "Your reactivated subscription is billed as usual" in html
    assert "Go to the product" in html
    assert client.get(DASHBOARD).status_code == 200
