"""The organisation a signed-in user acts for in a request.

A user with one membership acts for that organisation. A user with several picks one
with the switcher, which stores its id in the session. Without a choice, the oldest
membership wins.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from config.accounts.models import Membership, Organisation

logger = logging.getLogger(__name__)

SESSION_KEY = "demo_organisation_id"


def get_current_membership(request: HttpRequest | None, user) -> Membership | None:
    """Return the membership ``user`` acts through, or None for a user without any."""
    if not getattr(user, "is_authenticated", False):
        return None
    memberships = Membership.objects.for_user(user)
    session = getattr(request, "session", None) or {}
    chosen_id = session.get(SESSION_KEY)
    if chosen_id is not None:
        chosen = memberships.filter(organisation_id=chosen_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def get_current_organisation(request: HttpRequest | None, user) -> Organisation | None:
    membership = get_current_membership(request, user)
    return membership.organisation if membership is not None else None


def switch_organisation(request: HttpRequest, organisation_id: int) -> Membership:
    """Make the user act for ``organisation_id``, or raise PermissionDenied for a non-member."""
    membership = (
        Membership.objects.for_user(request.user).filter(organisation_id=organisation_id).first()
    )
    if membership is None:
        logger.warning(
            "User %s rejected switching to organisation %s: not a member",
            request.user.pk,
            organisation_id,
        )
        raise PermissionDenied(_("You are not a member of this organisation."))
    request.session[SESSION_KEY] = membership.organisation_id
    return membership


def membership_required(view=None, *, manage: bool = False):
    """Require a signed-in member; with ``manage``, an owner or admin.

    Sets ``request.membership`` and ``request.organisation`` for the view.
    """

    def decorator(view_func):
        @login_required
        @wraps(view_func)
        def wrapper(request: HttpRequest, *args, **kwargs):
            membership = get_current_membership(request, request.user)
            if membership is None:
                raise PermissionDenied(_("Your user is not a member of any organisation."))
            if manage and not membership.can_manage:
                raise PermissionDenied(_("Only owners and admins may open this page."))
            request.membership = membership
            request.organisation = membership.organisation
            # Dates on the page show in the organisation's time zone. Storage stays in UTC.
            timezone.activate(membership.organisation.zoneinfo)
            try:
                return view_func(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapper

    if view is not None:
        return decorator(view)
    return decorator
