"""A purge run by a Celery prefork worker, on several PostgreSQL connections."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage

from config.workspace.models import Comment
from offboarding import jobs
from offboarding.models import CaseState, DeletionCertificate, PurgeProgress
from tests.core.processes import start_celery_worker, worker_environment
from tests.retention.conftest import BOUNDARY, fill_organisation, run_due
from tests.retention.test_purge import rows_of

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

QUEUE = "offboarding-test-purge"


def test_prefork_worker_purges_in_parallel(world, frozen_clock, settings):
    from celery import Celery

    northwind, contoso, case = world
    fill_organisation(
        northwind.organisation, northwind.owner, projects=3, tasks=20, comments=5, prefix="W"
    )
    contoso_before = rows_of(contoso.organisation.pk)
    comments = Comment.objects.filter(task__project__organisation=northwind.organisation).count()
    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=30))
    jobs.scan_due_work(run_steps=False)
    case.refresh_from_db()
    assert case.purge_started_at is not None

    broker = settings.TEST_REDIS_URL
    env = worker_environment(
        "tests.settings",
        OFFBOARDING_WORKER_BROKER_URL=broker,
        DJANGO_MEDIA_ROOT=str(django_settings.MEDIA_ROOT),
        OFFBOARDING_PURGE_BATCH_SIZE="5",
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    worker = start_celery_worker(QUEUE, env, "--pool=prefork", "--concurrency=1")
    try:
        Celery(broker=broker).send_task("offboarding.run_case_steps", args=[case.pk], queue=QUEUE)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            case.refresh_from_db()
            if case.state == CaseState.PURGED:
                break
            time.sleep(0.25)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]

    assert case.state == CaseState.PURGED, output[-4000:]
    assert "deleted over 2 connections" in output
    assert set(rows_of(northwind.organisation.pk).values()) == {0}
    assert rows_of(contoso.organisation.pk) == contoso_before
    assert PurgeProgress.objects.get(case=case, source="comments").deleted == comments
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    assert DeletionCertificate.objects.filter(case=case).count() == 1
