"""The German exit in Chromium: cancel, survey, offers, and the walk ends on the status page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.accounts.models import Role
from offboarding.models import CaseState, OffboardingCase
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user
from tests.portal.test_browser import browser, page, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(browser_page) -> str:
    return browser_page.get_by_role("heading", level=1).inner_text()


def test_german_exit_ends_on_status(
    page,  # noqa: F811 (the fixture imported above)
    live_server,
    settings,
    frozen_clock,
    monthly_plan,
    reasons,
    pause_offer,
    vault_offer,
):
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation("Northwind GmbH", monthly_plan.code, jurisdiction="de")
    owner = make_user("nina")
    add_member(organisation, owner, Role.OWNER)
    sign_in(page, live_server, owner)

    page.goto(live_server.url + reverse("accounts:billing"))
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_role("button", name="Cancel now").click()
    assert heading(page) == "Your cancellation is confirmed"
    assert page.get_by_role("link", name="Status of your cancellation").is_visible()

    page.get_by_role("button", name="Send answers").click()
    assert heading(page) == "Your cancellation is done"
    assert page.get_by_role("link", name="Status of your cancellation").is_visible()
    assert page.get_by_role("button", name="No, thanks, continue").count() == 1

    page.get_by_role("button", name="No, thanks, continue").click()
    assert heading(page) == "Your subscription is cancelled"
    assert page.get_by_role("link", name="Back to the product").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    case = OffboardingCase.objects.get(account_key=str(organisation.pk))
    assert case.state == CaseState.SCHEDULED
    assert case.offer_events.filter(action="declined").count() == 2
