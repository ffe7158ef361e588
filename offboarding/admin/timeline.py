"""Read-only sections of a case's change page: its audit trail, steps and records.

Each section is one query, so the change page runs a constant number of queries however
long a case's history is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from offboarding.formatting import format_amount
from offboarding.models import AuditEvent, CaseStep, DataExport, OffboardingCase
from offboarding.models.invoices import FinalInvoice
from offboarding.models.notices import OutboxMessage
from offboarding.models.portal import OfferEvent, SurveyReason, SurveyResponse
from offboarding.models.retention import DeletionCertificate, PurgeProgress, RevocationRecord


@dataclass
class Section:
    """A titled table of rows; ``empty`` is shown when there are none."""

    key: str
    title: Any
    headers: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    empty: Any = _("Nothing recorded yet.")
    note: Any = ""


SectionBuilder = Callable[[OffboardingCase], Section]


def _actor(kind: str, user_id: str) -> str:
    return f"{kind} {user_id}".strip()


def _json(value: Any) -> str:
    """Return stored JSON as compact JSON text, or "" for an empty value."""
    if not value:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def audit_trail(case: OffboardingCase) -> Section:
    events = list(
        AuditEvent.objects.filter(case_id=case.pk)
        .order_by("sequence")
        .values_list(
            "sequence",
            "occurred_at",
            "action",
            "from_state",
            "to_state",
            "actor_kind",
            "actor_id",
            "reason",
            "data",
        )
    )
    built = Section(
        "audit",
        _("Audit trail"),
        [
            _("#"),
            _("occurred"),
            _("action"),
            _("from"),
            _("to"),
            _("actor"),
            _("reason"),
            _("data"),
        ],
    )
    for sequence, occurred, action, source, target, kind, user_id, reason, data in events:
        built.rows.append(
            [
                sequence,
                occurred,
                action,
                source,
                target,
                _actor(kind, user_id),
                reason,
                _json(data),
            ]
        )
    return built


def steps(case: OffboardingCase) -> Section:
    rows = (
        CaseStep.objects.filter(case_id=case.pk)
        .order_by("pk")
        .values_list(
            "moment",
            "handler",
            "status",
            "attempts",
            "next_attempt_at",
            "finished_at",
            "last_error",
        )
    )
    return Section(
        "steps",
        _("Steps"),
        [
            _("moment"),
            _("handler"),
            _("status"),
            _("attempts"),
            _("next attempt"),
            _("finished"),
            _("last error"),
        ],
        rows=[list(row) for row in rows],
    )


def revocations(case: OffboardingCase) -> Section:
    rows = RevocationRecord.objects.filter(case_id=case.pk).order_by("revoked_at", "pk")
    return Section(
        "revocations",
        _("Access revocations"),
        [_("revoker"), _("items revoked"), _("revoked"), _("runs")],
        rows=[list(row) for row in rows.values_list("revoker", "count", "revoked_at", "runs")],
    )


def purge_progress(case: OffboardingCase) -> Section:
    rows = PurgeProgress.objects.filter(case_id=case.pk).order_by("position")
    return Section(
        "purge",
        _("Purge progress"),
        [_("data source"), _("model"), _("rows deleted"), _("batches"), _("done")],
        rows=[
            list(row)
            for row in rows.values_list("source", "model_label", "deleted", "batches", "done")
        ],
    )


def deletion_certificate(case: OffboardingCase) -> Section:
    rows = DeletionCertificate.objects.filter(case_id=case.pk).values_list(
        "issued_at", "times_issued", "sha256"
    )
    return Section(
        "certificate",
        _("Deletion certificate"),
        [_("issued"), _("times issued"), _("SHA-256 of the JSON document")],
        rows=[list(row) for row in rows],
        empty=_("No deletion certificate issued."),
    )


def survey_answer(case: OffboardingCase) -> Section:
    reason_labels = SurveyReason.objects.filter(code=OuterRef("reason_code")).values("label")[:1]
    rows = (
        SurveyResponse.objects.filter(case_id=case.pk)
        .annotate(reason_label=Subquery(reason_labels))
        .values_list(
            "answered_at", "skipped", "reason_code", "reason_label", "nps", "comment", "answers"
        )
    )
    built = Section(
        "survey",
        _("Exit survey"),
        [
            _("answered"),
            _("skipped"),
            _("reason"),
            _("NPS answer"),
            _("comment"),
            _("other answers"),
        ],
        empty=_("No survey answer."),
    )
    for answered, skipped, code, label, nps, comment, answers in rows:
        reason = f"{label} ({code})" if label else code
        built.rows.append([answered, skipped, reason, nps, comment, _json(answers)])
    return built


def offer_events(case: OffboardingCase) -> Section:
    rows = (
        OfferEvent.objects.filter(case_id=case.pk)
        .order_by("at", "pk")
        .values_list("at", "kind", "action", "detail")
    )
    return Section(
        "offers",
        _("Save offers"),
        [_("at"), _("offer"), _("action"), _("detail")],
        rows=[[at, kind, action, _json(detail)] for at, kind, action, detail in rows],
        empty=_("No offer shown."),
    )


def notices(case: OffboardingCase) -> Section:
    rows = (
        OutboxMessage.objects.filter(case_id=case.pk)
        .order_by("due_at", "pk")
        .values_list(
            "key",
            "template",
            "status",
            "due_at",
            "sent_at",
            "attempts",
            "last_error",
            "cancel_reason",
        )
    )
    return Section(
        "notices",
        _("Notices"),
        [
            _("key"),
            _("template"),
            _("status"),
            _("due"),
            _("sent"),
            _("attempts"),
            _("last error"),
            _("why it was cancelled"),
        ],
        rows=[list(row) for row in rows],
        empty=_("No notice queued."),
    )


def exports(case: OffboardingCase) -> Section:
    rows = (
        DataExport.objects.filter(account_key=case.account_key)
        .order_by("requested_at", "pk")
        .values_list(
            "requested_at",
            "formats",
            "status",
            "requested_by_kind",
            "ready_at",
            "first_downloaded_at",
            "expires_at",
            "failure_reason",
        )
    )
    return Section(
        "exports",
        _("Data exports"),
        [
            _("requested"),
            _("formats"),
            _("status"),
            _("requested by"),
            _("ready"),
            _("first downloaded"),
            _("archive deleted on"),
            _("failure reason"),
        ],
        rows=[[*row[:1], ", ".join(row[1] or []), *row[2:]] for row in rows],
        empty=_("No export requested."),
        note=_("Every export of the account, including those from before this case."),
    )


def final_invoice(case: OffboardingCase) -> Section:
    rows = FinalInvoice.objects.filter(case_id=case.pk).values_list(
        "number",
        "issued_at",
        "currency",
        "gross_total",
        "paid_total",
        "refunded_total",
        "balance_due",
    )
    return Section(
        "invoice",
        _("Final invoice"),
        [
            _("invoice number"),
            _("issued"),
            _("currency"),
            _("total"),
            _("payments applied"),
            _("refunds"),
            _("balance"),
        ],
        rows=[
            [number, issued, currency, *(format_amount(amount, currency) for amount in amounts)]
            for number, issued, currency, *amounts in rows
        ],
        empty=_("No final invoice issued."),
    )


# The change page shows the sections in this order, roughly the order of a case's life.
SECTIONS: list[SectionBuilder] = [
    audit_trail,
    steps,
    survey_answer,
    offer_events,
    notices,
    exports,
    revocations,
    final_invoice,
    purge_progress,
    deletion_certificate,
]


def build_sections(case: OffboardingCase) -> list[Section]:
    return [builder(case) for builder in SECTIONS]
