"""The admin in Debian's Chromium: each staff group opens the dashboard and a case, acts on it.

Every page is served with ``Content-Security-Policy: default-src 'self'`` (added to the
responses in the browser), and the test fails on any violation the browser reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from offboarding.models import AuditEvent, CaseState, OffboardingCase, SurveyResponse
from tests.admin.conftest import PASSWORD
from tests.conftest import utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STRICT_CSP = "default-src 'self'"
# Collects violations in the page; init scripts run through DevTools, outside the policy.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test
    # itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class StaffSession:
    """One signed-in staff member's browser page with a strict CSP on every response."""

    def __init__(self, browser, live_server, name):
        self.base = live_server.url
        self.name = name
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._console)
        self.page.add_init_script(CSP_LISTENER)
        self.page.route(f"{self.base}/**", self._with_strict_csp)

    def _console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def _with_strict_csp(self, route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    def open(self, url):
        response = self.page.goto(self.base + url)
        violations = self.page.evaluate("window.__cspViolations")
        assert violations == [], violations
        return response

    def login(self, username):
        self.open(reverse("admin:login"))
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#site-name")

    def settle(self):
        # On SQLite the live server and the test share one in-memory connection, so the
        # test reads the database only after the server has finished every request.
        self.page.wait_for_load_state("networkidle")

    def shot(self, label):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"admin-{self.name}-{label}.png", full_page=True)

    def close(self):
        csp_errors = [text for text in self.console_errors if "Content Security Policy" in text]
        assert csp_errors == []
        self.context.close()


@pytest.fixture
def dashboard_data(frozen_clock, ended_case):
    SurveyResponse.objects.create(
        case=ended_case,
        nps=9,
        reason_code="too_expensive",
        answered_at=utc(2024, 3, 6),
        comment="Budget cut",
    )
    return ended_case


def dashboard_url():
    return reverse("admin:offboarding_dashboard") + "?start=2024-01-01&end=2024-04-30"


def test_customer_success_extends_but_cannot_purge(
    browser, live_server, success_user, dashboard_data
):
    case = dashboard_data
    session = StaffSession(browser, live_server, "customer-success")
    session.login(success_user.username)

    session.open(dashboard_url())
    assert session.page.locator(".obd-panel-nps .obd-headline").inner_text() == "100"
    session.shot("dashboard")

    session.open(reverse("admin:offboarding_offboardingcase_changelist"))
    assert session.page.locator("#result_list tbody tr").count() == 1
    session.shot("case-list")

    session.open(reverse("admin:offboarding_offboardingcase_change", args=[case.pk]))
    assert session.page.locator(".obd-section-audit tbody tr").count() >= 3
    assert session.page.locator(".obd-action-purge_now").count() == 0
    session.shot("case")

    session.page.click(".obd-action-extend_retention")
    session.page.fill("#id_days", "10")
    session.page.fill("#id_reason", "Customer needs time to migrate")
    session.shot("extend-form")
    session.page.click("input[type=submit].default")
    session.page.wait_for_selector(".messagelist .success")
    session.shot("extended")
    session.settle()

    case.refresh_from_db()
    assert case.retention_ends_at == utc(2024, 5, 10, 10)
    event = AuditEvent.objects.filter(case=case).order_by("-sequence").first()
    assert (event.action, event.actor_id) == ("retention_extended", str(success_user.pk))

    purge_url = reverse("admin:offboarding_offboardingcase_action", args=[case.pk, "purge_now"])
    response = session.page.goto(session.base + purge_url)
    assert response.status == 403
    session.settle()
    case.refresh_from_db()
    assert case.purge_started_at is None
    session.close()


def test_administrator_purges_after_dry_run(
    browser, live_server, admin_user_in_group, dashboard_data
):
    case = dashboard_data
    session = StaffSession(browser, live_server, "administrator")
    session.login(admin_user_in_group.username)

    session.open(dashboard_url())
    session.shot("dashboard")
    session.open(reverse("admin:offboarding_dashboard") + "?start=2030-01-01&end=2030-01-31")
    assert session.page.locator(".obd-empty-message").count() == 7
    session.shot("dashboard-empty")

    session.open(reverse("admin:offboarding_offboardingcase_change", args=[case.pk]))
    session.page.click(".obd-action-purge_now")
    session.page.wait_for_selector(".obd-preview, .obd-muted")
    session.shot("purge-confirmation")
    session.page.fill("#id_reason", "Erasure request received by email")
    session.page.check("#id_confirm")
    session.page.click("input[type=submit].default")
    session.page.wait_for_selector(".messagelist .success")
    session.shot("purged")
    session.settle()

    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert OffboardingCase.objects.filter(pk=case.pk, purged_at__isnull=False).exists()
    session.close()


def test_case_tables_fit_narrow_screen(browser, live_server, success_user, dashboard_data):
    case = dashboard_data
    session = StaffSession(browser, live_server, "narrow")
    session.page.set_viewport_size({"width": 400, "height": 900})
    session.login(success_user.username)

    session.open(reverse("admin:offboarding_offboardingcase_change", args=[case.pk]))
    session.shot("case-400px")

    # A wide table scrolls inside its own box; the page itself never scrolls sideways.
    assert session.page.locator(".obd-section-audit .obd-table-scroll").count() == 1
    page_overflows = session.page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not page_overflows
    session.close()
