"""Export workflows: request, run in checkpointed steps, fail and retry, expire, delete.

Views, admin actions, Celery tasks and the management command all call these functions.
A run claims the export with a lease. After each part it records the part in the
export's checkpoint and renews the lease. A worker killed midway therefore leaves its
finished parts behind, and the next run continues with the rest once the lease runs out.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.conf import app_settings
from offboarding.exports import archive, formats
from offboarding.models import Actor, DataExport, ExportStatus, OffboardingCase
from offboarding.registry import DataSource, get_registry

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=6)


class ExportRejected(ValueError):
    """An export request that was rejected; the message gives the reason."""


class LeaseLost(Exception):
    """Another worker took the export over, or it was deleted, while this one ran."""


def allowed_formats() -> list[str]:
    return [fmt for fmt in app_settings.EXPORT_FORMATS if fmt in formats.FORMATS]


def storage_dir(export: DataExport) -> str:
    return f"{app_settings.EXPORT_STORAGE_PREFIX.rstrip('/')}/{export.token}"


def planned_parts(export: DataExport) -> list[tuple[DataSource, str]]:
    """Return (source, format) of every part, in archive order: by format, then source."""
    sources = get_registry().sources()
    return [(source, fmt) for fmt in export.formats for source in sources]


def latest_case(account_key: str) -> OffboardingCase | None:
    cases = OffboardingCase.objects.for_account(account_key)
    return cases.open().first() or cases.first()


# Requests


def request_export(
    account_key: str,
    chosen: list[str],
    *,
    actor: Actor,
    case: OffboardingCase | None = None,
    queue: bool = True,
    reason: str = "",
) -> DataExport:
    """Create an export of the account in the chosen formats, or return the one in progress.

    Raises :class:`ExportRejected` for an unknown format, an unknown account or a
    purged one, and writes nothing then.
    """
    chosen = _validated_formats(chosen)
    if get_adapter().get_account(account_key) is None:
        raise ExportRejected(f"No account with key {account_key!r} exists.")
    case = case or latest_case(account_key)
    if case is not None and case.purge_started_at is not None:
        raise ExportRejected("The account's data is being deleted; it can no longer be exported.")

    existing = DataExport.objects.for_account(account_key).active().first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            export = DataExport.objects.create(
                account_key=account_key,
                case=case,
                formats=chosen,
                requested_by_kind=actor.kind,
                requested_by=actor.user_id,
                requested_at=clock.now(),
                next_attempt_at=timezone.now(),
                progress_total=len(get_registry().sources()) * len(chosen),
            )
            if case is not None:
                case.record(
                    "export_requested",
                    actor=actor,
                    reason=reason,
                    data={"export": export.token, "formats": chosen},
                )
    except IntegrityError:
        # Another request of the same account won the race; theirs is the active one.
        existing = DataExport.objects.for_account(account_key).active().first()
        if existing is None:
            raise
        return existing
    logger.info(
        "Export %s of account %s requested in %s", export.pk, account_key, ",".join(chosen)
    )
    if queue:
        transaction.on_commit(lambda: queue_export(export.pk))
    return export


def _validated_formats(chosen: list[str]) -> list[str]:
    allowed = allowed_formats()
    unique = list(dict.fromkeys(chosen))
    unknown = [fmt for fmt in unique if fmt not in allowed]
    if unknown:
        raise ExportRejected(
            f"Unknown export format(s) {', '.join(map(repr, unknown))}; choose from {', '.join(allowed)}."
        )
    if not unique:
        raise ExportRejected(f"Choose at least one export format: {', '.join(allowed)}.")
    return [fmt for fmt in allowed if fmt in unique]


def queue_export(export_id: int, countdown: float = 0) -> None:
    """Ask a Celery worker to run the export; the due-work scan catches up if this is lost."""
    from offboarding import tasks

    try:
        tasks.export_account.apply_async((export_id,), countdown=countdown)
    except Exception:  # A broker that is down must not fail the request.
        logger.warning("Could not queue export %s; the next due-work scan queues it", export_id)


# Runs


def claim(export_id: int) -> tuple[DataExport, str] | None:
    """Take the export's lease if it waits for a worker or its lease ran out; else None."""
    now = timezone.now()
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update(skip_locked=True).filter(pk=export_id).first()
        )
        if export is None:
            return None
        waiting = export.status == ExportStatus.REQUESTED
        abandoned = export.status == ExportStatus.RUNNING and (
            export.lease_expires_at is None or export.lease_expires_at <= now
        )
        if not (waiting or abandoned):
            return None
        owner = secrets.token_hex(8)
        export.status = ExportStatus.RUNNING
        export.lease_owner = owner
        export.lease_expires_at = now + app_settings.EXPORT_LEASE
        export.attempts += 1
        export.started_at = export.started_at or clock.now()
        export.save(
            update_fields=["status", "lease_owner", "lease_expires_at", "attempts", "started_at"]
        )
    logger.info("Export %s claimed (attempt %s)", export.pk, export.attempts)
    return export, owner


