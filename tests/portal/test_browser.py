"""The portal in Debian's Chromium through Playwright, against a live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from config.accounts.models import Role
from offboarding import jobs
from offboarding.models import CaseState, OffboardingCase, SaveKind
from tests.portal.conftest import NOW, after_period
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread. The test's own ORM calls are
# plain synchronous calls, which Django would otherwise reject next to a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(
        viewport={"width": 1000, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def sign_in(page, live_server, user) -> None:
    """Put a session of ``user`` into the browser, as a sign-in would."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def start_cancelling(page, live_server) -> None:
    page.goto(live_server.url + reverse("offboarding:portal"))
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel your subscription"
    page.get_by_label("At the end of the paid period").check()


def settled(page) -> None:
    """Wait until the page has loaded and made no request for 500 ms.

    On SQLite the live server and the test share one in-memory connection, so the test
    reads the database only after the server has finished every request of the page.
    """
    page.wait_for_load_state("networkidle")


def case_of(page, user) -> OffboardingCase:
    settled(page)
    return OffboardingCase.objects.get(account_key=str(user.pk))


def test_cancel_declining_every_offer(
    page, live_server, customer, reasons, pause_offer, vault_offer
):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Continue", exact=True).click()

    assert page.get_by_role("heading", name="Pause instead of cancelling").is_visible()
    continue_buttons = page.get_by_role("button", name="Continue cancelling")
    assert continue_buttons.count() == 2
    continue_buttons.first.click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your cancellation is confirmed"
    page.get_by_role("button", name="Skip").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your subscription is cancelled"
    case = case_of(page, customer)
    assert case.state == CaseState.SCHEDULED
    assert case.offer_events.filter(action="declined").count() == 2


def test_accept_sixty_day_pause(page, live_server, customer, reasons, pause_offer, vault_offer):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Pause for 60 days").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your subscription is paused"
    assert page.get_by_role("button", name="Resume now").is_visible()
    case = case_of(page, customer)
    assert case.saved_as == SaveKind.PAUSED
    assert (case.pause_ends_at - NOW).days == 60


def test_choose_the_vault(page, live_server, customer, reasons, pause_offer, vault_offer):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Move to the data vault").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your data is in the data vault"
    assert page.get_by_role("button", name="Reactivate my account").is_visible()
    assert case_of(page, customer).state == CaseState.VAULTED


def test_undo_pending_cancel(page, live_server, customer, reasons):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_role("button", name="Skip").click()
    page.get_by_role("button", name="Undo the cancellation").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your cancellation was undone"
    assert case_of(page, customer).state == CaseState.WITHDRAWN


def test_reactivate_after_boundary(page, live_server, customer, reasons, clock_now):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_role("button", name="Skip").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your subscription is cancelled")
    settled(page)

    clock_now.advance(after_period())
    jobs.scan_due_work()
    assert case_of(page, customer).state == CaseState.ENDED

    # Revocation signed every session out at the boundary; the owner signs in again.
    sign_in(page, live_server, customer)
    page.goto(live_server.url + reverse("offboarding:portal"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your subscription has ended"
    page.get_by_role("button", name="Reactivate my account").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your account is active again"
    assert case_of(page, customer).state == CaseState.REACTIVATED


def test_german_profile_confirms_in_one_click(
    page, live_server, settings, frozen_clock, monthly_plan, reasons, pause_offer
):
    settings.OFFBOARDING = DEMO_OFFBOARDING
    frozen_clock.at(NOW)
    organisation = make_organisation("Müller GmbH", monthly_plan.code, jurisdiction="de")
    owner = make_user("anna")
    add_member(organisation, owner, Role.OWNER)
    sign_in(page, live_server, owner)

    page.goto(live_server.url + reverse("accounts:billing"))
    page.get_by_role("link", name="Cancel subscription").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Cancel your subscription"
    assert page.locator("input[type=password]").count() == 0
    page.get_by_role("button", name="Cancel now").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your cancellation is confirmed"
    settled(page)
    case = OffboardingCase.objects.get(account_key=str(organisation.pk))
    assert case.state == CaseState.SCHEDULED
    assert not case.offer_events.exists()


@pytest.mark.parametrize("width", [320, 360, 414])
def test_narrow_screen_layout(page, live_server, customer, reasons, width):
    sign_in(page, live_server, customer)
    start_cancelling(page, live_server)
    page.get_by_role("button", name="Cancel subscription").click()
    page.set_viewport_size({"width": width, "height": 800})

    # Every NPS score from 0 to 10 sits on one row, "10" included.
    tops = {
        score: page.locator(f"label[for=id_nps_{score + 1}]").bounding_box()["y"]
        for score in range(11)
    }
    assert len(set(tops.values())) == 1, tops
    assert page.locator("label[for=id_nps_11]").inner_text() == "10"
    # "10" stays on one line: its label is no taller than the label of "0".
    heights = [page.locator(f"label[for=id_nps_{n}]").bounding_box()["height"] for n in (1, 11)]
    assert heights[0] == heights[1], heights
    overflow = "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not page.evaluate(overflow)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"survey-{width}px.png"), full_page=True)

    page.get_by_role("button", name="Skip").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your subscription is cancelled"
    assert not page.evaluate(overflow)
