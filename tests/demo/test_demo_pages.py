"""Product pages: sign-in and membership required, roles, the switcher, API key pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.accounts.current import SESSION_KEY
from config.accounts.models import Membership
from config.api.models import ApiKey
from config.workspace.models import Project, Task

DASHBOARD = "/app/"
BILLING = "/app/settings/billing/"
SETTINGS = "/app/settings/"
API_KEYS = "/app/settings/api-keys/"


@pytest.fixture
def northwind(make_organisation, make_member):
    organisation = make_organisation("Northwind", timezone="Europe/Berlin", jurisdiction="de")
    project = Project.objects.create(organisation=organisation, key="WEB", name="Website relaunch")
    Task.objects.create(project=project, number=1, title="Prüfen: Datenschutzerklärung")
    return {
        "organisation": organisation,
        "project": project,
        "owner": make_member(organisation, "owner"),
        "admin": make_member(organisation, "admin"),
        "member": make_member(organisation, "member"),
    }


@pytest.fixture
def globex_project(make_organisation):
    globex = make_organisation("Globex")
    return Project.objects.create(organisation=globex, key="OPS", name="Globex operations")


@pytest.mark.parametrize("url", [DASHBOARD, BILLING, SETTINGS, API_KEYS])
def test_anonymous_redirected_to_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("url", [DASHBOARD, BILLING, SETTINGS, API_KEYS])
def test_user_without_membership_forbidden(client, django_user_model, url):
    loner = django_user_model.objects.create_user("loner@example.com", "loner@example.com")
    client.force_login(loner)

    response = client.get(url)

    assert response.status_code == 403


def test_member_sees_own_projects_only(client, northwind, globex_project):
    client.force_login(northwind["member"])

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Website relaunch" in content
    assert "Prüfen: Datenschutzerklärung" in content
    assert globex_project.name not in content


def test_other_organisations_project_is_404(client, northwind, globex_project):
    client.force_login(northwind["owner"])

    own = client.get(f"/app/projects/{northwind['project'].pk}/")
    foreign = client.get(f"/app/projects/{globex_project.pk}/")

    assert own.status_code == 200
    assert foreign.status_code == 404


@pytest.mark.parametrize("url", [BILLING, SETTINGS, API_KEYS])
def test_member_role_cannot_open_account_pages(client, northwind, url):
    client.force_login(northwind["member"])

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_billing_page_has_cancel_entry(client, northwind, role):
    client.force_login(northwind[role])

    response = client.get(BILLING)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'href="/offboarding/"' in content
    assert "Cancel subscription" in content


def test_billing_page_shows_plan(client, northwind, monthly_plan, frozen_clock):
    from offboarding.billing.local import LocalLedgerBackend
    from tests.conftest import utc

    LocalLedgerBackend().subscribe(
        str(northwind["organisation"].pk), monthly_plan.code, utc(2024, 3, 1, 9)
    )
    client.force_login(northwind["owner"])

    content = client.get(BILLING).content.decode()

    assert "Team (monthly)" in content
    assert "€30.00 / month" in content


def test_billing_page_shows_yen_without_decimals(client, northwind, frozen_clock):
    from decimal import Decimal

    from offboarding.billing.local import LocalLedgerBackend
    from offboarding.models import Plan
    from tests.conftest import utc

    Plan.objects.create(
        code="starter-jpy",
        name="Starter (JPY)",
        amount=Decimal("3000"),
        currency="JPY",
        interval="month",
    )
    LocalLedgerBackend().subscribe(
        str(northwind["organisation"].pk), "starter-jpy", utc(2024, 3, 1)
    )
    client.force_login(northwind["owner"])

    content = client.get(BILLING).content.decode()

    assert "¥3,000 / month" in content
    assert "3,000.00" not in content


def test_settings_form_rejects_bad_timezone(client, northwind):
    organisation = northwind["organisation"]
    client.force_login(northwind["admin"])
    data = {"name": "Northwind", "timezone": "Europe/Atlantis", "language": "en"}

    response = client.post(SETTINGS, data)

    assert response.status_code == 200
    assert "not an IANA time zone" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.timezone == "Europe/Berlin"


def test_settings_form_saves(client, northwind):
    organisation = northwind["organisation"]
    client.force_login(northwind["admin"])
    data = {"name": "Northwind Traders", "timezone": "UTC", "language": "de", "country_code": "de"}

    response = client.post(SETTINGS, data)

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Northwind Traders"
    assert organisation.country_code == "DE"
    assert organisation.jurisdiction == "de"


def test_switcher_changes_organisation(client, northwind, make_organisation):
    member = northwind["member"]
    initech = make_organisation("Initech")
    Project.objects.create(organisation=initech, key="TPS", name="TPS reports")
    Membership.objects.create(user=member, organisation=initech, role="member")
    client.force_login(member)

    assert "Website relaunch" in client.get(DASHBOARD).content.decode()
    response = client.post("/app/switch/", {"organisation": initech.pk, "next": DASHBOARD})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == initech.pk
    content = client.get(DASHBOARD).content.decode()
    assert "TPS reports" in content
    assert "Website relaunch" not in content


def test_switcher_rejects_foreign_organisation(client, northwind, globex_project):
    client.force_login(northwind["member"])

    response = client.post("/app/switch/", {"organisation": globex_project.organisation_id})

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_switcher_ignores_external_next(client, northwind):
    client.force_login(northwind["member"])
    organisation_id = northwind["organisation"].pk

    response = client.post(
        "/app/switch/", {"organisation": organisation_id, "next": "https://example.invalid/"}
    )

    assert response["Location"] == DASHBOARD


def test_api_key_page_issues_and_revokes(client, northwind):
    client.force_login(northwind["admin"])

    response = client.post(API_KEYS, {"name": "Nightly export"})

    assert response.status_code == 200
    api_key = ApiKey.objects.get(organisation=northwind["organisation"])
    assert f"dk_{api_key.prefix}_" in response.content.decode()
    assert f"dk_{api_key.prefix}_" not in client.get(API_KEYS).content.decode().replace(
        f"dk_{api_key.prefix}_…", ""
    )

    response = client.post(f"/app/settings/api-keys/{api_key.pk}/revoke/")
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_api_key_of_other_organisation_cannot_be_revoked(
    client, northwind, make_organisation, make_member
):
    globex = make_organisation("Globex")
    globex_key = ApiKey.objects.issue(globex, make_member(globex, "owner"), "CI").api_key
    client.force_login(northwind["owner"])

    response = client.post(f"/app/settings/api-keys/{globex_key.pk}/revoke/")

    assert response.status_code == 404
    globex_key.refresh_from_db()
    assert globex_key.revoked_at is None


def test_allauth_login_with_email(client, northwind):
    response = client.post(
        reverse("account_login"),
        {"login": northwind["owner"].email, "password": "demo-password-1"},
    )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_signup_creates_owned_organisation(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "dana@example.com", "password1": "a-long-demo-password"},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="dana@example.com")
    assert membership.role == "owner"
    assert membership.organisation.name == "dana's organisation"
    assert membership.organisation.slug == "dana"
    assert client.get(DASHBOARD).status_code == 200


def test_signup_slug_avoids_taken_one(client, db):
    from config.accounts.models import Organisation

    Organisation.objects.create(name="Dana Corp", slug="dana")

    client.post(
        reverse("account_signup"),
        {"email": "dana@example.com", "password1": "a-long-demo-password"},
    )

    membership = Membership.objects.get(user__email="dana@example.com")
    assert membership.organisation.slug == "dana-2"
