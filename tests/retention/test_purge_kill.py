"""A purge worker killed with SIGKILL at several points, then run again, on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from config.workspace.models import Comment
from offboarding import jobs
from offboarding.models import CaseState, CaseStep, DeletionCertificate, PurgeProgress, Tombstone
from tests.retention.conftest import BOUNDARY, fill_organisation, run_due
from tests.retention.test_purge import rows_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BATCH_SIZE = 5


def start_purge_process(public_id: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
            f"{connection.settings_dict['PORT'] or 5432}/{connection.settings_dict['NAME']}"
        ),
        "DJANGO_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "OFFBOARDING_PURGE_BATCH_SIZE": str(BATCH_SIZE),
        "OFFBOARDING_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "offboarding_purge", public_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill_when(process: subprocess.Popen, condition, timeout: float = 60.0) -> bool:
    """SIGKILL ``process`` as soon as ``condition()`` holds; return whether it was killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if condition():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return True
        time.sleep(0.002)
    process.kill()
    raise AssertionError("the purge process neither met the kill condition nor finished")


def rows_deleted(case, source: str | None = None) -> int:
    progress = PurgeProgress.objects.filter(case=case)
    if source is not None:
        progress = progress.filter(source=source)
    return sum(progress.values_list("deleted", flat=True))


def expire_leases(case) -> None:
    # What the lease timeout does for a dead worker's step, without waiting 15 minutes.
    CaseStep.objects.filter(case=case, status=CaseStep.Status.RUNNING).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_killed_purge_resumes_to_one_certificate(world, frozen_clock):
    northwind, contoso, case = world
    fill_organisation(
        northwind.organisation, northwind.owner, projects=3, tasks=20, comments=5, prefix="K"
    )
    contoso_before = rows_of(contoso.organisation.pk)
    northwind_comments = Comment.objects.filter(
        task__project__organisation=northwind.organisation
    ).count()
    assert northwind_comments == 12 + 300

    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=30))
    jobs.scan_due_work(run_steps=False)
    case.refresh_from_db()
    assert case.purge_started_at is not None

    kill_points = [
        lambda: rows_deleted(case) >= 40,
        lambda: rows_deleted(case, "tasks") >= 30,
        lambda: rows_deleted(case, "members") >= 1,
    ]
    killed = 0
    early_exits = []
    for condition in kill_points:
        # A process can end on its own before the test sees the kill point (a slow poll on
        # a loaded machine); start another for the same point, up to three times.
        for _attempt in range(3):
            process = start_purge_process(case.public_id)
            was_killed = kill_when(process, condition)
            expire_leases(case)
            if was_killed:
                killed += 1
                break
            early_exits.append((process.returncode, process.stderr.read().decode()[-2000:]))
            case.refresh_from_db()
            if case.state == CaseState.PURGED:
                break
    assert killed >= 2, f"purge processes that ended on their own: {early_exits}"

    final = start_purge_process(case.public_id)
    stdout, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr.decode()

    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert set(rows_of(northwind.organisation.pk).values()) == {0}
    assert rows_of(contoso.organisation.pk) == contoso_before
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    for name in contoso.attachment_names:
        assert default_storage.exists(name)
    assert DeletionCertificate.objects.filter(case=case).count() == 1
    certificate = DeletionCertificate.objects.get(case=case)
    assert rows_deleted(case, "comments") == northwind_comments
    assert certificate.data["rows_deleted"] == sum(
        Tombstone.objects.get(case_public_id=case.public_id).counts.values()
    )
    assert case.events.filter(action="deletion_certificate_issued").count() == 1
