"""The deletion certificate: what was deleted for a case, when, under which policy.

The certificate's content is built once, stored as JSON in the database, and rendered to a
JSON file and a PDF. Issuing it again rewrites the same files from the stored content, so
a case never gets a second, different certificate.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import Actor, AuditEvent, OffboardingCase
from offboarding.models.retention import hash_account_key

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
NOTICE_KEY = "deletion_certificate"

# Prefix of the data sources that the account row's own delete cascaded to.
ACCOUNT_SOURCE_PREFIX = "account:"

# Labels of the audit actions in the certificate's timeline. The JSON certificate keeps
# the codes, because it is read by programs.
ACTION_LABELS = {
    "request": _("Cancellation requested"),
    "confirm_cancel": _("Cancellation confirmed"),
    "accept_save": _("Offer accepted"),
    "withdraw": _("Cancellation withdrawn"),
    "abandon": _("Cancellation not completed"),
    "end_pause": _("Pause ended"),
    "reach_boundary": _("Access ended"),
    "boundary_reached_in_vault": _("Access ended, data kept in the data vault"),
    "enter_vault": _("Data moved into the data vault"),
    "leave_vault": _("Data vault left"),
    "reactivate": _("Account reactivated"),
    "retention_extended": _("Retention window extended"),
    "retention_shortened": _("Deletion requested by the customer"),
    "retention_ended_by_staff": _("Retention window ended by staff"),
    "legal_hold_placed": _("Legal hold placed"),
    "legal_hold_lifted": _("Legal hold lifted"),
    "purge_started": _("Deletion started"),
    "complete_purge": _("Deletion completed"),
    "account_row_kept": _("Account record kept"),
    "notice_sent": _("Message sent"),
    "notice_failed": _("Message could not be sent"),
    "notice_resend_requested": _("Message sent again on request"),
    "notice_unsubscribed": _("Unsubscribed from optional messages"),
    "export_requested": _("Data export requested"),
    "export_ready": _("Data export ready"),
    "export_downloaded": _("Data export downloaded"),
    "export_failed": _("Data export failed"),
    "final_invoice_unbalanced": _("Final invoice checked by staff"),
    "deletion_certificate_issued": _("Deletion certificate issued"),
    "deletion_certificate_reissued": _("Deletion certificate issued again"),
    "step_failed": _("Processing step failed"),
    "step_retried": _("Processing step retried"),
}

# Audit actions about one notice. Their timeline rows name the notice: the event's
# "template" when it has one, else its "key".
NOTICE_ACTIONS = ("notice_sent", "notice_failed", "notice_resend_requested")

# Names of the notices the app sends, by template. A notice of a host's own template, or
# a cadence step's key ("<step code>@<time>"), shows its template or step code as words.
NOTICE_LABELS = {
    "cancellation_confirmed": _("cancellation confirmation"),
    "withdrawal_acknowledgement": _("withdrawal acknowledgement"),
    "access_ending": _("access ending reminder"),
    "access_ended": _("access ended notice"),
    "pause_ending": _("pause ending reminder"),
    "deletion_reminder": _("deletion reminder"),
    "deletion_certificate": _("deletion certificate"),
    "final_invoice": _("final invoice"),
    "winback": _("win-back offer"),
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _step(action: str, occurred_at: Any, data: Any) -> dict[str, Any]:
    step = {"action": action, "at": _iso(occurred_at)}
    if action in NOTICE_ACTIONS and isinstance(data, dict):
        notice = data.get("template") or data.get("key")
        if notice:
            step["notice"] = str(notice)
    return step


def build_content(case: OffboardingCase) -> dict[str, Any]:
    """Return the certificate's content: no personal data, only references and counts."""
    run = getattr(case, "purge_run", None)
    steps = [
        _step(action, occurred_at, data)
        for action, occurred_at, data in case.events.order_by("sequence").values_list(
            "action", "occurred_at", "data"
        )
    ]
    deleted = [
        {"source": source, "model": label, "rows": rows}
        for source, label, rows in case.purge_progress.order_by("position").values_list(
            "source", "model_label", "deleted"
        )
    ]
    return {
        "document": "deletion certificate",
        "format_version": FORMAT_VERSION,
        "case": case.public_id,
        "account_reference": hash_account_key(case.account_key),
        "policy": {"retention_days": case.retention_days},
        "retention_window": {
            "started_at": _iso(case.retention_starts_at),
            "ended_at": _iso(case.retention_ends_at),
        },
        "access_ended_at": _iso(case.boundary_at),
        "purge_started_at": _iso(case.purge_started_at),
        "purged_at": _iso(case.purged_at),
        "deleted": deleted,
        "rows_deleted": sum(item["rows"] for item in deleted),
        "files_deleted": case.pending_file_deletions.filter(deleted_at__isnull=False).count(),
        "account_row_deleted": bool(run and run.account_row_deleted),
        "steps": steps,
        "audit_chain_head": AuditEvent.chain_head(case),
        "issued_at": _iso(clock.now()),
    }


def action_label(action: str) -> Any:
    """Return the translated label of an audit action, or an unknown action's code as words."""
    label = ACTION_LABELS.get(action)
    if label is not None:
        return label
    return capfirst(action.replace("_", " "))


def notice_label(notice: str) -> Any:
    """Return the translated name of a notice template, or a key's step code as words."""
    label = NOTICE_LABELS.get(notice)
    if label is not None:
        return label
    code = notice.split("@", 1)[0]
    return NOTICE_LABELS.get(code) or code.replace("_", " ").replace("-", " ")


