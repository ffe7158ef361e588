"""Template tag that checks whether a case's account has a team, for portal pages and notices."""

from __future__ import annotations

from typing import Any

from django import template

from offboarding.adapter import get_adapter

register = template.Library()


@register.simple_tag
def offboarding_has_team(case: Any) -> bool:
    """Return whether the case's account has more than one member, per ``get_members``.

    Texts about ending access name the team only when there is one, so an account that
    is a single user reads "your access". An account that no longer exists has no team.
    """
    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    if account is None:
        return False
    return adapter.get_members(account)[:2].count() > 1
