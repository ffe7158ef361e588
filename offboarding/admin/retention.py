"""Admin for revocation, purge and certificates: read-only records, certificate downloads.

Records change only through the revocation and purge steps. Staff with the view
permission on certificates can download the JSON and PDF files. "Issue again" rewrites
the same certificate's files from its stored content, so no second certificate exists.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from offboarding.admin.times import ZonedTimesMixin
from offboarding.conf import app_settings
from offboarding.models import (
    DeletionCertificate,
    PurgeProgress,
    RevocationRecord,
    Tombstone,
)
from offboarding.purge.certificate import issue_certificate

logger = logging.getLogger(__name__)


class ReadOnlyAdmin(ZonedTimesMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RevocationRecord)
class RevocationRecordAdmin(ReadOnlyAdmin):
    list_display = ["case", "revoker", "count", "runs", "revoked_at"]
    list_filter = ["revoker"]
    search_fields = ["case__public_id"]
    list_select_related = ["case"]


@admin.register(PurgeProgress)
class PurgeProgressAdmin(ReadOnlyAdmin):
    list_display = ["case", "source", "model_label", "deleted", "batches", "done", "updated_at"]
    list_filter = ["done"]
    search_fields = ["case__public_id", "source"]
    list_select_related = ["case"]


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnlyAdmin):
    list_display = [
        "case_public_id",
        "purge_started_at",
        "purged_at",
        "account_row_deleted",
        "reapplied_at",
    ]
    search_fields = ["case_public_id", "account_key_hash"]


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(ReadOnlyAdmin):
    list_display = ["case", "issued_at", "times_issued", "downloads"]
    search_fields = ["case__public_id", "sha256"]
    list_select_related = ["case"]
    readonly_fields = ["case", "issued_at", "sha256", "times_issued", "downloads", "data"]
    actions = ["issue_again"]

    @admin.display(description=_("files"))
    def downloads(self, certificate: DeletionCertificate) -> str:
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">JSON</a>',
            reverse(
                "admin:offboarding_deletioncertificate_download", args=[certificate.pk, "pdf"]
            ),
            reverse(
                "admin:offboarding_deletioncertificate_download", args=[certificate.pk, "json"]
            ),
        )

    def get_urls(self) -> list:
        urls = super().get_urls()
        download = self.admin_site.admin_view(self.download_view)
        return [
            path(
                "<int:pk>/download/<str:kind>/",
                download,
                name="offboarding_deletioncertificate_download",
            ),
            *urls,
        ]

    def download_view(self, request: HttpRequest, pk: int, kind: str) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        certificate = DeletionCertificate.objects.filter(pk=pk).select_related("case").first()
        if certificate is None or kind not in ("pdf", "json"):
            raise Http404(_("No such certificate file."))
        name = certificate.pdf_name if kind == "pdf" else certificate.json_name
        storage = storages[app_settings.STORAGE_ALIAS]
        if not name or not storage.exists(name):
            raise Http404(_("The certificate file is missing; use “Issue again” to rewrite it."))
        logger.info(
            "Staff user %s downloaded the %s certificate of case %s",
            request.user.pk,
            kind,
            certificate.case.public_id,
        )
        return FileResponse(
            storage.open(name, "rb"),
            as_attachment=True,
            filename=f"deletion-certificate-{certificate.case.public_id}.{kind}",
            content_type="application/pdf" if kind == "pdf" else "application/json",
        )

    @admin.action(description=_("Issue again (same certificate, files rewritten)"))
    def issue_again(self, request: HttpRequest, queryset: Any) -> HttpResponseRedirect | None:
        if not request.user.has_perm("offboarding.act_on_offboardingcase"):
            raise PermissionDenied
        for certificate in queryset.select_related("case"):
            issue_certificate(certificate.case)
        messages.success(request, _("The certificates were written again."))
        return None
