"""The whole exit of a customer, walked in Chromium against the demo's real processes.

One organisation of ``demo_data`` (5,000 rows, California profile) cancels at the end of
its paid period: its owner declines the offers, answers the survey and downloads an
export in two formats. The app clock then moves past the boundary and past the
retention window, and the Celery worker and beat (on Redis) move the case on by
themselves: access ends for sessions, API keys and single sign-on, the final invoice
arrives as a Factur-X PDF, the data is purged and the deletion certificate arrives.
Alongside, Initech pauses for 30 days and resumes on its own, and Globex moves its data
into the vault and reactivates. Staff then see the exit on the KPI dashboard.

Screenshots, emails (.eml), downloads and process logs go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlparse

import facturx
import pytest
import requests
from allauth.account.models import EmailAddress
from django.db.models import Q
from lxml import etree
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from config.accounts.models import Organisation
from config.api.models import ApiKey
from config.sso import idp
from offboarding import clock
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import (
    CaseState,
    CaseStep,
    DataExport,
    LedgerSubscription,
    OffboardingCase,
)
from offboarding.models.notices import OutboxMessage, OutboxStatus
from offboarding.models.portal import SurveyResponse
from offboarding.registry import get_registry
from tests.e2e.conftest import REAUTHENTICATION_MAX_AGE, Harness, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.browser,
    pytest.mark.slow,
]

PASSWORD = "demo-password-1"
WALKED_SLUG = "demo-1-000000"
WALKED_OWNER = f"{WALKED_SLUG}-owner@demo.example.com"
WALKED_MEMBER = f"{WALKED_SLUG}-member@demo.example.com"
PAUSING_OWNER = "initech-owner@example.com"
VAULTING_OWNER = "globex-owner@example.com"
SUPERUSER = "admin@example.com"
# How long the worker and beat get to move a case on after the clock moved.
MOVE_TIMEOUT = 90
MAIL_TIMEOUT = 60
SSO_CALLBACK = f"/accounts/oidc/{idp.PROVIDER_ID}/login/callback/"
CII_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


class Screens:
    """Numbered full-page screenshots, and the walk's timeline in ``logs/walk.log``."""

    def __init__(self, harness: Harness) -> None:
        self.folder = harness.screenshots
        self.number = 0
        self.started = time.monotonic()
        self.log = harness.artifacts / "logs" / "walk.log"

    def take(self, page: Page, name: str) -> None:
        self.number += 1
        page.screenshot(path=str(self.folder / f"{self.number:02d}-{name}.png"), full_page=True)
        self.mark(f"screenshot {name}")

    def mark(self, what: str) -> None:
        with self.log.open("a") as log:
            log.write(f"{time.monotonic() - self.started:7.1f} s  {what}\n")


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).first.inner_text().strip()


def path_of(page: Page) -> str:
    return urlparse(page.url).path