def step_label(step: dict[str, Any]) -> Any:
    """Return the timeline label of a certificate step, naming the notice of notice events."""
    label = action_label(step["action"])
    if not step.get("notice"):
        return label
    return format_lazy(_("{action}: {notice}"), action=label, notice=notice_label(step["notice"]))


def deleted_data_label(source: str, model_label: str) -> Any:
    """Return the translated label of a row of "What was deleted": the model's plural name.

    A model no longer installed shows its source name instead.
    """
    try:
        name: Any = capfirst(apps.get_model(model_label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        name = source.removeprefix(ACCOUNT_SOURCE_PREFIX)
    if source.startswith(ACCOUNT_SOURCE_PREFIX):
        return format_lazy(_("{data}, deleted with the account record"), data=name)
    return name


def serialise(content: dict[str, Any]) -> bytes:
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False).encode()


def storage_names(case: OffboardingCase) -> tuple[str, str]:
    base = f"offboarding/certificates/{case.public_id}/deletion-certificate"
    return f"{base}.json", f"{base}.pdf"


def render_pdf(
    case: OffboardingCase, content: dict[str, Any], language: str, time_zone: str
) -> bytes:
    from offboarding.invoices.pdf import html_to_pdf

    return html_to_pdf(render_html(case, content, language, time_zone))


def render_html(
    case: OffboardingCase, content: dict[str, Any], language: str, time_zone: str
) -> str:
    """Render the certificate's HTML in ``language``, with times shown in ``time_zone``."""
    from datetime import datetime

    from offboarding.invoices.pdf import render_html as render_document

    dates = {
        key: datetime.fromisoformat(content[key]) if content.get(key) else None
        for key in ("access_ended_at", "purge_started_at", "purged_at", "issued_at")
    }
    window = {
        key: datetime.fromisoformat(value) if value else None
        for key, value in content["retention_window"].items()
    }
    steps = [
        {"label": step_label(step), "at": datetime.fromisoformat(step["at"])}
        for step in content["steps"]
    ]
    deleted = [
        {"label": deleted_data_label(item["source"], item["model"]), "rows": item["rows"]}
        for item in content["deleted"]
    ]
    context = {
        "certificate": content,
        "deleted": deleted,
        "dates": dates,
        "window": window,
        "steps": steps,
        "case": case,
    }
    return render_document(
        "offboarding/certificate/deletion_certificate.html",
        context,
        language=language or "en",
        time_zone=time_zone or "UTC",
    )


def write_files(
    case: OffboardingCase, content: dict[str, Any], language: str, time_zone: str
) -> tuple[str, str]:
    """Write the JSON and PDF files under fixed names, replacing earlier copies."""
    storage = storages[app_settings.STORAGE_ALIAS]
    json_name, pdf_name = storage_names(case)
    pdf = render_pdf(case, content, language, time_zone)
    for name, data in ((json_name, serialise(content)), (pdf_name, pdf)):
        storage.delete(name)
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            raise RuntimeError(f"Storage saved the certificate as {saved!r}, not {name!r}.")
    return json_name, pdf_name


def certificate_time_zone(case: OffboardingCase) -> str:
    """Return the name of the zone the certificate shows times in, "" for the default (UTC).

    The purge run copies the account's zone when the purge starts. A run without one (the
    account was gone by then) falls back to the zone copied to the case's notice profile.
    """
    from offboarding.models import CaseNoticeProfile

    run = getattr(case, "purge_run", None)
    if run is not None and run.timezone:
        return str(run.timezone)
    zone = CaseNoticeProfile.objects.filter(case=case).values_list("time_zone", flat=True)
    return zone.first() or ""


def issue_certificate(case: OffboardingCase) -> Any:
    """Create the case's certificate once, or rewrite its files from the stored content."""
    from offboarding.models import DeletionCertificate

    case.refresh_from_db()
    run = getattr(case, "purge_run", None)
    language = run.language if run else ""
    time_zone = certificate_time_zone(case)

    certificate = DeletionCertificate.objects.filter(case=case).first()
    if certificate is None:
        content = build_content(case)
        with transaction.atomic():
            certificate, created = DeletionCertificate.objects.get_or_create(
                case=case,
                defaults={
                    "issued_at": clock.now(),
                    "data": content,
                    "sha256": hashlib.sha256(serialise(content)).hexdigest(),
                },
            )
            if created:
                case.record(
                    "deletion_certificate_issued",
                    actor=Actor.system(),
                    data={"sha256": certificate.sha256},
                )
    else:
        DeletionCertificate.objects.filter(pk=certificate.pk).update(
            times_issued=certificate.times_issued + 1
        )

    json_name, pdf_name = write_files(case, certificate.data, language, time_zone)
    DeletionCertificate.objects.filter(pk=certificate.pk).update(
        json_name=json_name, pdf_name=pdf_name
    )
    certificate.refresh_from_db()
    logger.info("Deletion certificate of case %s written", case.public_id)
    return certificate


def send_certificate(case: OffboardingCase, certificate: Any) -> None:
    """Queue the certificate email, once per case, to the contacts copied before the purge."""
    from offboarding.notices.api import queue_notice

    queue_notice(
        case,
        NOTICE_KEY,
        "deletion_certificate",
        {"certificate": certificate.data},
        attachments=[
            ("deletion-certificate.pdf", certificate.pdf_name, "application/pdf"),
            ("deletion-certificate.json", certificate.json_name, "application/json"),
        ],
    )
