"""Revocation of Django REST framework's ``authtoken`` tokens of the account's members."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from offboarding.revocation.base import Revoked, Revoker


class ApiTokenRevoker(Revoker):
    name = "api_tokens"

    def revoke(self, case: Any, account: Any) -> Revoked:
        if not apps.is_installed("rest_framework.authtoken"):
            return Revoked(0, {"rest_framework.authtoken": "not installed"})

        from rest_framework.authtoken.models import Token

        deleted, _ = Token.objects.filter(user_id__in=self.member_ids(account)).delete()
        return Revoked(deleted, {"authtoken": deleted})