def sign_in(page: Page, harness: Harness, email: str, password: str = PASSWORD) -> None:
    """Sign in on the demo's login page (django-allauth), as a customer would."""
    page.goto(harness.base_url + "/accounts/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def new_page(chromium, harness: Harness) -> Page:
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    return context.new_page()


def case_of(organisation: Organisation) -> OffboardingCase:
    return OffboardingCase.objects.filter(account_key=str(organisation.pk)).latest("pk")


def wait_for_state(case: OffboardingCase, state: str, harness: Harness) -> OffboardingCase:
    def reached() -> bool:
        harness.assert_running()
        case.refresh_from_db()
        return case.state == state

    try:
        wait_until(reached, timeout=MOVE_TIMEOUT, what=f"case {case.public_id} to be {state}")
    except AssertionError as error:
        steps = list(case.steps.values_list("moment", "handler", "status", "last_error"))
        raise AssertionError(f"{error} It is {case.state}; steps: {steps}") from None
    return case


def move_clock_past(harness: Harness, moment: datetime) -> None:
    """Move the app clock to a minute after ``moment`` with ``manage.py offboarding_clock``."""
    hours = ((moment - clock.now()).total_seconds() + 60) / 3600
    assert hours > 0, f"the clock is already past {moment}"
    harness.manage("offboarding_clock", "--hours", f"{hours:.6f}")
    assert clock.now() > moment


def move_clock_to(moment: datetime) -> None:
    """Move the app clock forward to ``moment`` in this process (same database row)."""
    clock.advance(moment - clock.now())


def wait_for_pause_end(case: OffboardingCase, harness: Harness) -> OffboardingCase:
    def ended() -> bool:
        harness.assert_running()
        case.refresh_from_db()
        return not case.is_paused

    wait_until(ended, timeout=MOVE_TIMEOUT, what=f"the pause of case {case.public_id} to end")
    return case


def api_status(harness: Harness, key: str) -> int:
    response = requests.get(
        harness.base_url + "/api/projects/", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    return response.status_code


def sso_sign_in(chromium, harness: Harness, email: str, screens: Screens, name: str):
    """Sign in through the demo IdP; return the callback's status and the final page."""
    page = new_page(chromium, harness)
    page.goto(f"{harness.base_url}/accounts/oidc/{idp.PROVIDER_ID}/login/")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert path_of(page) == "/o/login/", page.url
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_response(lambda response: SSO_CALLBACK in response.url) as callback:
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    screens.take(page, name)
    return callback.value.status, page


def attachment_of(message: EmailMessage, content_type: str) -> tuple[str, bytes]:
    for part in message.iter_attachments():
        if part.get_content_type() == content_type:
            return part.get_filename(), part.get_content()
    raise AssertionError(f"no {content_type} attachment in {message['Subject']!r}")


def sent_to(address: str, subject_start: str):
    def accepts(message: EmailMessage) -> bool:
        return address in str(message["To"]) and str(message["Subject"]).startswith(subject_start)

    return accepts


def background_problems() -> list[str]:
    """Describe every step and outbox message that failed at least once in this run."""
    problems = []
    for step in CaseStep.objects.exclude(last_error="").select_related("case"):
        problems.append(
            f"Step {step.handler} ({step.moment}) of case {step.case.public_id}: "
            f"{step.status} after {step.attempts} attempts; last error: "
            f"{step.last_error.strip().splitlines()[-1] if step.last_error.strip() else ''}"
        )
    failed_notices = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.FAILED) | ~Q(last_error="")
    ).select_related("case")
    for message in failed_notices:
        problems.append(
            f"Notice {message.key!r} (template {message.template!r}) of case "
            f"{message.case.public_id}: {message.status} after {message.attempts} attempts; "
            f"last error: {message.last_error.strip().splitlines()[-1] if message.last_error.strip() else ''}"
        )
    return problems


def wait_for_mail(harness: Harness, address: str, subject_start: str, what: str) -> EmailMessage:
    try:
        return harness.mail.wait_for(
            sent_to(address, subject_start), timeout=MAIL_TIMEOUT, what=what
        )
    except AssertionError as error:
        details = "\n".join(background_problems())
        raise AssertionError(f"{error}\nFailed background work:\n{details}") from None


def row_counts(account_key: str) -> dict[str, int]:
    return {
        source.name: source.queryset(account_key).count() for source in get_registry().sources()
    }


# The walked organisation's plan


def prepare_walked_organisation() -> tuple[Organisation, str]:
    """Subscribe the generated organisation and give it an API key and verified emails.

    ``demo_data`` creates organisations with members and rows but no subscription; the
    demo story subscribes its own organisations the same way.
    """
    organisation = Organisation.objects.get(slug=WALKED_SLUG)
    # Noon UTC, so the purge one minute after the retention window still falls on the
    # window's last UTC day, which the dashboard counts as "on the scheduled day".
    anchor = (clock.now() - timedelta(days=20)).replace(hour=12, minute=0, second=0, microsecond=0)
    LocalLedgerBackend().subscribe(str(organisation.pk), "team-monthly", anchor, trial=False)
    owner = organisation.owner_membership().user
    issued = ApiKey.objects.issue(organisation, owner, "CI pipeline")
    # A verified address lets the first SSO login connect to the existing member.
    for membership in organisation.memberships.select_related("user"):
        EmailAddress.objects.get_or_create(
            user=membership.user,
            email=membership.user.email,
            defaults={"verified": True, "primary": True},
        )
    return organisation, issued.plaintext


# The walk


