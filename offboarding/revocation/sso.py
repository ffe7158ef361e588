"""Revocation of single sign-on: the members' django-allauth social tokens and the
account's own SSO connection (through the adapter).

Future SSO logins of members are rejected by
:class:`offboarding.allauth.OffboardingSocialAccountAdapter`, which checks product access
at each login, so a reactivation lets them in again without restoring anything here.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from offboarding.adapter import get_adapter
from offboarding.revocation.base import Revoked, Revoker


class SocialAccountRevoker(Revoker):
    name = "sso"

    def revoke(self, case: Any, account: Any) -> Revoked:
        connections = get_adapter().revoke_sso_connection(account)
        if not apps.is_installed("allauth.socialaccount"):
            return Revoked(connections, {"sso_connections": connections})

        from allauth.socialaccount.models import SocialAccount, SocialToken

        member_ids = self.member_ids(account)
        social_accounts = SocialAccount.objects.filter(user_id__in=member_ids)
        tokens, _ = SocialToken.objects.filter(account__in=social_accounts).delete()
        detail = {
            "sso_connections": connections,
            "social_tokens": tokens,
            "social_accounts_blocked": social_accounts.count(),
        }
        return Revoked(connections + tokens, detail)
