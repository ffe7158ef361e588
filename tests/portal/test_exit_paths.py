"""Where each step of the exit leads: the flow ends on the status page, and no page is a dead end."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from config.accounts.models import Role
from offboarding.middleware import access_ended_context
from offboarding.models import CaseState, OffboardingCase
from offboarding.models.portal import OfferEvent
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = pytest.mark.django_db

LOGOUT = reverse("account_logout")


@pytest.fixture
def german_owner(settings, frozen_clock, monthly_plan, reasons, pause_offer, vault_offer):
    """The owner of an organisation on the "de" profile: offers follow the cancellation."""
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation("Northwind GmbH", monthly_plan.code, jurisdiction="de")
    owner = make_user("nina")
    add_member(organisation, owner, Role.OWNER)
    return organisation, owner


def cancel_now(client, organisation) -> OffboardingCase:
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    return OffboardingCase.objects.get(account_key=str(organisation.pk))


def without_csrf_token(response) -> str:
    # The sign-out form's token differs per response; everything else must match.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def status_url(case) -> str:
    return reverse("offboarding:status", args=[case.public_id])


def test_german_answers_then_no_thanks_end_on_status(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)

    answered = client.post(
        reverse("offboarding:survey", args=[case.public_id]), {"send": "1", "comment": "Too dear"}
    )
    assert answered["Location"] == reverse("offboarding:offers", args=[case.public_id])
    client.get(answered["Location"])

    declined = client.post(reverse("offboarding:offer-decline", args=[case.public_id]))
    assert declined["Location"] == status_url(case)
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED


def test_german_skip_then_no_thanks_end_on_status(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)

    skipped = client.post(reverse("offboarding:survey", args=[case.public_id]), {"skip": "1"})
    assert skipped["Location"] == reverse("offboarding:offers", args=[case.public_id])
    client.get(skipped["Location"])
    declined = client.post(reverse("offboarding:offer-decline", args=[case.public_id]))
    assert declined["Location"] == status_url(case)


def test_declined_offers_are_not_shown_again(client, german_owner):
    # Offers first, survey second: the survey then ends on the status page.
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)
    client.get(reverse("offboarding:offers", args=[case.public_id]))

    declined = client.post(reverse("offboarding:offer-decline", args=[case.public_id]))
    assert declined["Location"] == reverse("offboarding:survey", args=[case.public_id])
    skipped = client.post(reverse("offboarding:survey", args=[case.public_id]), {"skip": "1"})
    assert skipped["Location"] == status_url(case)


def test_post_cancel_offers_have_one_decline(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)

    page = client.get(reverse("offboarding:offers", args=[case.public_id])).content.decode()
    assert page.count('class="offer"') == 2
    assert page.count(reverse("offboarding:offer-decline", args=[case.public_id])) == 1
    assert "No, thanks, continue" in page
    assert "Continue cancelling" not in page

    client.post(reverse("offboarding:offer-decline", args=[case.public_id]))
    declined = OfferEvent.objects.filter(case=case, action="declined")
    shown = OfferEvent.objects.filter(case=case, action="shown")
    assert sorted(declined.values_list("offer_id", flat=True)) == sorted(
        shown.values_list("offer_id", flat=True)
    )
    assert declined.count() == 2


@pytest.mark.parametrize("page", ["survey", "offers", "receipt"])
def test_flow_pages_link_to_status(client, german_owner, page):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)

    html = client.get(reverse(f"offboarding:{page}", args=[case.public_id])).content.decode()
    assert f'href="{status_url(case)}"' in html


@pytest.mark.parametrize("page", ["status", "cancel"])
def test_portal_pages_offer_home_and_sign_out(client, german_owner, page):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)
    url = status_url(case) if page == "status" else reverse("offboarding:cancel")

    html = client.get(url, follow=True).content.decode()
    assert 'href="/"' in html
    assert f'action="{LOGOUT}"' in html
    assert "Sign out" in html


def test_deleted_account_gets_portal_page(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)
    organisation.delete()

    for url in (reverse("offboarding:portal"), status_url(case)):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404
        assert "There is no subscription to manage for this sign-in" in html
        assert f'action="{LOGOUT}"' in html
        assert 'href="/"' in html
        assert "No offboarding for this user." not in html


def test_unknown_case_looks_like_others_case(client, german_owner, monthly_plan):
    organisation, owner = german_owner
    other = make_organisation("Other Co", monthly_plan.code)
    other_owner = make_user("otto")
    add_member(other, other_owner, Role.OWNER)
    client.force_login(other_owner)
    foreign = cancel_now(client, other)
    client.force_login(owner)

    unknown = client.get(reverse("offboarding:status", args=["no-such-case"]))
    not_yours = client.get(status_url(foreign))
    assert unknown.status_code == not_yours.status_code == 404
    assert without_csrf_token(unknown) == without_csrf_token(not_yours)


def test_withdrawal_outside_period_gets_portal_page(client, german_owner):
    # The "de" profile has no withdrawal period, so the page does not apply.
    organisation, owner = german_owner
    client.force_login(owner)

    response = client.get(reverse("offboarding:contract-withdrawal"))
    html = response.content.decode()
    assert response.status_code == 404
    assert "No withdrawal period is running" in html
    assert f'href="{reverse("offboarding:portal")}"' in html
    assert f'action="{LOGOUT}"' in html


def test_refused_member_login_gets_styled_page(client, german_owner, frozen_clock):
    organisation, owner = german_owner
    member = make_user("mia")
    add_member(organisation, member, Role.MEMBER)
    client.force_login(owner)
    case = cancel_now(client, organisation)
    client.logout()
    frozen_clock.at(case.boundary_at)

    response = client.post("/accounts/login/", {"login": member.email, "password": "pw-not-asked"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "offboarding/portal.css" in html
    assert "Access ended" in html
    assert f'href="{reverse("account_login")}"' in html
    assert 'href="/"' in html


def test_access_ended_links_owner_to_status(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    case = cancel_now(client, organisation)
    member = make_user("max")
    add_member(organisation, member, Role.MEMBER)

    assert access_ended_context(owner, organisation)["status_url"] == status_url(case)
    assert "status_url" not in access_ended_context(member, organisation)
