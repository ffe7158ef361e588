"""Access that the demo product revokes at the boundary, beyond the app's built-in revokers."""

from __future__ import annotations

from typing import Any

from config.api.models import ApiKey
from offboarding.revocation.base import Revoked, Revoker


class ApiKeyRevoker(Revoker):
    """Revokes every active API key of the organisation; a second run revokes none."""

    name = "demo_api_keys"

    def revoke(self, case: Any, account: Any) -> Revoked:
        count = ApiKey.objects.revoke_for_organisation(account)
        return Revoked(count=count, detail={"api_keys": count})
