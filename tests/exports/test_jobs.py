"""Export jobs: retries and failure reports, expiry, the purge handler and the Celery task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.db.models import Q
from django.utils import timezone

from offboarding import steps, tasks
from offboarding.exports import service
from offboarding.exports.handlers import delete_export_archives
from offboarding.models import Actor, AuditEvent, DataExport, ExportStatus, OffboardingCase
from offboarding.registry import DataRegistry


def broken_path(account_key):
    raise RuntimeError("the host's account path failed")


FAILING = DataRegistry()
FAILING.declare("workspace.Project", name="projects", account_path=broken_path)


@pytest.fixture
def case_of_first(demo_accounts, frozen_clock):
    seeds, _ = demo_accounts
    account_key = str(seeds[0].organisation_id)
    return OffboardingCase.objects.create(account_key=account_key, requested_at=frozen_clock.now())


def make_ready(account_key):
    export = service.request_export(
        account_key, ["csv", "ndjson"], actor=Actor.system(), queue=False
    )
    service.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    return export


def test_failure_retried_then_flagged_for_staff(case_of_first, settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "EXPORT_MAX_ATTEMPTS": 2,
        "DATA_REGISTRY": "tests.exports.test_jobs.FAILING",
    }
    export = service.request_export(
        case_of_first.account_key, ["csv"], actor=Actor.system(), queue=False
    )
    with pytest.raises(RuntimeError):
        service.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED
    assert export.attempts == 1
    assert export.next_attempt_at > timezone.now()
    assert "account path failed" in export.failure_reason
    case_of_first.refresh_from_db()
    assert not case_of_first.needs_attention

    with pytest.raises(RuntimeError):
        service.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.attempts == 2
    case_of_first.refresh_from_db()
    assert case_of_first.needs_attention
    assert "export" in case_of_first.attention_reason.lower()
    assert AuditEvent.objects.filter(case=case_of_first, action="export_failed").count() == 1
    # A failed export is not run again.
    assert service.run_export(export.pk) is None


def test_task_runs_export(case_of_first):
    export = service.request_export(
        case_of_first.account_key, ["json"], actor=Actor.system(), queue=False
    )
    tasks.export_account.apply(args=[export.pk])
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.ready_at is not None
    assert export.file_count > 0
    assert AuditEvent.objects.filter(case=case_of_first, action="export_ready").count() == 1
    # Safe to run twice: the second run finds nothing to do and changes nothing.
    tasks.export_account.apply(args=[export.pk])
    assert DataExport.objects.get(pk=export.pk).ready_at == export.ready_at


def test_task_retries_until_last_attempt(case_of_first, settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "EXPORT_MAX_ATTEMPTS": 3,
        "DATA_REGISTRY": "tests.exports.test_jobs.FAILING",
    }
    export = service.request_export(
        case_of_first.account_key, ["csv"], actor=Actor.system(), queue=False
    )
    # apply() runs each retry at once in this process instead of after its countdown.
    tasks.export_account.apply(args=[export.pk])
    export.refresh_from_db()
    assert export.attempts == 3
    assert export.status == ExportStatus.FAILED
    case_of_first.refresh_from_db()
    assert case_of_first.needs_attention


def test_archive_expires(case_of_first, frozen_clock):
    from offboarding import jobs

    export = make_ready(case_of_first.account_key)
    storage = storages["default"]
    assert storage.exists(export.storage_name)
    assert service.expire_due_exports(10) == 0
    frozen_clock.advance(timedelta(days=7, seconds=1))
    report = jobs.scan_due_work()
    assert report.counts["exports_expired"] == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert not storage.exists(export.storage_name)
    # Local storage keeps no empty folder of the export behind.
    assert not storage.exists(service.storage_dir(export))
    assert service.expire_due_exports(10) == 0


def test_parts_removed_when_ready(case_of_first):
    export = make_ready(case_of_first.account_key)
    storage = storages["default"]
    assert not storage.exists(f"{service.storage_dir(export)}/parts")
    assert storage.exists(export.storage_name)


def test_purge_handler_deletes_archives(case_of_first):
    assert "delete_export_archives" in steps.handlers_for("retention_over")
    export = make_ready(case_of_first.account_key)
    storage = storages["default"]
    assert delete_export_archives(case_of_first, None) == {"exports_deleted": 1}
    export.refresh_from_db()
    assert export.status == ExportStatus.DELETED
    assert not storage.exists(export.storage_name)
    assert not storage.exists(service.storage_dir(export))
    assert delete_export_archives(case_of_first, None) == {"exports_deleted": 0}


def test_no_export_once_purge_started(case_of_first, frozen_clock):
    OffboardingCase.objects.filter(pk=case_of_first.pk).update(purge_started_at=frozen_clock.now())
    with pytest.raises(service.ExportRejected):
        service.request_export(case_of_first.account_key, ["csv"], actor=Actor.system())
    assert not DataExport.objects.exists()


@pytest.mark.parametrize("chosen", [[], ["pdf"], ["csv", "xml"]])
def test_bad_formats_rejected(case_of_first, chosen):
    with pytest.raises(service.ExportRejected):
        service.request_export(case_of_first.account_key, chosen, actor=Actor.system())
    assert not DataExport.objects.exists()


def test_stalled_export_queued_again(case_of_first):
    export = service.request_export(
        case_of_first.account_key, ["csv"], actor=Actor.system(), queue=False
    )
    assert service.claim(export.pk) is not None
    assert service.queue_due_exports(10) == 0  # The lease still runs.
    DataExport.objects.filter(pk=export.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert service.queue_due_exports(10) == 1
    assert service.queue_due_exports(10) == 0  # Pushed a lease ahead; not queued twice.
    export.refresh_from_db()
    assert export.status == ExportStatus.REQUESTED
    assert DataExport.objects.filter(Q(pk=export.pk) & Q(lease_owner="")).exists()


def test_unrecorded_archive_replaced(case_of_first):
    from django.core.files.base import ContentFile

    export = service.request_export(
        case_of_first.account_key, ["csv"], actor=Actor.system(), queue=False
    )
    storage = storages["default"]
    directory = service.storage_dir(export)
    # What a worker stopped after saving the archive, before recording it, leaves behind.
    stale = storage.save(f"{directory}/data-export.zip", ContentFile(b"stale"))
    service.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    _, files = storage.listdir(directory)
    assert [f"{directory}/{name}" for name in files] == [export.storage_name]
    assert storage.open(export.storage_name).read(2) == b"PK"
    assert stale == export.storage_name or not storage.exists(stale)