def test_whole_exit(e2e: Harness, chromium):
    screens = Screens(e2e)
    # Defects a customer would meet that do not stop the walk. The test fails on them at
    # its end, so one run reports every one of them.
    problems: list[str] = []
    walked, api_key = prepare_walked_organisation()
    initech = Organisation.objects.get(slug="initech")
    globex = Organisation.objects.get(slug="globex")
    northwind = Organisation.objects.get(slug="northwind")
    walked_rows = row_counts(str(walked.pk))
    globex_rows = row_counts(str(globex.pk))
    northwind_rows = row_counts(str(northwind.pk))
    assert walked_rows["tasks"] > 1000

    # Before the exit, the member, the API key and SSO all reach the product.
    member = new_page(chromium, e2e)
    sign_in(member, e2e, WALKED_MEMBER)
    assert path_of(member) == "/app/"
    assert api_status(e2e, api_key) == 200
    status, sso_page = sso_sign_in(chromium, e2e, WALKED_MEMBER, screens, "sso-before-exit")
    assert path_of(sso_page) == "/app/", (status, sso_page.url)

    # The owner cancels at the end of the period, declining every offer shown.
    owner = new_page(chromium, e2e)
    sign_in(owner, e2e, WALKED_OWNER)
    signed_in_at = time.monotonic()
    screens.take(owner, "owner-dashboard")
    owner.goto(e2e.base_url + "/app/settings/billing/")
    screens.take(owner, "billing")
    owner.get_by_role("link", name="Cancel subscription").click()
    assert heading(owner) == "Cancel your subscription"
    assert owner.locator("input[type=password]").count() == 0
    owner.get_by_label("At the end of the paid period").check()
    screens.take(owner, "cancel")
    owner.get_by_role("button", name="Continue", exact=True).click()

    assert heading(owner) == "Before you finish cancelling"
    screens.take(owner, "offers")
    # demo_setup installs the demo's offers (pause, vault, discount, downgrade), and each
    # one shown has its own "Continue cancelling" button.
    shown = case_of(walked).offer_events.filter(action="shown").count()
    assert shown >= 2
    continue_buttons = owner.get_by_role("button", name="Continue cancelling")
    assert continue_buttons.count() == shown
    continue_buttons.first.click()

    # The survey.
    assert heading(owner) == "Your cancellation is confirmed"
    owner.get_by_label("Some features are missing").check()
    owner.locator("input[name=nps][value='6']").check()
    owner.get_by_label("Anything else you would like us to know?").fill(
        "We moved to a tool our client uses."
    )
    screens.take(owner, "survey")
    owner.get_by_role("button", name="Send answers").click()
    assert heading(owner) == "Your subscription is cancelled"
    screens.take(owner, "status-scheduled")

    case = case_of(walked)
    assert case.state == CaseState.SCHEDULED
    assert not case.immediate
    assert case.offer_events.filter(action="declined").count() == shown
    answer = SurveyResponse.objects.get(case=case)
    assert (answer.reason_code, answer.nps, answer.skipped) == ("missing_features", 6, False)

    confirmation = wait_for_mail(
        e2e, WALKED_OWNER, "Your cancellation is confirmed", "the cancellation confirmation"
    )
    assert confirmation.get_body(preferencelist=("plain",)) is not None
    assert confirmation.get_body(preferencelist=("html",)) is not None
    screens.mark("confirmation email received")

    # The export in two formats, built by the Celery worker, then downloaded.
    owner.get_by_label("CSV (spreadsheets, databases)").check()
    owner.get_by_label("JSON (one array per data source)").check()
    owner.get_by_role("button", name="Start export").click()
    download_link = owner.get_by_role("link", name="Download the archive")
    # Wait for the page after the form's redirect. A reload that overlaps that navigation
    # can fail with "Not attached to an active page".
    expect(owner.get_by_role("link", name="Check progress").or_(download_link)).to_be_visible(
        timeout=30_000
    )
    owner.wait_for_load_state()

    def export_ready() -> bool:
        e2e.assert_running()
        try:
            owner.reload()
        except PlaywrightError as error:
            # The next poll retries a failed reload. The wait's timeout still fails the
            # test when the page never loads.
            screens.mark(f"reload failed, retrying: {error.message.splitlines()[0]}")
            return False
        return download_link.count() == 1

    wait_until(export_ready, timeout=MOVE_TIMEOUT, interval=1, what="the export archive")
    screens.take(owner, "export-ready")
    # The sign-in must be older than REAUTHENTICATION_MAX_AGE (tests/e2e/settings.py).
    time.sleep(max(0.0, signed_in_at + REAUTHENTICATION_MAX_AGE + 1 - time.monotonic()))
    archive_bytes, problem = download_export(
        owner, download_link, screens, e2e.artifacts / "downloads"
    )
    if problem:
        problems.append(problem)
    (e2e.artifacts / "downloads" / "export.zip").write_bytes(archive_bytes)
    check_archive(archive_bytes, walked_rows)
    export = DataExport.objects.get(account_key=str(walked.pk))
    assert sorted(export.formats) == ["csv", "json"]
    assert export.first_downloaded_at is not None
    assert case.events.filter(action="export_downloaded").count() == 1

    # Initech pauses for 30 days instead of cancelling.
    pausing = new_page(chromium, e2e)
    sign_in(pausing, e2e, PAUSING_OWNER)
    pausing.goto(e2e.base_url + "/offboarding/")
    pausing.get_by_label("At the end of the paid period").check()
    pausing.get_by_role("button", name="Continue", exact=True).click()
    pausing.get_by_role("button", name="Pause for 30 days").click()
    assert heading(pausing) == "Your subscription is paused"
    screens.take(pausing, "initech-paused")
    pause = case_of(initech)
    assert pause.is_paused
    assert (pause.pause_ends_at - pause.requested_at).days == 30

    # Globex moves its data into the free vault.
    vaulting = new_page(chromium, e2e)
    sign_in(vaulting, e2e, VAULTING_OWNER)
    vaulting.goto(e2e.base_url + "/offboarding/")
    vaulting.get_by_label("At the end of the paid period").check()
    vaulting.get_by_role("button", name="Continue", exact=True).click()
    vaulting.get_by_role("button", name="Move to the data vault").click()
    assert heading(vaulting) == "Your data is in the data vault"
    screens.take(vaulting, "globex-vaulted")
    vault = case_of(globex)
    assert vault.state == CaseState.VAULTED

    # Two days before the boundary the owner is reminded that access ends.
    move_clock_to(case.boundary_at - timedelta(days=2))
    reminder = wait_for_mail(
        e2e, WALKED_OWNER, "Your access ends on", "the reminder that access ends"
    )
    # Links in emails start with SITE_URL, which the harness points at its server.
    assert f"{e2e.base_url}/offboarding/" in reminder.get_body(("plain",)).get_content()

    # Past the boundary: the worker and beat end the walked case on their own.
    move_clock_past(e2e, case.boundary_at)
    case = wait_for_state(case, CaseState.ENDED, e2e)
    screens.mark("case ended")
    assert case.retention_ends_at == case.boundary_at + timedelta(days=30)
    # Each revoker is its own step, so the records arrive one by one: wait for all of them.
    expected_revokers = {"sessions", "sso", "api_tokens", "demo_api_keys"}
    wait_until(
        lambda: expected_revokers <= set(case.revocations.values_list("revoker", flat=True)),
        timeout=MOVE_TIMEOUT,
        what="the revocation records of every revoker",
    )

    # The member's session is gone, a password login is refused, and so are the key and SSO.
    member.goto(e2e.base_url + "/app/")
    assert path_of(member) == "/accounts/login/"
    sign_in(member, e2e, WALKED_MEMBER)
    assert heading(member) == "Access ended"
    screens.take(member, "member-refused")
    assert api_status(e2e, api_key) == 401
    status, sso_page = sso_sign_in(chromium, e2e, WALKED_MEMBER, screens, "sso-refused")
    assert status == 403
    assert heading(sso_page) == "Access ended"

    # The final invoice arrives by email as a valid Factur-X PDF with a zero balance.
    invoice_mail = wait_for_mail(e2e, WALKED_OWNER, "Your final invoice", "the final invoice")
    filename, pdf = attachment_of(invoice_mail, "application/pdf")
    (e2e.artifacts / "downloads" / filename).write_bytes(pdf)
    check_factur_x(pdf)

    # The owner signs in again and lands on the export-only portal with the invoice.
    sign_in(owner, e2e, WALKED_OWNER)
    assert path_of(owner) == f"/offboarding/c/{case.public_id}/"
    assert heading(owner) == "Your subscription has ended"
    screens.take(owner, "status-ended")
    with owner.expect_download() as invoice_download:
        owner.get_by_role("link", name="Download the final invoice (PDF)").click()
    assert invoice_download.value.path().read_bytes() == pdf

    # Initech is reminded before its pause ends, and the pause then ends on its own.
    assert pause.pause_ends_at < case.retention_ends_at - timedelta(days=5)
    move_clock_to(pause.pause_ends_at - timedelta(days=5))
    wait_for_mail(e2e, PAUSING_OWNER, "Your pause ends on", "the reminder that the pause ends")

    # Five days before the retention window ends, the owner gets the deletion reminder.
    move_clock_to(case.retention_ends_at - timedelta(days=5))
    wait_for_mail(e2e, WALKED_OWNER, "Your data will be deleted on", "the deletion reminder")
    pause = wait_for_pause_end(pause, e2e)

    # Past the retention window: the data is purged and the certificate arrives.
    move_clock_past(e2e, case.retention_ends_at)
    case = wait_for_state(case, CaseState.PURGED, e2e)
    screens.mark("case purged")
    assert row_counts(str(walked.pk)) == dict.fromkeys(walked_rows, 0)
    certificate_mail = wait_for_mail(
        e2e, WALKED_OWNER, "Your data has been deleted", "the deletion certificate"
    )
    certificate_name, certificate_json = attachment_of(certificate_mail, "application/json")
    certificate = json.loads(certificate_json)
    (e2e.artifacts / "downloads" / certificate_name).write_bytes(certificate_json)
    assert certificate_mail.get_content_type() == "multipart/mixed"
    assert attachment_of(certificate_mail, "application/pdf")[1].startswith(b"%PDF")
    assert str(case.public_id) in json.dumps(certificate)

    # The other organisations keep every row.
    assert row_counts(str(northwind.pk)) == northwind_rows

    # Initech's pause ended by itself and billing runs again.
    assert pause.events.filter(action="end_pause", actor_kind="system").exists()
    # The pause ended the paid subscription at its period end and started a successor
    # on the same plan the pause's length later, which is the one active now.
    active = LedgerSubscription.objects.get(account_key=str(initech.pk), status="active")
    assert active.pause_ends_at == pause.pause_ends_at
    pausing.reload()
    screens.take(pausing, "initech-resumed")
    assert heading(pausing) == "Your subscription continues"

    # Globex kept its data in the vault, and reactivates in one click.
    assert row_counts(str(globex.pk)) == globex_rows
    vaulting.goto(e2e.base_url + f"/offboarding/c/{vault.public_id}/")
    vaulting.get_by_role("button", name="Reactivate my account").click()
    assert heading(vaulting) == "Your account is active again"
    screens.take(vaulting, "globex-reactivated")
    vault.refresh_from_db()
    assert vault.state == CaseState.REACTIVATED

    # Staff see the exit on the KPI dashboard.
    staff = new_page(chromium, e2e)
    staff.goto(e2e.base_url + "/admin/login/")
    staff.locator("input[name=username]").fill(SUPERUSER)
    staff.locator("input[name=password]").fill(PASSWORD)
    staff.locator("input[type=submit]").click()
    start = case.requested_at.date() - timedelta(days=1)
    staff.goto(
        f"{e2e.base_url}/admin/offboarding/offboardingcase/dashboard/"
        f"?start={start.isoformat()}&end={clock.now().date().isoformat()}"
    )
    assert staff.title().startswith("Offboarding KPIs"), staff.title()
    screens.take(staff, "kpi-dashboard")
    # The walk's own figures: one survey (a detractor), three flows of which two were
    # saved (pause and vault), one export downloaded, one purge on the scheduled day.
    expected_figures = {
        "nps": {"answers": "1", "detractors": "1"},
        "save": {"flows started": "3", "saved by an offer": "2"},
        "reasons": {"surveys with a reason": "1"},
        "exports": {"exports requested": "1", "downloaded": "1"},
        "deletions": {"accounts purged": "1", "on the day": "1", "late": "0"},
    }
    for panel_key, figures in expected_figures.items():
        panel = staff.locator(f"section.obd-panel-{panel_key}")
        for label, value in figures.items():
            assert figure(panel, label) == value, (panel_key, label)
    staff.goto(f"{e2e.base_url}/admin/offboarding/offboardingcase/{case.pk}/change/")
    screens.take(staff, "case-in-admin")
    assert case.account_label in staff.content()

    # Nothing in the background failed, not even once before a retry succeeded.
    problems.extend(background_problems())

    # One email per notice: the outbox sent nothing twice.
    subjects = [(str(m["To"]), str(m["Subject"])) for m in e2e.mail.received()]
    repeated = sorted({subject for subject in subjects if subjects.count(subject) > 1})
    if repeated:
        problems.append(f"Emails sent more than once: {repeated}")
    (e2e.artifacts / "summary.json").write_text(
        json.dumps(
            {
                "emails": subjects,
                "walked_rows": walked_rows,
                "problems": problems,
            },
            indent=2,
        )
    )
    assert not problems, "\n".join(problems)


def figure(panel, label: str) -> str:
    return panel.locator(f"dt:text-is('{label}') + dd").inner_text().strip()


def download_export(page: Page, link, screens: Screens, downloads: Path) -> tuple[bytes, str]:
    """Download the archive through the portal's link, signing in again when asked.

    The owner's sign-in is older than the re-authentication max age by now, so the link
    must lead to the re-authentication page first. Returns the archive's bytes and, if
    the link did something else, a description of what it did.
    """
    href = link.get_attribute("href")
    started: list = []

    def on_download(download) -> None:
        started.append(download)

    page.on("download", on_download)
    link.click()

    def answered() -> bool:
        # Playwright delivers events only while one of its calls runs, so wait in it.
        page.wait_for_timeout(200)
        return bool(started) or path_of(page) == "/accounts/reauthenticate/"

    wait_until(answered, timeout=30, interval=0, what="the download link to answer")
    page.remove_listener("download", on_download)
    problem = ""
    if started:
        data = started[0].path().read_bytes()
        if data.startswith(b"PK"):
            return data, "The export download did not ask for a re-authentication."
        # With the HTML "download" attribute on the link, the browser saves the page it
        # was redirected to as a file instead of showing it.
        saved = downloads / f"export-link-click-{started[0].suggested_filename}"
        saved.write_bytes(data)
        problem = (
            "Clicking 'Download the archive' saved the re-authentication page as the file "
            f"{started[0].suggested_filename!r} ({saved.name}) instead of showing it: the "
            "link in offboarding/templates/offboarding/portal/_export_panel.html has the "
            "'download' attribute while the view redirects to the re-authentication page."
        )
        page.goto(page.url.split("/offboarding/")[0] + href)
    assert path_of(page) == "/accounts/reauthenticate/", page.url
    screens.take(page, "reauthenticate")
    page.locator("form:has(input[name=password]) input[name=password]").fill(PASSWORD)
    with page.expect_download() as download:
        page.get_by_role("button", name="Confirm").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"PK"), data[:200]
    return data, problem


def check_archive(data: bytes, rows: dict[str, int]) -> None:
    """Check the archive's manifest, its checksums and its row counts against the database."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        manifest = json.loads(archive.read("manifest.json"))
        assert sorted(manifest["formats"]) == ["csv", "json"]
        names = set(archive.namelist())
        for entry in manifest["files"]:
            assert entry["path"] in names, entry["path"]
            content = archive.read(entry["path"])
            assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
        data_files = {
            (entry["path"].split("/")[0], entry["source"]): entry["rows"]
            for entry in manifest["files"]
            if entry["kind"] != "attachment"
        }
        for source, count in rows.items():
            assert data_files[("csv", source)] == count, source
            assert data_files[("json", source)] == count, source
        tasks = json.loads(archive.read("json/tasks.json"))
        assert len(tasks) == rows["tasks"]


def check_factur_x(pdf: bytes) -> None:
    """Check the PDF's embedded CII XML against the Factur-X EN 16931 schema, balance 0."""
    xml_filename, xml = facturx.get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert xml_filename == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    tree = etree.fromstring(xml)
    due = tree.find(f".//{{{CII_RAM}}}DuePayableAmount")
    assert due is not None
    assert float(due.text) == 0
