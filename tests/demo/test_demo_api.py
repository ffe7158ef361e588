"""The JSON API: bearer-token authentication with an organisation's API key."""

from __future__ import annotations

import pytest

from config.api.models import ApiKey, hash_key
from config.workspace.models import Project

URL = "/api/projects/"


@pytest.fixture
def northwind(make_organisation, make_member):
    organisation = make_organisation("Northwind")
    owner = make_member(organisation, "owner")
    Project.objects.create(organisation=organisation, key="WEB", name="Website relaunch")
    Project.objects.create(organisation=organisation, key="MKT", name="Q3 campaign")
    return organisation, owner


@pytest.fixture
def other_project(make_organisation):
    globex = make_organisation("Globex")
    return Project.objects.create(organisation=globex, key="OPS", name="Globex operations")


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def test_valid_key_lists_own_projects(client, northwind, other_project):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")

    response = client.get(URL, **bearer(issued.plaintext))

    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == organisation.slug
    assert sorted(project["key"] for project in body["projects"]) == ["MKT", "WEB"]
    assert other_project.key not in {project["key"] for project in body["projects"]}
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


def test_key_stores_only_digest(northwind):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")

    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert stored.hashed_secret == hash_key(issued.plaintext)
    assert issued.plaintext not in {stored.hashed_secret, stored.prefix, stored.name}
    assert issued.plaintext.startswith(f"dk_{stored.prefix}_")


def test_revoked_key_gets_401(client, northwind):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")
    assert issued.api_key.revoke() is True

    response = client.get(URL, **bearer(issued.plaintext))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "projects" not in response.json()


def test_revoke_twice_reports_already_revoked(northwind):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")

    assert issued.api_key.revoke() is True
    first_revoked_at = issued.api_key.revoked_at
    assert issued.api_key.revoke() is False
    assert issued.api_key.revoked_at == first_revoked_at


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer dk_00000000_unknownsecret",
        "Bearer not-a-key-at-all",
    ],
)
def test_missing_or_unknown_key_gets_401(client, northwind, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get(URL, **extra)

    assert response.status_code == 401
    assert "error" in response.json()


def test_known_prefix_wrong_secret_gets_401(client, northwind):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")
    forged = f"dk_{issued.api_key.prefix}_{'A' * 43}"

    response = client.get(URL, **bearer(forged))

    assert response.status_code == 401


def test_revoke_for_organisation_leaves_others(northwind, make_organisation, make_member):
    organisation, owner = northwind
    globex = make_organisation("Globex")
    globex_key = ApiKey.objects.issue(globex, make_member(globex, "owner"), "CI")
    ApiKey.objects.issue(organisation, owner, "CI")
    ApiKey.objects.issue(organisation, owner, "Export script")

    assert ApiKey.objects.revoke_for_organisation(organisation) == 2
    assert ApiKey.objects.revoke_for_organisation(organisation) == 0
    assert ApiKey.objects.active().filter(organisation=organisation).count() == 0
    assert ApiKey.objects.active().get() == globex_key.api_key


def test_post_not_allowed(client, northwind):
    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")

    response = client.post(URL, **bearer(issued.plaintext))

    assert response.status_code == 405


def test_revoker_revokes_once(client, northwind):
    from config.revokers import ApiKeyRevoker

    organisation, owner = northwind
    issued = ApiKey.objects.issue(organisation, owner, "CI")
    revoker = ApiKeyRevoker()

    first = revoker.revoke(case=None, account=organisation)
    second = revoker.revoke(case=None, account=organisation)

    assert first.count == 1
    assert first.detail == {"api_keys": 1}
    assert second.count == 0
    assert client.get(URL, **bearer(issued.plaintext)).status_code == 401


def test_keys_revoked_at_boundary(client, northwind, monthly_plan, frozen_clock):
    from datetime import timedelta

    from offboarding import jobs
    from offboarding.billing.local import LocalLedgerBackend
    from offboarding.models import Actor, RevocationRecord
    from offboarding.services import lifecycle
    from tests.conftest import utc

    organisation, owner = northwind
    LocalLedgerBackend().subscribe(str(organisation.pk), monthly_plan.code, utc(2024, 3, 1))
    issued = ApiKey.objects.issue(organisation, owner, "CI")
    case = lifecycle.open_case(organisation, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner))

    assert client.get(URL, **bearer(issued.plaintext)).status_code == 200
    frozen_clock.at(case.boundary_at + timedelta(minutes=1))
    jobs.scan_due_work()

    assert client.get(URL, **bearer(issued.plaintext)).status_code == 401
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at == case.boundary_at + timedelta(minutes=1)
    record = RevocationRecord.objects.get(case=case, revoker="demo_api_keys")
    assert record.count == 1
