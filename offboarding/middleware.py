"""Middleware that keeps users of an account without product access out of the product.

Install it after ``AuthenticationMiddleware`` (and after allauth's ``AccountMiddleware``).
For a signed-in user whose account has no product access, every view outside
``OFFBOARDING["NO_ACCESS_ALLOWED_URLS"]`` is answered with a redirect: the owner goes to
the offboarding portal, which stays open for export, invoice and reactivation until
the purge; any other member is signed out and sent to the login page.

An owner whose account the adapter reports read-only (``is_read_only``: the data vault)
may still read every page (GET, HEAD, OPTIONS). Any other request outside the allowed
URLs gets a 403 page that explains the data vault and links to the portal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from offboarding.access import latest_case, user_access, user_is_account_owner
from offboarding.adapter import get_adapter
from offboarding.conf import app_settings

logger = logging.getLogger(__name__)

# Methods that only read, so a read-only account may send them to any page.
READ_METHODS = ("GET", "HEAD", "OPTIONS")

READ_ONLY_TEMPLATE = "offboarding/read_only.html"

MEMBER_ACCESS_ENDED = _(
    "Your organisation's subscription has ended, so you can no longer sign in to the product."
)


def portal_url(account: Any) -> str:
    """Return the URL of the portal status page of the account's latest case."""
    case = latest_case(get_adapter().get_account_key(account))
    try:
        if case is not None:
            return reverse("offboarding:status", args=[case.public_id])
        return reverse("offboarding:portal")
    except NoReverseMatch:
        return resolve_url(settings.LOGIN_URL)


def url_is_allowed(request: HttpRequest) -> bool:
    """Return whether the resolved view may be opened by a user without product access."""
    static_url = getattr(settings, "STATIC_URL", None) or ""
    if static_url and request.path.startswith("/" + static_url.lstrip("/")):
        return True
    match = getattr(request, "resolver_match", None)
    if match is None:
        return True
    user = getattr(request, "user", None)
    if getattr(user, "is_staff", False) and "admin" in match.namespaces:
        return True
    for allowed in app_settings.NO_ACCESS_ALLOWED_URLS:
        if allowed.endswith(":*") and allowed[:-2] in match.namespaces:
            return True
        if allowed == match.view_name:
            return True
    return False


def end_member_session(request: HttpRequest) -> HttpResponse:
    """Sign out a member of an account without product access and send them to log in."""
    user_id = getattr(request.user, "pk", None)
    logout(request)
    messages.error(request, MEMBER_ACCESS_ENDED, fail_silently=True)
    logger.info("Signed out user %s: the account has no product access", user_id)
    return redirect(resolve_url(settings.LOGIN_URL))


def access_ended_context(user: Any, account: Any) -> dict[str, Any]:
    """Return the links of the "access ended" page: sign-in, and the portal for the owner."""
    context: dict[str, Any] = {"login_url": resolve_url(settings.LOGIN_URL)}
    if account is not None and user_is_account_owner(user, account):
        context["status_url"] = portal_url(account)
    return context


def reject_write(request: HttpRequest, account: Any) -> HttpResponse:
    """Return a 403 page for a write to a read-only account, with a link to the portal."""
    logger.warning(
        "Rejected %s by user %s: the account is read-only", request.method, request.user.pk
    )
    context = {"status_url": portal_url(account)}
    return render(request, READ_ONLY_TEMPLATE, context, status=403)


class ProductAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None

        account, has_access = user_access(request, user)
        if has_access:
            return None
        if user_is_account_owner(user, account):
            if url_is_allowed(request):
                return None
            if account is not None and get_adapter().is_read_only(account):
                return None if request.method in READ_METHODS else reject_write(request, account)
            return redirect(portal_url(account))
        return end_member_session(request)
