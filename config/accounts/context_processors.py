from __future__ import annotations

from django.http import HttpRequest

from config.accounts.current import get_current_membership
from config.accounts.models import Membership
from offboarding.access import user_is_read_only


def organisation(request: HttpRequest) -> dict:
    """Put the acting membership, the user's other memberships and ``read_only`` into templates."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request, "membership", None) or get_current_membership(request, user)
    return {
        "current_membership": current,
        "all_memberships": Membership.objects.for_user(user),
        "read_only": user_is_read_only(request, user),
    }
