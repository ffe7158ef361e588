"""Recent re-authentication for sensitive portal steps, through django-allauth (65+).

allauth keeps a list of the authentications of the current session (password or code
sign-in, social sign-in, re-authentication, MFA), each with its wall-clock time. A step
counts as recently authenticated when the newest entry is younger than
``OFFBOARDING["REAUTHENTICATION_MAX_AGE"]`` seconds. A fresh sign-in through a social
provider therefore counts too, which is how accounts without a password prove themselves.

Without a recent entry, :func:`reauthentication_required` sends the user to allauth's
first re-authentication method for them (password, or a code sent to a verified email)
and back. A user who has neither, such as a social-only account without a verified
email, gets the portal's page that offers signing in again through their provider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from offboarding.conf import app_settings

logger = logging.getLogger(__name__)


def _authentication_records(request: HttpRequest) -> list[dict]:
    from allauth.account.internal.flows.login import get_authentication_records

    return get_authentication_records(request, request.user)


def has_recent_reauthentication(request: HttpRequest) -> bool:
    """Return whether the signed-in user authenticated within the configured max age."""
    if not getattr(request.user, "is_authenticated", False):
        return False
    times = [
        record["at"]
        for record in _authentication_records(request)
        if isinstance(record, dict) and isinstance(record.get("at"), int | float)
    ]
    if not times:
        return False
    # Wall-clock time on purpose: allauth stamps its records with time.time().
    return time.time() - max(times) < int(app_settings.REAUTHENTICATION_MAX_AGE)


def reauthentication_url(request: HttpRequest, next_url: str) -> str:
    """Return where the user re-authenticates before coming back to ``next_url``."""
    from allauth.account.adapter import get_adapter as get_account_adapter

    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    base = methods[0]["url"] if methods else reverse("offboarding:reauthenticate")
    return f"{base}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def reauthentication_redirect(request: HttpRequest) -> HttpResponse | None:
    """Return a redirect to re-authenticate and come back, or None after a recent one.

    For views that must first check that the user may see the object at all, so that
    others get their 404 before any re-authentication is asked.
    """
    if has_recent_reauthentication(request):
        return None
    logger.info("User %s sent to re-authenticate for %s", request.user.pk, request.path)
    return HttpResponseRedirect(reauthentication_url(request, request.path))


def reauthentication_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let ``view`` run only after a recent authentication; else re-authenticate and return.

    The user comes back to the GET page of the current URL, so a POST that needed
    re-authentication is asked again on that page rather than replayed.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return reauthentication_redirect(request) or view(request, *args, **kwargs)

    return wrapper


def social_login_options(request: HttpRequest, next_url: str) -> list[dict[str, str]]:
    """Return a sign-in URL per social provider the user has connected, for re-authentication."""
    try:
        from allauth.socialaccount.adapter import get_adapter as get_social_adapter
        from allauth.socialaccount.models import SocialAccount
    except ImportError:
        return []

    options = []
    adapter = get_social_adapter(request)
    for account in SocialAccount.objects.filter(user=request.user).order_by("provider", "pk"):
        try:
            provider = adapter.get_provider(request, account.provider)
        except Exception:  # A provider removed from the settings cannot sign anyone in.
            logger.warning("Social provider of social account %s is not configured", account.pk)
            continue
        url = provider.get_login_url(request, process="login", next=next_url)
        options.append({"name": str(provider.name), "url": url})
    return options
