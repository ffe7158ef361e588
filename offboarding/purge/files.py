"""Deletion of stored files after the transaction that deleted their rows has committed.

The names are written to :class:`~offboarding.models.PendingFileDeletion` in the same
transaction as the row deletion. A rollback removes them with the rows, so the files stay.
A crash after the commit leaves them pending, and the next purge run deletes them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.core.files.storage import Storage, storages
from django.db import router, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CHUNK = 500


def field_storage_ref(model: Any, field_name: str) -> str:
    return f"{model._meta.label}.{field_name}"


def resolve_storage(ref: str) -> Storage:
    """Return the storage named by a STORAGES alias or by "app_label.Model.field"."""
    if ref.count(".") >= 2:
        label, field_name = ref.rsplit(".", 1)
        return apps.get_model(label)._meta.get_field(field_name).storage
    return storages[ref]


def queue_file_deletions(case: Any, storage_ref: str, names: list[str]) -> int:
    """Record ``names`` for deletion when the current transaction commits."""
    from offboarding.models import PendingFileDeletion

    names = [name for name in names if name]
    if not names:
        return 0
    PendingFileDeletion.objects.bulk_create(
        [PendingFileDeletion(case=case, storage=storage_ref, name=name) for name in names]
    )
    case_id = getattr(case, "pk", None)
    transaction.on_commit(lambda: delete_pending_files(case_id))
    return len(names)


def delete_pending_files(case_id: int | None) -> int:
    """Delete every pending file of the case from its storage; return how many went."""
    from offboarding.models import PendingFileDeletion

    deleted = 0
    while True:
        # Connections that purge the same case in parallel each take other files.
        with transaction.atomic(using=router.db_for_write(PendingFileDeletion)):
            pending = list(
                PendingFileDeletion.objects.select_for_update(skip_locked=True)
                .filter(case_id=case_id, deleted_at__isnull=True)
                .order_by("pk")[:CHUNK]
            )
            if not pending:
                break
            for item in pending:
                resolve_storage(item.storage).delete(item.name)
            PendingFileDeletion.objects.filter(pk__in=[item.pk for item in pending]).update(
                deleted_at=timezone.now()
            )
        deleted += len(pending)
    if deleted:
        logger.info("Stored files of case row %s deleted: %s", case_id, deleted)
    return deleted
