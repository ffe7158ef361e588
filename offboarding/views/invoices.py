"""Download of a final invoice's PDF by the account's owner."""

from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from offboarding.adapter import get_adapter
from offboarding.invoices import services
from offboarding.models import FinalInvoice

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """Send the PDF to a user who may offboard the invoice's account; 404 for anyone else,
    so the response does not reveal whether a token exists."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    invoice = FinalInvoice.objects.filter(token=token).first()
    if invoice is None:
        raise Http404("No such invoice.")
    adapter = get_adapter()
    account = adapter.get_account(invoice.account_key)
    if account is None or not adapter.can_offboard(request.user, account):
        logger.warning(
            "Download of final invoice %s rejected for user %s: not entitled to the account",
            invoice.pk,
            request.user.pk,
        )
        raise Http404("No such invoice.")

    document = services.ensure_document(invoice)
    handle = services.storage().open(document.storage_name, "rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=services.download_filename(invoice),
        content_type="application/pdf",
    )
