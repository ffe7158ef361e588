"""Celery worker and beat processes that send notices, for the multi-process test and benchmark."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.notices.settings_workers"
SEND_TASK_NAME = "offboarding: send due notices (test)"


def fleet_environment(database_url: str, broker_url: str, smtp_port: int) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "OFFBOARDING_WORKER_BROKER_URL": broker_url,
        "OFFBOARDING_TEST_SMTP_PORT": str(smtp_port),
        "PYTHONPATH": str(ROOT),
    }


def start_fleet(
    env: dict[str, str], queue: str, *, workers: int, beats: int, log_dir: Path
) -> list[subprocess.Popen]:
    """Start ``workers`` solo-pool Celery workers on ``queue`` and ``beats`` beat processes."""
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    processes = []
    for index in range(workers):
        processes.append(
            _spawn(
                [
                    *celery,
                    "worker",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-Q",
                    queue,
                    "-n",
                    f"notices{index}@%h",
                    "--loglevel=WARNING",
                ],
                env,
                log_dir / f"worker{index}.log",
            )
        )
    for index in range(beats):
        processes.append(
            _spawn(
                [
                    *celery,
                    "beat",
                    "-S",
                    "django_celery_beat.schedulers:DatabaseScheduler",
                    "--loglevel=WARNING",
                    "--pidfile=",
                ],
                env,
                log_dir / f"beat{index}.log",
            )
        )
    return processes


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop_fleet(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def install_send_schedule(queue: str, every_seconds: int = 1) -> None:
    """A beat entry that runs the send task every ``every_seconds`` on ``queue``."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name=SEND_TASK_NAME,
        defaults={
            "task": "offboarding.send_due_notices",
            "interval": schedule,
            "queue": queue,
            "enabled": True,
        },
    )


def create_confirmed_cases(count: int, now: datetime) -> None:
    """``count`` accounts (users) whose cancellation was confirmed an hour before ``now``."""
    from django.contrib.auth import get_user_model

    from offboarding.models import CaseState, OffboardingCase
    from offboarding.models.notices import CadenceStep, NoticeTrigger, OffsetUnit

    CadenceStep.objects.get_or_create(
        code="cancellation-confirmed",
        defaults={
            "trigger": NoticeTrigger.CANCELLATION_CONFIRMED,
            "offset": 0,
            "unit": OffsetUnit.HOURS,
            "template": "cancellation_confirmed",
        },
    )
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [
            user_model(username=f"bulk{index}", email=f"bulk{index}@example.com")
            for index in range(count)
        ],
        batch_size=2000,
    )
    confirmed = now - timedelta(hours=1)
    cases = [
        OffboardingCase(
            account_key=str(pk),
            account_label=f"Account {pk}",
            state=CaseState.SCHEDULED,
            requested_at=confirmed,
            confirmed_at=confirmed,
            boundary_at=now + timedelta(days=20),
            plan_name="Team",
        )
        for pk in user_model.objects.filter(username__startswith="bulk").values_list(
            "pk", flat=True
        )
    ]
    OffboardingCase.objects.bulk_create(cases, batch_size=2000)
