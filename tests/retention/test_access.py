"""Product access around the boundary, through the demo's real views and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from offboarding.access import account_has_product_access
from offboarding.models import Actor, CaseState, RevocationRecord, SessionRecord
from offboarding.services import lifecycle
from tests.retention.conftest import BOUNDARY, JUST_BEFORE, PASSWORD, run_due

DASHBOARD = "/app/"
API = "/api/projects/"
LOGIN = "/accounts/login/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_status(key: str) -> int:
    return Client().get(API, HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def password_login(user) -> tuple[Client, int]:
    client = Client()
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    return client, response.status_code


def test_everything_works_one_second_before(world, frozen_clock):
    northwind, _, _ = world
    member = signed_in(northwind.member)
    run_due(frozen_clock, JUST_BEFORE)

    assert member.get(DASHBOARD).status_code == 200
    assert api_status(northwind.api_key) == 200
    _, status = password_login(northwind.member)
    assert status == 302
    assert account_has_product_access(northwind.key)


def test_everything_refused_at_boundary(world, frozen_clock):
    northwind, contoso, case = world
    member = signed_in(northwind.member)
    member_key = member.session.session_key
    other_member = signed_in(contoso.member)

    run_due(frozen_clock, BOUNDARY)
    case.refresh_from_db()
    assert case.state == CaseState.ENDED

    response = member.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not Session.objects.filter(session_key=member_key).exists()
    assert not SessionRecord.objects.filter(session_key=member_key).exists()
    assert api_status(northwind.api_key) == 401
    _, status = password_login(northwind.member)
    assert status == 403

    assert other_member.get(DASHBOARD).status_code == 200
    assert api_status(contoso.api_key) == 200


def test_clock_alone_ends_session_access(world, frozen_clock):
    # No scan has run yet: the session still exists, the middleware ends it anyway.
    northwind, _, _ = world
    member = signed_in(northwind.member)
    frozen_clock.at(BOUNDARY)

    response = member.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in member.session


def test_owner_keeps_portal_next_day(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=1))

    owner, status = password_login(northwind.owner)
    assert status == 302
    status_url = reverse("offboarding:status", args=[case.public_id])
    response = owner.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == status_url
    assert owner.get(status_url).status_code == 200
    assert owner.get(reverse("account_logout")).status_code == 200


def test_records_each_revoker_once(world, frozen_clock):
    northwind, _, case = world
    signed_in(northwind.member)
    signed_in(northwind.owner)
    run_due(frozen_clock, BOUNDARY)

    records = {r.revoker: r for r in RevocationRecord.objects.filter(case=case)}
    assert set(records) == {"sessions", "sso", "api_tokens", "demo_api_keys"}
    assert records["sessions"].count == 2
    assert records["demo_api_keys"].count == 1

    from offboarding.revocation.handlers import revoke_host_access, revoke_sessions

    assert revoke_sessions(case, None)["count"] == 0
    assert revoke_host_access(case, None)["config.revokers.ApiKeyRevoker"]["count"] == 0
    records = {r.revoker: r for r in RevocationRecord.objects.filter(case=case)}
    assert records["sessions"].count == 2
    assert records["sessions"].runs == 2
    assert records["demo_api_keys"].count == 1


def test_failing_revoker_does_not_block(world, frozen_clock, settings):
    from offboarding.models import CaseStep
    from tests.retention import host_revokers

    host_revokers.calls["flaky"] = 0
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "REVOKERS": ["tests.retention.host_revokers.flaky", "config.revokers.ApiKeyRevoker"],
    }
    northwind, _, case = world
    frozen_clock.at(BOUNDARY)
    from offboarding import jobs, steps

    jobs.scan_due_work(run_steps=False)
    # Run steps one by one until the host revokers' step has had its first attempt.
    while True:
        claimed = steps.claim_next_step(case.pk)
        steps.run_step(claimed)
        if claimed.handler == "revoke_host_access":
            break

    step = CaseStep.objects.get(case=case, handler="revoke_host_access")
    assert step.status == CaseStep.Status.PENDING
    assert "flaky" in step.last_error
    assert api_status(northwind.api_key) == 401
    assert CaseStep.objects.get(case=case, handler="revoke_sessions").status == "done"
    assert not RevocationRecord.objects.filter(case=case, revoker__endswith="flaky").exists()

    steps.run_pending_steps(case_id=case.pk)
    step.refresh_from_db()
    assert step.status == CaseStep.Status.DONE
    assert step.attempts == 2
    assert RevocationRecord.objects.get(case=case, revoker__endswith="flaky").count == 2


def test_reactivation_keeps_api_keys_revoked(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=3))

    lifecycle.reactivate(case, actor=Actor.customer(northwind.owner))

    assert account_has_product_access(northwind.key)
    _, status = password_login(northwind.member)
    assert status == 302
    assert signed_in(northwind.member).get(DASHBOARD).status_code == 200
    assert api_status(northwind.api_key) == 401


def test_revoker_skips_after_reactivation(world, frozen_clock):
    northwind, _, case = world
    frozen_clock.at(BOUNDARY)
    from offboarding import jobs

    jobs.scan_due_work(run_steps=False)
    lifecycle.reactivate(case, actor=Actor.customer(northwind.owner))
    from offboarding.revocation.handlers import revoke_host_access

    result = revoke_host_access(case, None)
    assert result["config.revokers.ApiKeyRevoker"]["skipped"]
    assert api_status(northwind.api_key) == 200


@pytest.mark.parametrize("installed", [False])
def test_authtoken_revoker_without_app(world, frozen_clock, installed):
    from offboarding.revocation.tokens import ApiTokenRevoker

    northwind, _, case = world
    revoked = ApiTokenRevoker().revoke(case, northwind.organisation)
    assert revoked.count == 0
    assert revoked.detail == {"rest_framework.authtoken": "not installed"}
