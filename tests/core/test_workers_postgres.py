"""Real worker processes against PostgreSQL: row locks, SKIP LOCKED and a Celery worker."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from offboarding import clock
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor, AuditEvent, CaseState, CaseStep, OffboardingCase, Plan
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.core.processes import start_celery_worker, start_manage, worker_environment

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CASES = 120


@pytest.fixture
def step_runs_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS step_runs (case_id bigint, moment text, pid int)"
        )
        cursor.execute("TRUNCATE step_runs")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS step_runs")


def scheduled_cases(django_user_model, settings, count):
    """``count`` users with a cancellation at period end on 2024-03-31 10:00 UTC."""
    settings.OFFBOARDING = {"CLOCK": "database", "BUILTIN_STEP_HANDLERS": False}
    clock.freeze(utc(2024, 3, 5, 12))
    Plan.objects.create(
        code="team-monthly", name="Team", amount="30.00", currency="EUR", interval="month"
    )
    ledger = LocalLedgerBackend()
    for index in range(count):
        user = django_user_model.objects.create_user(f"user{index}", f"u{index}@example.com")
        ledger.subscribe(str(user.pk), "team-monthly", utc(2024, 1, 31, 10))
        case = lifecycle.open_case(user, user)
        lifecycle.confirm_cancellation(case, actor=Actor.customer(user))


def test_two_scanning_processes_never_run_a_step_twice(
    step_runs_table, django_user_model, settings
):
    scheduled_cases(django_user_model, settings, CASES)
    clock.freeze(utc(2024, 3, 31, 10))

    env = worker_environment()
    workers = [start_manage("offboarding_run_due", "--limit", "1000", env=env) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (_stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr

    assert OffboardingCase.objects.filter(state=CaseState.ENDED).count() == CASES
    transitions = Counter(
        AuditEvent.objects.filter(action="reach_boundary").values_list("case_id", flat=True)
    )
    assert len(transitions) == CASES
    assert set(transitions.values()) == {1}

    with connection.cursor() as cursor:
        cursor.execute("SELECT case_id, count(*), count(DISTINCT pid) FROM step_runs GROUP BY 1")
        runs = cursor.fetchall()
        cursor.execute("SELECT count(DISTINCT pid) FROM step_runs")
        distinct_workers = cursor.fetchone()[0]
    assert len(runs) == CASES
    assert {count for _, count, _ in runs} == {1}
    assert CaseStep.objects.filter(status="done", attempts=1).count() == CASES
    # Both processes took work, so the claims really competed.
    assert distinct_workers == 2


@pytest.mark.redis
def test_celery_worker_moves_due_case_on(transactional_db, django_user_model, settings):
    from celery import Celery

    scheduled_cases(django_user_model, settings, 1)
    case = OffboardingCase.objects.get()
    clock.freeze(utc(2024, 3, 31, 10))

    broker = settings.TEST_REDIS_URL
    env = worker_environment("tests.settings", OFFBOARDING_WORKER_BROKER_URL=broker)
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    worker = start_celery_worker("offboarding-test", env, "--pool=solo")
    try:
        client = Celery(broker=broker)
        client.send_task("offboarding.scan_due_work", queue="offboarding-test")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            case.refresh_from_db()
            if case.state == CaseState.ENDED:
                break
            time.sleep(0.25)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert case.state == CaseState.ENDED, f"the worker did not move the case on:\n{output}"
    assert case.retention_ends_at == case.boundary_at + timedelta(days=30)
    assert "offboarding.scan_due_work" in output