def run_export(export_id: int) -> DataExport | None:
    """Claim and build the export; return it when this call finished it, else None.

    A failure is recorded (and retried later, or flagged for staff after the last
    attempt) and then raised again for the caller's own retry handling.
    """
    claimed = claim(export_id)
    if claimed is None:
        return None
    export, owner = claimed
    try:
        _build(export, owner)
    except LeaseLost:
        logger.warning("Export %s: lease lost, another worker or the purge took over", export.pk)
        if DataExport.objects.filter(pk=export.pk, status=ExportStatus.DELETED).exists():
            # The purge ran meanwhile: remove what this worker saved after it.
            archive.delete_export_files(storage_dir(export), [], with_archives=True)
        return None
    except Exception as error:
        logger.exception("Export %s failed (attempt %s)", export.pk, export.attempts)
        record_failure(export, owner, error)
        raise
    return export


def _build(export: DataExport, owner: str) -> None:
    directory = storage_dir(export)
    done: dict[str, dict[str, Any]] = dict(export.checkpoint.get("parts", {}))
    plan = planned_parts(export)

    # NOTE: each part reads its own snapshot, so rows written while an export runs may
    # appear in one source's file and not in another's (a comment whose task is missing).
    for source, fmt in plan:
        path = archive.archive_path(source, fmt)
        if path in done and archive.export_storage().exists(done[path]["storage_name"]):
            continue
        part = archive.build_part(source, fmt, export.account_key, directory)
        done[path] = part.as_dict()
        _save_checkpoint(export, owner, done, len(plan))
        logger.info("Export %s: part %s done, rows: %s", export.pk, path, part.rows)

    parts = [archive.PartInfo(**done[archive.archive_path(source, fmt)]) for source, fmt in plan]
    archive.delete_stale_archives(directory)
    try:
        result = archive.assemble(
            export_token=export.token,
            account_key=export.account_key,
            parts=parts,
            sources=get_registry().sources(),
            generated_at=clock.now(),
            formats_chosen=list(export.formats),
            language=_language(export.account_key),
            storage_dir=directory,
        )
    except archive.PartCorrupted as corrupted:
        # Forget the damaged part so the retry writes it again.
        done.pop(corrupted.part.path, None)
        _save_checkpoint(export, owner, done, len(plan))
        raise
    _mark_ready(export, owner, result, [part.storage_name for part in parts])


def _language(account_key: str) -> str:
    adapter = get_adapter()
    account = adapter.get_account(account_key)
    from django.conf import settings

    return adapter.get_language(account) if account is not None else settings.LANGUAGE_CODE


def _save_checkpoint(export: DataExport, owner: str, done: dict[str, Any], total: int) -> None:
    updated = DataExport.objects.filter(
        pk=export.pk, status=ExportStatus.RUNNING, lease_owner=owner
    ).update(
        checkpoint={"parts": done},
        progress_done=min(len(done), total),
        progress_total=total,
        lease_expires_at=timezone.now() + app_settings.EXPORT_LEASE,
    )
    if not updated:
        raise LeaseLost()
    export.checkpoint = {"parts": done}


def _mark_ready(
    export: DataExport, owner: str, result: archive.ArchiveResult, part_names: list[str]
) -> None:
    now = clock.now()
    expires_at = now + app_settings.EXPORT_RETENTION
    with transaction.atomic():
        updated = DataExport.objects.filter(
            pk=export.pk, status=ExportStatus.RUNNING, lease_owner=owner
        ).update(
            status=ExportStatus.READY,
            storage_name=result.storage_name,
            file_count=result.file_count,
            size_bytes=result.size_bytes,
            ready_at=now,
            expires_at=expires_at,
            lease_owner="",
            lease_expires_at=None,
            next_attempt_at=None,
            progress_done=export.progress_total,
            failure_reason="",
        )
        if not updated:
            archive.export_storage().delete(result.storage_name)
            raise LeaseLost()
        export.refresh_from_db()
        if export.case is not None:
            export.case.record(
                "export_ready",
                actor=Actor.system(),
                data={
                    "export": export.token,
                    "files": result.file_count,
                    "bytes": result.size_bytes,
                },
            )
    # Parts are deleted after the commit: a crash before it leaves them for a retry.
    archive.delete_export_files(storage_dir(export), part_names)
    logger.info(
        "Export %s ready, files: %s, bytes: %s", export.pk, result.file_count, result.size_bytes
    )


def record_failure(export: DataExport, owner: str, error: BaseException) -> timedelta | None:
    """Record a failed attempt; return the delay before the retry, or None after the last."""
    reason = f"{type(error).__name__}: {error}"[:2000]
    attempts = export.attempts
    if attempts >= app_settings.EXPORT_MAX_ATTEMPTS:
        updated = DataExport.objects.filter(pk=export.pk, lease_owner=owner).update(
            status=ExportStatus.FAILED,
            failure_reason=reason,
            lease_owner="",
            lease_expires_at=None,
            next_attempt_at=None,
        )
        if updated:
            # The partial work of a failed export is of no use to anyone.
            names = [
                part.get("storage_name", "")
                for part in export.checkpoint.get("parts", {}).values()
            ]
            archive.delete_export_files(storage_dir(export), names, with_archives=True)
        if updated and export.case is not None:
            export.case.record(
                "export_failed",
                actor=Actor.system(),
                reason=reason,
                data={"export": export.token, "attempts": attempts},
                needs_attention=True,
                attention_reason=f"Data export {export.token[:8]} failed after {attempts} attempts",
            )
        return None
    delay = min(app_settings.EXPORT_RETRY_DELAY * (2 ** (attempts - 1)), MAX_RETRY_DELAY)
    DataExport.objects.filter(pk=export.pk, lease_owner=owner).update(
        status=ExportStatus.REQUESTED,
        failure_reason=reason,
        lease_owner="",
        lease_expires_at=None,
        next_attempt_at=timezone.now() + delay,
    )
    return delay


# Downloads


def record_download(export: DataExport, user: Any) -> None:
    """Stamp the first download and audit every download on the case."""
    now = clock.now()
    DataExport.objects.filter(pk=export.pk, first_downloaded_at__isnull=True).update(
        first_downloaded_at=now
    )
    if export.case is not None:
        export.case.record(
            "export_downloaded", actor=Actor.customer(user), data={"export": export.token}
        )
    logger.info("Export %s downloaded by user %s", export.pk, user.pk)


# Due work


def queue_due_exports(limit: int, now: datetime | None = None) -> int:
    """Queue exports that wait for a worker or whose worker stopped; return how many.

    Each one is pushed a lease ahead before it is queued, so the next scans do not queue
    it again while a worker picks it up. Its ``lease_expires_at`` without an owner marks
    it as queued and unclaimed, so ``offboarding_export --due`` builds it when no worker
    does.
    """
    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        due = DataExport.objects.due_to_run(now).select_for_update(skip_locked=True)
        for export in due.order_by("pk")[:limit]:
            export.status = ExportStatus.REQUESTED
            export.lease_owner = ""
            export.lease_expires_at = now + app_settings.EXPORT_LEASE
            export.next_attempt_at = now + app_settings.EXPORT_LEASE
            export.save(
                update_fields=["status", "lease_owner", "lease_expires_at", "next_attempt_at"]
            )
            queued.append(export.pk)
    for export_id in queued:
        transaction.on_commit(partial(queue_export, export_id))
    return len(queued)


def exports_to_build(now: datetime | None = None) -> list[int]:
    """Return the ids of the exports a builder without Celery should run now, oldest first.

    These are the due exports and the ones the due-work scan queued that no worker has
    claimed. An export waiting out a retry delay is not included. :func:`claim` takes
    each one under a row lock, so a worker that picks up the same export at the same time
    builds it or this builder does, never both.
    """
    now = now or timezone.now()
    queued_unclaimed = DataExport.objects.filter(
        status=ExportStatus.REQUESTED, lease_owner="", lease_expires_at__isnull=False
    )
    due = DataExport.objects.due_to_run(now) | queued_unclaimed
    return list(due.order_by("pk").values_list("pk", flat=True))


def expire_due_exports(limit: int, now: datetime | None = None) -> int:
    """Delete the archives whose time is up and mark their exports expired."""
    now = now or clock.now()
    expired = 0
    for _ in range(limit):
        with transaction.atomic():
            export = (
                DataExport.objects.due_to_expire(now)
                .select_for_update(skip_locked=True)
                .order_by("expires_at", "pk")
                .first()
            )
            if export is None:
                break
            archive.delete_export_files(
                storage_dir(export), [export.storage_name], with_archives=True
            )
            export.status = ExportStatus.EXPIRED
            export.save(update_fields=["status"])
        expired += 1
        logger.info("Export %s expired; archive deleted", export.pk)
    return expired


def delete_account_archives(account_key: str) -> int:
    """Delete every archive and part of the account from storage; return the exports touched.

    Running exports are stopped too: their lease owner no longer matches, so the worker
    stops at its next checkpoint and deletes what it saved last. Safe to call twice.
    """
    touched = 0
    exports = DataExport.objects.for_account(account_key).exclude(
        status__in=[ExportStatus.DELETED, ExportStatus.EXPIRED]
    )
    for export in exports.order_by("pk"):
        with transaction.atomic():
            locked = DataExport.objects.select_for_update().get(pk=export.pk)
            names = [locked.storage_name] + [
                part.get("storage_name", "")
                for part in locked.checkpoint.get("parts", {}).values()
            ]
            archive.delete_export_files(storage_dir(locked), names, with_archives=True)
            locked.status = ExportStatus.DELETED
            locked.lease_owner = ""
            locked.lease_expires_at = None
            locked.save(update_fields=["status", "lease_owner", "lease_expires_at"])
        touched += 1
    if touched:
        logger.info("Export archives of account %s deleted, exports: %s", account_key, touched)
    return touched
