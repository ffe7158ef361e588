"""Product access of an account, decided by the clock and the account's latest case.

Access ends at the boundary itself, not when the boundary job runs, so a request one
second after the boundary is refused even if no worker has moved the case on yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from offboarding import clock


def latest_case(account_key: str) -> Any | None:
    """Return the account's most recently requested case, or None."""
    from offboarding.models import OffboardingCase

    return (
        OffboardingCase.objects.for_account(account_key).order_by("-requested_at", "-pk").first()
    )


def account_has_product_access(account_key: str, at: datetime | None = None) -> bool:
    """Return whether the account's members may use the product at ``at`` (the clock's now).

    An account without a case has access. With a case, access holds until its boundary
    for scheduled, ended and purged cases, never in the data vault, and again after a
    reactivation, a withdrawal or a save.
    """
    case = latest_case(account_key)
    if case is None:
        return True
    return case.has_product_access(at or clock.now())


def user_is_account_owner(user: Any, account: Any) -> bool:
    """Return whether ``user`` is the owner who keeps the narrow portal login."""
    from offboarding.adapter import get_adapter

    owner = get_adapter().get_owner(account)
    return owner is not None and getattr(owner, "pk", None) == getattr(user, "pk", None)


def user_access(request: Any, user: Any) -> tuple[Any | None, bool]:
    """Return (the account ``user`` acts for, whether that account has product access)."""
    from offboarding.adapter import get_adapter

    adapter = get_adapter()
    account = adapter.get_account_for_user(request, user)
    if account is None:
        return None, True
    return account, account_has_product_access(adapter.get_account_key(account))


def user_is_read_only(request: Any, user: Any) -> bool:
    """Return whether ``user`` may only read the product: access ended and data is in the vault.

    The middleware lets the owner of such an account read every page and rejects writes.
    A vaulted account keeps full access until the boundary of its paid period.
    """
    from offboarding.adapter import get_adapter

    account, has_access = user_access(request, user)
    return account is not None and not has_access and get_adapter().is_read_only(account)


def user_can_reach_product(request: Any, user: Any) -> bool:
    """Return whether the product's pages open for ``user`` rather than redirecting away.

    An anonymous user reaches the product's login. A signed-in user reaches it while the
    account has product access, or read-only while the account's data is in the vault.
    """
    if user is None or not user.is_authenticated:
        return True
    account, has_access = user_access(request, user)
    if has_access:
        return True
    from offboarding.adapter import get_adapter

    return account is not None and get_adapter().is_read_only(account)
