"""The purge through the lifecycle, its files, its dry run, tombstone and certificate."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import call_command
from django.db import transaction

from config.accounts.models import Membership, Organisation
from config.api.models import ApiKey
from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task
from offboarding.models import (
    AuditEvent,
    CaseState,
    DeletionCertificate,
    PendingFileDeletion,
    Tombstone,
)
from offboarding.models.retention import hash_account_key
from offboarding.purge.certificate import issue_certificate
from offboarding.purge.engine import get_registry, purge_sources
from offboarding.purge.service import dry_run
from tests.retention.conftest import BOUNDARY, run_due


def rows_of(organisation_id: int) -> dict[str, int]:
    return {
        "projects": Project.objects.filter(organisation_id=organisation_id).count(),
        "tasks": Task.objects.filter(project__organisation_id=organisation_id).count(),
        "comments": Comment.objects.filter(task__project__organisation_id=organisation_id).count(),
        "attachments": Attachment.objects.filter(
            task__project__organisation_id=organisation_id
        ).count(),
        "activity": ActivityEntry.objects.filter(organisation_id=organisation_id).count(),
        "api_keys": ApiKey.objects.filter(organisation_id=organisation_id).count(),
        "members": Membership.objects.filter(organisation_id=organisation_id).count(),
        "organisation": Organisation.objects.filter(pk=organisation_id).count(),
    }


@pytest.fixture
def purged(world, frozen_clock):
    northwind, contoso, case = world
    run_due(frozen_clock, BOUNDARY)
    run_due(frozen_clock, BOUNDARY + timedelta(days=30))
    case.refresh_from_db()
    return northwind, contoso, case


def test_purge_deletes_only_that_account(purged):
    northwind, contoso, case = purged
    assert case.state == CaseState.PURGED
    assert set(rows_of(northwind.organisation.pk).values()) == {0}
    assert rows_of(contoso.organisation.pk) == {
        "projects": 2,
        "tasks": 6,
        "comments": 12,
        "attachments": 2,
        "activity": 2,
        "api_keys": 1,
        "members": 2,
        "organisation": 1,
    }
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    for name in contoso.attachment_names:
        assert default_storage.exists(name)


def test_purge_keeps_users_and_audit(purged):
    northwind, _, case = purged
    northwind.owner.refresh_from_db()
    assert AuditEvent.verify_chain(case) == (True, None)
    assert case.events.filter(action="complete_purge").exists()


def test_tombstone_has_counts_no_personal_data(purged):
    northwind, _, case = purged
    tombstone = Tombstone.objects.get(case_public_id=case.public_id)
    assert tombstone.account_key_hash == hash_account_key(northwind.key)
    assert tombstone.counts["workspace.Comment"] == 12
    assert tombstone.counts["accounts.Organisation"] == 1
    assert tombstone.account_row_deleted
    text = json.dumps([tombstone.counts, tombstone.case_public_id, tombstone.account_key_hash])
    assert northwind.owner.email not in text
    assert "Northwind" not in text


def test_certificate_issued_once(purged):
    northwind, _, case = purged
    certificate = DeletionCertificate.objects.get(case=case)
    storage = storages["default"]
    document = json.loads(storage.open(certificate.json_name).read())
    assert document["case"] == case.public_id
    assert document["policy"] == {"retention_days": 30}
    assert document["retention_window"]["started_at"] == BOUNDARY.isoformat()
    assert document["rows_deleted"] == 2 + 6 + 12 + 2 + 2 + 1 + 2 + 1
    assert document["files_deleted"] == 2
    assert [step["action"] for step in document["steps"]][:3] == [
        "request",
        "confirm_cancel",
        "reach_boundary",
    ]
    # The certificate fixes the chain as it stood when it was issued; the issue itself is
    # the next event.
    issued = AuditEvent.objects.get(case=case, action="deletion_certificate_issued")
    assert document["audit_chain_head"] == issued.previous_hash
    assert issued.data["sha256"] == certificate.sha256
    assert storage.open(certificate.pdf_name).read(5) == b"%PDF-"
    assert "Northwind" not in json.dumps(document)

    again = issue_certificate(case)
    assert DeletionCertificate.objects.filter(case=case).count() == 1
    assert again.sha256 == certificate.sha256
    assert json.loads(storage.open(again.json_name).read()) == document
    assert again.times_issued == 2


def test_dry_run_counts_and_changes_nothing(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    report = dry_run(case)
    counts = {name: count for name, _, count in report.rows}
    assert counts == {
        "comments": 12,
        "attachments": 2,
        "tasks": 6,
        "projects": 2,
        "members": 2,
        "activity": 2,
        "api_keys": 1,
    }
    assert report.files == 2
    assert report.account_row is True

    out = StringIO()
    call_command("offboarding_purge", case.public_id, "--dry-run", stdout=out)
    assert "comments (workspace.Comment): 12 rows" in out.getvalue()
    assert "A purge now would be refused: the retention window ends" in out.getvalue()
    assert rows_of(northwind.organisation.pk)["comments"] == 12


@pytest.mark.django_db(transaction=True)
def test_rolled_back_delete_keeps_file(world, frozen_clock):
    northwind, _, case = world
    source = get_registry().get("attachments")
    with pytest.raises(RuntimeError), transaction.atomic():
        purge_sources(northwind.key, [source], case)
        assert (
            Attachment.objects.filter(task__project__organisation=northwind.organisation).count()
            == 0
        )
        raise RuntimeError("the surrounding transaction fails")

    for name in northwind.attachment_names:
        assert default_storage.exists(name)
    assert (
        Attachment.objects.filter(task__project__organisation=northwind.organisation).count() == 2
    )
    assert not PendingFileDeletion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_committed_delete_removes_file(world, frozen_clock):
    northwind, _, case = world
    source = get_registry().get("attachments")
    purge_sources(northwind.key, [source], case)
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    assert PendingFileDeletion.objects.filter(deleted_at__isnull=True).count() == 0


def test_second_purge_run_changes_nothing(purged):
    northwind, _, case = purged
    from offboarding.purge.service import purge_case

    before = Tombstone.objects.get(case_public_id=case.public_id).counts
    outcome = purge_case(case)
    assert outcome["deleted_this_run"] == 0
    assert outcome["counts"] == before
    assert Tombstone.objects.get(case_public_id=case.public_id).counts == before


def test_admin_downloads_and_reissues(purged, admin_client):
    _, _, case = purged
    certificate = DeletionCertificate.objects.get(case=case)
    from django.urls import reverse

    pdf = admin_client.get(
        reverse("admin:offboarding_deletioncertificate_download", args=[certificate.pk, "pdf"])
    )
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert pdf["Content-Disposition"].endswith(f'deletion-certificate-{case.public_id}.pdf"')
    missing = admin_client.get(
        reverse("admin:offboarding_deletioncertificate_download", args=[certificate.pk, "exe"])
    )
    assert missing.status_code == 404

    response = admin_client.post(
        reverse("admin:offboarding_deletioncertificate_changelist"),
        {"action": "issue_again", "_selected_action": [certificate.pk]},
    )
    assert response.status_code == 302
    assert DeletionCertificate.objects.filter(case=case).count() == 1
    assert DeletionCertificate.objects.get(case=case).times_issued == 2


def test_reapply_erasures_after_restore(purged, tmp_path):
    northwind, contoso, case = purged
    exported = tmp_path / "tombstones.jsonl"
    call_command("offboarding_reapply_erasures", "--export", str(exported), stdout=StringIO())
    # A restored backup brings rows of the purged account back under its old key.
    Tombstone.objects.all().delete()
    organisation = Organisation.objects.create(
        pk=northwind.organisation.pk, name="Northwind", slug="northwind-restored"
    )
    project = Project.objects.create(organisation=organisation, key="R", name="Restored")
    Task.objects.create(project=project, number=1, title="Restored task")

    out = StringIO()
    call_command("offboarding_reapply_erasures", "--from-file", str(exported), stdout=out)
    assert "Added 1 tombstones" in out.getvalue()
    assert f"{case.public_id}: 2 rows deleted, account row deleted" in out.getvalue()
    assert set(rows_of(northwind.organisation.pk).values()) == {0}
    assert rows_of(contoso.organisation.pk)["tasks"] == 6

    again = StringIO()
    call_command("offboarding_reapply_erasures", stdout=again)
    assert f"{case.public_id}: 0 rows deleted" in again.getvalue()
