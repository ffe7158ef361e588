"""``offboarding_export --due``: the way to build exports on a host without Celery workers."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from offboarding.exports import service
from offboarding.models import Actor, DataExport, ExportStatus
from tests.exports.conftest import fill_organisations


@pytest.fixture
def account_key(db, frozen_clock):
    seeds = fill_organisations(["due-a"], 20)
    return str(seeds[0].organisation_id)


def export_due(*args: str) -> str:
    out = StringIO()
    call_command("offboarding_export", "--due", *args, stdout=out)
    return out.getvalue()


def requested(account_key: str) -> DataExport:
    return service.request_export(account_key, ["csv"], actor=Actor.system(), queue=False)


def test_due_builds_requested_export(account_key):
    export = requested(account_key)

    output = export_due()

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert "Exports built: 1 of 1." in output


def test_due_after_run_due_builds_queued_export(account_key):
    export = requested(account_key)
    call_command("offboarding_run_due", stdout=StringIO())
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED
    assert export.next_attempt_at > timezone.now()  # Queued for a worker that never came.

    output = export_due()

    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert "Exports built: 1 of 1." in output


def test_due_prints_zero_when_nothing_waits(account_key):
    assert "Exports built: 0 of 0." in export_due()


def test_due_skips_export_waiting_for_retry(account_key):
    export = requested(account_key)
    DataExport.objects.filter(pk=export.pk).update(
        attempts=1,
        failure_reason="RuntimeError: the storage failed",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )

    assert "Exports built: 0 of 0." in export_due()
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED


def test_due_skips_export_a_worker_builds(account_key):
    export = requested(account_key)
    call_command("offboarding_run_due", stdout=StringIO())
    assert service.claim(export.pk) is not None

    assert "Exports built: 0 of 0." in export_due()
    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING
