"""The purge of a case's account: contacts captured first, rows, files, account row, tombstone."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.conf import app_settings
from offboarding.models import CaseState, OffboardingCase
from offboarding.purge.engine import get_registry, purge_account_rows
from offboarding.purge.files import delete_pending_files, queue_file_deletions
from offboarding.revocation.base import record_revocation
from offboarding.revocation.sessions import SessionRevoker

logger = logging.getLogger(__name__)


# Progress rows of the account row's own delete sort after every data source.
ACCOUNT_ROW_POSITION = 10_000

# Revocation record of the sessions the purge ends. It is kept apart from the boundary's
# "sessions" record, so staff can see which sessions were opened after the boundary.
PURGE_SESSIONS = "sessions_at_purge"


class PurgeNotAllowed(Exception):
    """The case's purge has not been started by the lifecycle, or a legal hold stops it."""


def begin_run(case: OffboardingCase) -> Any:
    """Create the case's purge run once, before any row is deleted.

    The notices part copies the contacts the certificate email goes to at this point,
    because the owner's row may be among the rows the purge deletes.
    """
    from offboarding.models import PurgeRun

    existing = PurgeRun.objects.filter(case=case).first()
    if existing is not None:
        return existing
    from offboarding.notices import recipients

    recipients.capture(case)
    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    language = timezone_name = ""
    if account is not None:
        language = adapter.get_language(account)
        timezone_name = str(adapter.get_timezone(account))
    run, _ = PurgeRun.objects.get_or_create(
        case=case,
        defaults={"started_at": clock.now(), "language": language, "timezone": timezone_name},
    )
    return run


def queue_invoice_files(case: OffboardingCase) -> int:
    """Queue the final invoice's stored PDF for deletion; the invoice rows stay for the law."""
    from offboarding.models import PendingFileDeletion

    if not app_settings.PURGE_INVOICE_FILES:
        return 0
    try:
        from offboarding.models.invoices import FinalInvoiceDocument
    except ImportError:
        return 0
    names = list(
        FinalInvoiceDocument.objects.filter(invoice__case=case).values_list(
            "storage_name", flat=True
        )
    )
    already = set(
        PendingFileDeletion.objects.filter(case=case, name__in=names).values_list(
            "name", flat=True
        )
    )
    with transaction.atomic():
        return queue_file_deletions(
            case, app_settings.STORAGE_ALIAS, [name for name in names if name not in already]
        )


# Audit action recorded when the purge keeps the row of a staff user who is the account.
STAFF_ROW_KEPT = "account_row_kept"


def delete_account_row(case: OffboardingCase, run: Any) -> bool:
    """Delete the account row when ``adapter.purge_account_row`` returns True; return whether it went.

    A kept row that is a staff user or superuser is logged and flagged for staff once,
    because the person's login then outlives the purge.
    """
    from offboarding.adapter import is_staff_account, is_user_account
    from offboarding.models import PurgeProgress, PurgeRun

    if run.account_row_deleted:
        return True
    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    if account is None:
        return False
    if not adapter.purge_account_row(account):
        if is_user_account(account) and is_staff_account(account):
            _flag_kept_staff_row(case)
        return False
    with transaction.atomic():
        # Django's own delete, so rows of models the registry does not declare cascade
        # as the host's foreign keys define, and delete signals run.
        deleted = account.delete()[1]
        PurgeRun.objects.filter(pk=run.pk).update(account_row_deleted=True)
        for label, count in deleted.items():
            progress, _ = PurgeProgress.objects.get_or_create(
                case=case,
                source=f"account:{label}",
                defaults={"model_label": label, "position": ACCOUNT_ROW_POSITION},
            )
            PurgeProgress.objects.filter(pk=progress.pk).update(deleted=count, done=True)
    run.account_row_deleted = True
    return True


def _flag_kept_staff_row(case: OffboardingCase) -> None:
    """Log and audit once that a staff user's row survived the purge, and flag the case."""
    from offboarding.models import Actor

    if case.events.filter(action=STAFF_ROW_KEPT).exists():
        return
    logger.warning(
        "Purge of case %s kept account row %s: the user is staff or a superuser",
        case.public_id,
        case.account_key,
    )
    reason = (
        "The account is a staff user or superuser, so the purge kept its user row. "
        "Delete the user by hand once it needs no admin access."
    )
    case.record(
        STAFF_ROW_KEPT,
        actor=Actor.system(),
        reason=reason,
        data={"account_key": case.account_key},
        needs_attention=True,
        attention_reason=reason,
    )


def counts_of(case: OffboardingCase) -> dict[str, int]:
    """Return the rows deleted per model label, from the recorded progress."""
    counts: dict[str, int] = {}
    for label, deleted in case.purge_progress.order_by("position").values_list(
        "model_label", "deleted"
    ):
        counts[label] = counts.get(label, 0) + deleted
    return counts


def end_sessions(case: OffboardingCase) -> int:
    """End every session of the account's members and record how many existed.

    The owner may sign in to the portal after the boundary, so sessions can exist that
    the boundary's revocation never saw. A second run finds none and records 0.
    """
    account = get_adapter().get_account(case.account_key)
    if account is None:
        return 0
    revoked = SessionRevoker().revoke(case, account)
    record_revocation(case, PURGE_SESSIONS, revoked)
    if revoked.count:
        logger.info("Purge of case %s: sessions ended: %s", case.public_id, revoked.count)
    return revoked.count


def purged_account_label(case: OffboardingCase) -> str:
    """Return the label a purged case keeps: no personal data, only the case's public id.

    It is stored once, so it is written in the site's default language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Deleted account %(case)s") % {"case": case.public_id}


def write_tombstone(case: OffboardingCase, run: Any) -> Any:
    """Write the tombstone and replace the case's account label in one transaction.

    The label is often the owner's name or email address, so it must not outlive the
    purge. The final invoice keeps its own copy of the buyer's details for the tax law.
    """
    from offboarding.models import Tombstone
    from offboarding.models.retention import hash_account_key

    label = purged_account_label(case)
    with transaction.atomic():
        tombstone, _ = Tombstone.objects.update_or_create(
            case_public_id=case.public_id,
            defaults={
                "account_key_hash": hash_account_key(case.account_key),
                "retention_days": case.retention_days,
                "boundary_at": case.boundary_at,
                "retention_ends_at": case.retention_ends_at,
                "purge_started_at": case.purge_started_at or run.started_at,
                "purged_at": run.finished_at,
                "counts": counts_of(case),
                "account_row_deleted": run.account_row_deleted,
            },
        )
        OffboardingCase.objects.filter(pk=case.pk).update(account_label=label)
    case.account_label = label
    return tombstone


def purge_case(case: OffboardingCase) -> dict[str, Any]:
    """Delete the account's data for a case whose purge the lifecycle has started.

    Safe to run again after a crash at any point: finished sources are skipped, pending
    files are deleted, and the tombstone is written once.
    """
    from offboarding.models import PurgeRun

    case.refresh_from_db()
    if case.purge_started_at is None or case.state not in (CaseState.ENDED, CaseState.PURGED):
        raise PurgeNotAllowed(f"Case {case.public_id}: the purge has not been started.")
    if case.legal_hold:
        raise PurgeNotAllowed(
            f"Case {case.public_id}: a legal hold was placed; the purge continues when it is lifted."
        )

    run = begin_run(case)
    # Sessions end first, because the rows that tell who the members are may be purged.
    sessions_ended = end_sessions(case)
    delete_pending_files(case.pk)
    result = purge_account_rows(case.account_key, case)
    queue_invoice_files(case)
    delete_account_row(case, run)
    delete_pending_files(case.pk)

    if run.finished_at is None:
        run.finished_at = clock.now()
        PurgeRun.objects.filter(pk=run.pk).update(finished_at=run.finished_at)
    write_tombstone(case, run)
    logger.info("Purge of case %s: rows deleted in this run: %s", case.public_id, result.total)
    return {
        "deleted_this_run": result.total,
        "sessions_ended": sessions_ended,
        "counts": counts_of(case),
    }


@dataclass
class DryRun:
    """Rows per data source (in purge order) and files that a purge would delete now."""

    rows: list[tuple[str, str, int]] = field(default_factory=list)
    files: int = 0
    account_row: bool = False

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.rows)


def dry_run(case: OffboardingCase) -> DryRun:
    """Count what :func:`purge_case` would delete for ``case``, changing nothing."""
    report = DryRun()
    account_model = get_adapter().get_account_model()
    for source in get_registry().purge_order():
        if source.model is account_model:
            continue
        queryset = source.queryset(case.account_key)
        report.rows.append((source.name, source.model._meta.label, queryset.count()))
        for field_name in getattr(source, "file_fields", None) or []:
            report.files += queryset.exclude(**{field_name: ""}).count()
    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    report.account_row = account is not None and adapter.purge_account_row(account)
    return report
