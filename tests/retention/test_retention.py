"""Retention policies, extensions, legal holds, the vault and reactivation, through the scan."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from config.workspace.models import Comment
from offboarding.models import Actor, CaseState, IllegalTransition, PurgeRun
from offboarding.services import lifecycle
from tests.retention.conftest import BOUNDARY, run_due


def comments_of(organisation) -> int:
    return Comment.objects.filter(task__project__organisation=organisation).count()


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)


def test_default_window_is_30_days(world, frozen_clock):
    _, _, case = world
    run_due(frozen_clock, BOUNDARY)
    case.refresh_from_db()
    assert case.retention_days == 30
    assert case.retention_starts_at == BOUNDARY
    assert case.retention_ends_at == BOUNDARY + timedelta(days=30)


def test_plan_override(world, frozen_clock, settings):
    settings.OFFBOARDING = {**settings.OFFBOARDING, "RETENTION_DAYS_BY_PLAN": {"team-monthly": 60}}
    _, _, case = world
    run_due(frozen_clock, BOUNDARY)
    case.refresh_from_db()
    assert case.retention_ends_at == BOUNDARY + timedelta(days=60)


def test_account_override(world, frozen_clock, settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "ADAPTER": "tests.retention.adapters.PerAccountRetentionAdapter",
    }
    _, _, case = world
    run_due(frozen_clock, BOUNDARY)
    case.refresh_from_db()
    assert case.retention_ends_at == BOUNDARY + timedelta(days=90)


def test_one_day_early_does_nothing(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    run_due(frozen_clock, BOUNDARY + timedelta(days=29))
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert case.purge_started_at is None
    assert comments_of(northwind.organisation) == 12
    assert lifecycle.purge_refusal(case).startswith("the retention window ends 2024-07-01")

    with pytest.raises(CommandError, match="refused: the retention window ends"):
        call_command("offboarding_purge", case.public_id, stdout=StringIO())
    assert comments_of(northwind.organisation) == 12
    assert not PurgeRun.objects.filter(case=case).exists()


def test_extension_moves_purge(world, frozen_clock, staff):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    with pytest.raises(ValueError, match="reason is required"):
        lifecycle.extend_retention(case, days=10, actor=Actor.staff(staff), reason=" ")
    lifecycle.extend_retention(case, days=10, actor=Actor.staff(staff), reason="Customer asked")

    event = case.events.get(action="retention_extended")
    assert event.reason == "Customer asked"
    assert event.actor_id == str(staff.pk)
    run_due(frozen_clock, BOUNDARY + timedelta(days=30))
    assert comments_of(northwind.organisation) == 12

    run_due(frozen_clock, BOUNDARY + timedelta(days=40))
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert comments_of(northwind.organisation) == 0


def test_legal_hold_blocks_until_lifted(world, frozen_clock, staff):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    with pytest.raises(ValueError, match="reason is required"):
        lifecycle.place_legal_hold(case, actor=Actor.staff(staff), reason="")
    lifecycle.place_legal_hold(case, actor=Actor.staff(staff), reason="Court order 12/2024")

    run_due(frozen_clock, BOUNDARY + timedelta(days=45))
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert comments_of(northwind.organisation) == 12
    assert lifecycle.purge_refusal(case) == "a legal hold is in place"
    with pytest.raises(CommandError, match="a legal hold is in place"):
        call_command("offboarding_purge", case.public_id, stdout=StringIO())
    assert case.events.get(action="legal_hold_placed").reason == "Court order 12/2024"

    lifecycle.lift_legal_hold(case, actor=Actor.staff(staff), reason="Case closed")
    run_due(frozen_clock, BOUNDARY + timedelta(days=46))
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert comments_of(northwind.organisation) == 0


def test_vaulted_account_never_purged(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    lifecycle.enter_vault(case, actor=Actor.customer(northwind.owner))
    run_due(frozen_clock, BOUNDARY + timedelta(days=400))
    case.refresh_from_db()
    assert case.state == CaseState.VAULTED
    assert comments_of(northwind.organisation) == 12
    assert lifecycle.purge_refusal(case) == "the account is in the data vault"
    with pytest.raises(IllegalTransition):
        lifecycle.start_purge(case)


def test_reactivated_account_never_purged(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=2))
    lifecycle.reactivate(case, actor=Actor.customer(northwind.owner))
    run_due(frozen_clock, BOUNDARY + timedelta(days=400))
    case.refresh_from_db()
    assert case.state == CaseState.REACTIVATED
    assert comments_of(northwind.organisation) == 12
    assert lifecycle.purge_refusal(case) == "the account was reactivated"
    with pytest.raises(CommandError, match="the account was reactivated"):
        call_command("offboarding_purge", case.public_id, stdout=StringIO())
