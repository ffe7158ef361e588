"""Jurisdiction profiles: Germany puts offers after the cancellation, others before it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.accounts.models import Role
from offboarding.models import CaseState, OffboardingCase, SaveKind
from offboarding.models.notices import OutboxMessage
from offboarding.models.portal import OfferEvent
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_owner(settings, frozen_clock, monthly_plan, reasons, pause_offer, vault_offer):
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation("Müller GmbH", monthly_plan.code, jurisdiction="de")
    owner = make_user("anna")
    add_member(organisation, owner, Role.OWNER)
    return organisation, owner


def test_german_cancel_page_is_the_confirmation(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    page = client.get(reverse("offboarding:cancel")).content.decode()
    assert "Cancel now" in page
    assert "Müller GmbH" in page
    assert "anna@example.com" in page  # where the confirmation goes
    assert 'type="password"' not in page
    assert "Why are you leaving" not in page  # asks only what is needed
    assert "Continue" not in page.replace("Continue cancelling", "")
    # 31 March 2024 10:00 UTC in Berlin is 12:00 (CEST starts that night at 02:00).
    assert "March 31, 2024, noon" in page


def test_german_cancel_now_confirms_in_one_post(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.get(account_key=str(organisation.pk))
    assert case.state == CaseState.SCHEDULED
    assert case.jurisdiction == "de"
    assert response["Location"] == reverse("offboarding:survey", args=[case.public_id])
    assert not OfferEvent.objects.exists()
    assert OutboxMessage.objects.filter(case=case, key="cancellation_confirmation").count() == 1


def test_german_offers_follow_the_cancellation(client, german_owner, pause_offer):
    organisation, owner = german_owner
    client.force_login(owner)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.get(account_key=str(organisation.pk))

    after_survey = client.post(reverse("offboarding:survey", args=[case.public_id]), {"skip": "1"})
    assert after_survey["Location"] == reverse("offboarding:offers", args=[case.public_id])
    page = client.get(after_survey["Location"]).content.decode()
    assert "Your cancellation is done" in page
    assert "No, thanks" in page

    client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 30},
    )
    case.refresh_from_db()
    assert case.state == CaseState.SAVED
    assert case.saved_as == SaveKind.PAUSED


def test_german_no_thanks_keeps_the_cancellation(client, german_owner):
    organisation, owner = german_owner
    client.force_login(owner)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.get(account_key=str(organisation.pk))
    client.get(reverse("offboarding:offers", args=[case.public_id]))
    response = client.post(reverse("offboarding:offer-decline", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED
    assert response.status_code == 302
    assert OfferEvent.objects.filter(case=case, action="declined").count() == 2
    assert OutboxMessage.objects.filter(case=case, key="cancellation_confirmation").count() == 1


def test_california_offers_keep_continue_visible(
    client, settings, frozen_clock, monthly_plan, reasons, pause_offer, vault_offer
):
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation(
        "Sunny Inc", monthly_plan.code, jurisdiction="california", timezone="America/Los_Angeles"
    )
    owner = make_user("sam")
    add_member(organisation, owner, Role.OWNER)
    client.force_login(owner)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    page = client.get(response["Location"]).content.decode()
    offers = page.count('class="offer"')
    assert offers == 2
    assert page.count("Continue cancelling") == offers
