"""Customer views of data exports: request one, follow its progress, download the archive."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.conf import app_settings
from offboarding.exports import archive, links, service
from offboarding.models import Actor, DataExport, ExportFormat, ExportStatus

logger = logging.getLogger(__name__)

# A worker normally takes a new export within seconds. An export still waiting after
# this long is shown as late to the customer and logged as a warning for staff.
EXPORT_EXPECTED_START = timedelta(minutes=5)

# Seconds the cache remembers that a late export was logged, so the warning is logged
# once per export. With a per-process cache (LocMemCache) each process logs it once.
LATE_WARNING_TIMEOUT = 24 * 60 * 60

# Waiting states of an export, as the export panel shows them.
QUEUED = "queued"
LATE = "late"


class ExportRequestForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one format.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ExportFormat.choices)
        cast(forms.MultipleChoiceField, self.fields["formats"]).choices = [
            (fmt, labels[fmt]) for fmt in service.allowed_formats()
        ]


def export_wait(export: DataExport) -> str:
    """Return ``QUEUED`` or ``LATE`` for an export that waits for a worker, else ``""``.

    An export waits while it is requested and no worker has taken it. A running export
    whose lease expired more than ``EXPORT_EXPECTED_START`` ago lost its worker and is
    late too. The first time a late export is seen, a warning is logged for staff.
    """
    if export.status == ExportStatus.RUNNING:
        lease_end = export.lease_expires_at
        if lease_end is None or timezone.now() - lease_end <= EXPORT_EXPECTED_START:
            return ""
    elif export.status != ExportStatus.REQUESTED:
        return ""
    elif clock.now() - export.requested_at <= EXPORT_EXPECTED_START:
        return QUEUED

    if cache.add(f"offboarding:late-export:{export.pk}", True, LATE_WARNING_TIMEOUT):
        logger.warning(
            "Export %s of account %s is %s and no worker has taken it for over %s. "
            "Check that a Celery worker and beat are running.",
            export.pk,
            export.account_key,
            export.status,
            EXPORT_EXPECTED_START,
        )
    return LATE


def _account_of(request: HttpRequest) -> tuple[Any, str]:
    """Return the account the user acts for and its key; 404 unless they may offboard it."""
    adapter = get_adapter()
    account = adapter.get_account_for_user(request, request.user)
    if account is None or not adapter.can_offboard(request.user, account):
        raise Http404
    return account, adapter.get_account_key(account)


def _entitled_export(request: HttpRequest, export: DataExport) -> bool:
    """Return whether the signed-in user may see and download ``export`` now."""
    adapter = get_adapter()
    account = adapter.get_account(export.account_key)
    return account is not None and adapter.can_offboard(request.user, account)


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    """Start an export of the user's account in the formats ticked on the panel."""
    account, account_key = _account_of(request)
    form = ExportRequestForm(request.POST)
    if not form.is_valid():
        logger.warning("Export request of user %s rejected: invalid formats", request.user.pk)
        messages.error(request, _("Choose at least one of the offered formats."))
        return redirect(_next_url(request, reverse("offboarding:portal")))
    try:
        export = service.request_export(
            account_key, form.cleaned_data["formats"], actor=Actor.customer(request.user)
        )
    except service.ExportRejected:
        logger.warning("Export request of account %s rejected", account_key)
        messages.error(request, _("Your data can no longer be exported."))
        return redirect(_next_url(request, reverse("offboarding:portal")))
    messages.success(request, _("Your export is queued. This page shows when it is ready."))
    return redirect(_next_url(request, reverse("offboarding:export-status", args=[export.token])))


@login_required
@require_GET
def export_status(request: HttpRequest, token: str) -> HttpResponse:
    """Render the export panel of the export's account as a portal page.

    Times show in the account's time zone, and the page links back to the case's status
    page, or to the portal for an export without a case.
    """
    export = DataExport.objects.select_related("case").filter(token=token).first()
    if export is None:
        raise Http404
    adapter = get_adapter()
    account = adapter.get_account(export.account_key)
    if account is None or not adapter.can_offboard(request.user, account):
        raise Http404

    case = export.case
    if case is not None:
        back_url = reverse("offboarding:status", args=[case.public_id])
    else:
        back_url = reverse("offboarding:portal")
    zone = adapter.get_timezone(account)
    context = {
        "case": case,
        "export_account_key": export.account_key,
        "portal": {"account": account, "tzinfo": zone},
        "back_url": back_url,
    }
    with timezone.override(zone):
        return render(request, "offboarding/portal/export_status.html", context)


@require_GET
def export_download(request: HttpRequest, signed: str) -> HttpResponseBase:
    """Serve the archive of a signed link after checking the user and a recent sign-in.

    A tampered or expired link, another account's link or an expired archive get a 404
    and change nothing.
    """
    claims = links.read_link(signed)
    if claims is None:
        logger.warning("Export download with an invalid or expired link")
        raise Http404
    export = (
        DataExport.objects.select_related("case")
        .filter(token=claims.export_token, account_key=claims.account_key)
        .first()
    )
    if (
        export is None
        or not export.is_ready
        or (export.expires_at is None or export.expires_at <= clock.now())
    ):
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _entitled_export(request, export):
        logger.warning(
            "Export %s: download by user %s rejected: no right to the account",
            export.pk,
            request.user.pk,
        )
        raise Http404

    from offboarding import reauth

    if not reauth.has_recent_reauthentication(request):
        return HttpResponseRedirect(reauth.reauthentication_url(request, request.get_full_path()))
    return _serve(request, export)


def _serve(request: HttpRequest, export: DataExport) -> HttpResponseBase:
    storage = archive.export_storage()
    if app_settings.EXPORT_DOWNLOAD_REDIRECT:
        response: HttpResponseBase = HttpResponseRedirect(storage.url(export.storage_name))
    else:
        try:
            handle = storage.open(export.storage_name, "rb")
        except FileNotFoundError:
            logger.warning("Export %s: archive missing from storage", export.pk)
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=export.download_filename,
            content_type="application/zip",
        )
    response["Cache-Control"] = "private, no-store"
    service.record_download(export, request.user)
    return response
