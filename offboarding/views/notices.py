"""One-click unsubscribe from optional notices (RFC 8058), without a login."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from offboarding.notices import unsubscribe as unsubscribing

logger = logging.getLogger(__name__)


# RFC 8058 mail clients POST without a session or CSRF token. The signed token is the
# proof instead, so this one view is exempt from CSRF.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation form (mail scanners follow links); only POST unsubscribes."""
    try:
        unsubscribing.read_token(token)
    except unsubscribing.InvalidToken:
        logger.warning("Rejected an invalid unsubscribe token")
        return render(request, "offboarding/notices/unsubscribe_invalid.html", status=400)

    if request.method == "GET":
        return render(request, "offboarding/notices/unsubscribe.html", {"token": token})

    _, created = unsubscribing.unsubscribe(token)
    return render(request, "offboarding/notices/unsubscribe_done.html", {"already": not created})
