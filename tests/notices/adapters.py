"""An adapter for notice tests: users are accounts, each with its own language and time zone."""

from __future__ import annotations

import zoneinfo
from typing import Any

from offboarding.adapter import DefaultOffboardingAdapter


class ZonedUserAdapter(DefaultOffboardingAdapter):
    """Reads the account's time zone from ``last_name`` and its language from ``first_name``.

    Tests set them on the user; empty fields mean Europe/Berlin and English.
    """

    def get_timezone(self, account: Any) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(account.last_name or "Europe/Berlin")

    def get_language(self, account: Any) -> str:
        return account.first_name or "en"


class UsernameKeyAdapter(ZonedUserAdapter):
    """Names accounts by username instead of primary key, with its own account lookup."""

    def get_account_key(self, account: Any) -> str:
        return account.get_username()

    def get_account(self, account_key: str) -> Any:
        return self.get_account_model()._default_manager.filter(username=account_key).first()
