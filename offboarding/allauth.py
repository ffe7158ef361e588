"""django-allauth adapters that refuse logins to accounts without product access.

Set ``ACCOUNT_ADAPTER = "offboarding.allauth.OffboardingAccountAdapter"`` and
``SOCIALACCOUNT_ADAPTER = "offboarding.allauth.OffboardingSocialAccountAdapter"``, or mix
the checks into your own adapters by calling :func:`login_refusal`. The owner of an
ended account may still log in, by password or single sign-on, because the portal stays
open to them until the purge; every other member is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from offboarding.access import user_access, user_is_account_owner
from offboarding.middleware import access_ended_context

logger = logging.getLogger(__name__)

REFUSAL_TEMPLATE = "offboarding/access_ended.html"


def login_refusal(request: HttpRequest, user: Any) -> HttpResponse | None:
    """Return a 403 response when ``user`` may not log in, else None."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    account, has_access = user_access(request, user)
    if has_access or user_is_account_owner(user, account):
        return None
    logger.warning("Login of user %s rejected: the account has no product access", user.pk)
    context = access_ended_context(user, account)
    return TemplateResponse(request, REFUSAL_TEMPLATE, context, status=403)


class OffboardingAccountAdapter(DefaultAccountAdapter):
    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        refusal = login_refusal(request, user)
        if refusal is not None:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return refusal
        return super().pre_login(request, user, **kwargs)


class OffboardingSocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        # A social account already connected to a user: refuse before allauth logs in,
        # so no session is created and no token is stored.
        if sociallogin.is_existing:
            refusal = login_refusal(request, sociallogin.user)
            if refusal is not None:
                raise ImmediateHttpResponse(refusal)
        super().pre_social_login(request, sociallogin)
