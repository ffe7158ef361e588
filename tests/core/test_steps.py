from datetime import timedelta

import pytest
from django.utils import timezone

from offboarding import jobs, steps
from offboarding.models import Actor, CaseStep
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.core import hooks


@pytest.fixture
def host_handlers(settings):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_HANDLERS": {moment: ["tests.core.hooks.remember"] for moment in steps.MOMENTS},
    }
    hooks.calls.clear()
    yield
    hooks.calls.clear()


def test_host_handler_runs_at_each_moment(host_handlers, customer, frozen_clock):
    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    frozen_clock.at(utc(2024, 4, 30, 10))
    jobs.scan_due_work()
    jobs.scan_due_work()

    moments = [moment for moment, public_id in hooks.calls if public_id == case.public_id]
    assert moments == [
        "requested",
        "cancellation_confirmed",
        "boundary_reached",
        "retention_over",
        "purged",
    ]
    step = CaseStep.objects.get(case=case, moment="boundary_reached")
    assert (step.status, step.attempts, step.result) == ("done", 1, {"seen": "ended"})


def test_steps_run_once_when_scanned_again(host_handlers, customer):
    lifecycle.open_case(customer, customer)
    jobs.scan_due_work()
    jobs.scan_due_work()
    assert hooks.calls.count(("requested", hooks.calls[0][1])) == 1


def test_failing_step_retries_then_flags_case(settings, customer):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_MAX_ATTEMPTS": 3,
        "STEP_HANDLERS": {"requested": ["tests.core.hooks.always_fails"]},
    }
    case = lifecycle.open_case(customer, customer)
    step = CaseStep.objects.get(case=case)

    delays = []
    for attempt in range(1, 4):
        CaseStep.objects.filter(pk=step.pk).update(next_attempt_at=timezone.now())
        assert steps.run_pending_steps() == 1
        step.refresh_from_db()
        assert step.attempts == attempt
        assert step.last_error == "ConnectionError: CRM is down"
        delays.append(step.next_attempt_at - timezone.now())

    assert step.status == "failed"
    assert timedelta(seconds=50) < delays[0] < timedelta(seconds=61)
    assert timedelta(seconds=110) < delays[1] < timedelta(seconds=121)
    case.refresh_from_db()
    assert case.needs_attention is True
    assert "always_fails failed after 3 attempts" in case.attention_reason
    assert case.events.last().action == "step_failed"


def test_failed_step_can_be_retried(settings, customer):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_MAX_ATTEMPTS": 1,
        "STEP_HANDLERS": {"requested": ["tests.core.hooks.always_fails"]},
    }
    case = lifecycle.open_case(customer, customer)
    steps.run_pending_steps()
    step = CaseStep.objects.get(case=case)
    assert step.status == "failed"

    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "STEP_HANDLERS": {"requested": ["tests.core.hooks.remember"]},
    }
    CaseStep.objects.filter(pk=step.pk).update(handler="tests.core.hooks.remember")
    steps.retry_step(step)
    assert steps.run_pending_steps() == 1
    step.refresh_from_db()
    assert step.status == "done"


def test_expired_lease_lets_another_worker_take_over(host_handlers, customer):
    case = lifecycle.open_case(customer, customer)
    claimed = steps.claim_next_step()
    assert claimed is not None
    # The first worker died holding the step: nobody may take it while the lease holds.
    assert steps.claim_next_step() is None
    CaseStep.objects.filter(pk=claimed.pk).update(lease_expires_at=timezone.now())
    again = steps.claim_next_step()
    assert again.pk == claimed.pk
    assert again.attempts == 2
    steps.run_step(again)
    assert hooks.calls == [("requested", case.public_id)]


def test_step_without_registered_handler_fails_clearly(settings, customer):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_MAX_ATTEMPTS": 1,
        "STEP_HANDLERS": {"requested": ["tests.core.hooks.remember"]},
    }
    case = lifecycle.open_case(customer, customer)
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_MAX_ATTEMPTS": 1,
    }
    steps.run_pending_steps()
    step = CaseStep.objects.get(case=case)
    assert step.status == "failed"
    assert "No handler named 'tests.core.hooks.remember'" in step.last_error


def test_step_handler_rejects_unknown_moment():
    with pytest.raises(ValueError, match="Unknown moment 'teatime'"):
        steps.step_handler("teatime")


def test_run_due_command_dry_run_changes_nothing(customer, frozen_clock, capsys):
    from django.core.management import call_command

    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    frozen_clock.at(utc(2024, 4, 1))
    call_command("offboarding_run_due", dry_run=True)
    assert "boundaries: 1 due" in capsys.readouterr().out
    case.refresh_from_db()
    assert case.state == "scheduled"

    call_command("offboarding_run_due")
    assert "boundaries: 1" in capsys.readouterr().out
    case.refresh_from_db()
    assert case.state == "ended"


def test_vault_before_boundary_still_runs_boundary_steps(host_handlers, customer, frozen_clock):
    case = lifecycle.open_case(customer, customer)
    case = lifecycle.enter_vault(case, actor=Actor.customer(customer))
    assert case.boundary_at == utc(2024, 3, 31, 10)
    assert case.has_product_access() is True

    frozen_clock.at(utc(2024, 3, 31, 10))
    assert case.has_product_access() is False
    assert jobs.scan_due_work().counts["vault_boundaries"] == 1
    assert jobs.scan_due_work().counts["vault_boundaries"] == 0
    case.refresh_from_db()
    assert case.state == "vaulted"
    assert case.ended_at == utc(2024, 3, 31, 10)
    assert ("boundary_reached", case.public_id) in hooks.calls
    assert case.events.last().action == "boundary_reached_in_vault"
