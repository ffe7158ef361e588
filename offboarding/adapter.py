"""The adapter: the one class a host project subclasses to tell the app about its accounts.

The default adapter treats every user as an account, which makes a plain
``AUTH_USER_MODEL`` project work with no code. A B2B project points
``OFFBOARDING["ACCOUNT_MODEL"]`` at its organisation model and overrides the hooks
that depend on it (members, owner, contacts).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.utils.module_loading import import_string

from offboarding.conf import app_settings

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest

    from offboarding.billing.base import BillingBackend

# Jurisdiction profiles that pick the cancel-flow rules (see offboarding.jurisdictions).
JURISDICTION_DEFAULT = "default"


@dataclass(frozen=True)
class PartyDetails:
    """Name and postal details of a seller or buyer, as printed on an invoice."""

    name: str
    address_lines: list[str] = field(default_factory=list)
    country_code: str = ""
    vat_id: str = ""
    email: str = ""
    # The party's registration with a public register, such as a commercial register
    # number ("HRB 123456 B"). EN 16931 calls it the legal registration identifier, and
    # an invoice that may not carry the seller's VAT ID (category "O") needs it.
    legal_registration_id: str = ""


class DefaultOffboardingAdapter:
    """Hooks with defaults for a project whose users are its accounts."""

    # Accounts

    def get_account_model(self) -> type[models.Model]:
        return apps.get_model(app_settings.account_model_label)

    def get_account_for_user(self, request: HttpRequest, user: Any) -> models.Model | None:
        """Return the account ``user`` acts for in this request, or None."""
        if not getattr(user, "is_authenticated", False):
            return None
        return user

    def can_offboard(self, user: Any, account: models.Model) -> bool:
        """Return whether ``user`` may see and act on the offboarding of ``account``."""
        return bool(getattr(user, "is_authenticated", False)) and user.pk == account.pk

    def get_account_key(self, account: models.Model) -> str:
        return str(account.pk)

    def get_account(self, account_key: str) -> models.Model | None:
        model = self.get_account_model()
        try:
            return model._default_manager.get(pk=account_key)
        except (ObjectDoesNotExist, ValueError, TypeError):
            return None

    def get_account_label(self, account: models.Model) -> str:
        return str(account)

    def get_owner(self, account: models.Model) -> Any:
        """Return the user who owns ``account`` and keeps portal access until the purge."""
        return account

    def get_members(self, account: models.Model) -> models.QuerySet:
        """Return every user whose product access ends at the boundary."""
        user_model = apps.get_model(settings.AUTH_USER_MODEL)
        return user_model._default_manager.filter(pk=account.pk)

    def get_contact_emails(self, account: models.Model) -> list[str]:
        """Return the addresses that receive notices about the case."""
        email = getattr(self.get_owner(account), "email", "")
        return [email] if email else []

    def get_language(self, account: models.Model) -> str:
        return settings.LANGUAGE_CODE

    def get_timezone(self, account: models.Model) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(settings.TIME_ZONE or "UTC")

    def get_jurisdiction(self, account: models.Model) -> str:
        """Return the jurisdiction profile name whose cancel-flow rules apply."""
        return JURISDICTION_DEFAULT

    # Billing

    def get_billing_backend(self) -> BillingBackend:
        return _billing_backend_class(app_settings.BILLING_BACKEND)()

    def get_plan_retention_days(self, plan_code: str) -> int:
        by_plan = app_settings.RETENTION_DAYS_BY_PLAN
        return int(by_plan.get(plan_code, app_settings.RETENTION_DAYS))

    def get_retention_days(self, account: models.Model, plan_code: str) -> int:
        """Return the retention window in days for ``account``; override for per-account policies."""
        return self.get_plan_retention_days(plan_code)

    def get_contract_started_at(self, account: models.Model) -> datetime | None:
        """Return when the account's contract began, which starts the withdrawal period.

        The default reads the account's first subscription on the local ledger; a host
        that bills elsewhere overrides this, and None offers no withdrawal flow.
        """
        from offboarding.models import LedgerSubscription

        return (
            LedgerSubscription.objects.filter(account_key=self.get_account_key(account))
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )

    def is_consumer(self, account: models.Model) -> bool:
        """Return whether ``account`` buys as a consumer rather than as a business.

        Consumer law's rights, such as the EU 14-day withdrawal from a distance contract,
        are offered only to consumers. The default treats every account as a consumer, so a
        host that sells to businesses overrides this.
        """
        return True

    def get_seller_details(self) -> PartyDetails:
        return PartyDetails(name=getattr(settings, "OFFBOARDING_SELLER_NAME", "") or "Seller")

    def get_buyer_details(self, account: models.Model) -> PartyDetails:
        emails = self.get_contact_emails(account)
        return PartyDetails(
            name=self.get_account_label(account), email=emails[0] if emails else ""
        )

    # Data

    def get_data_registry(self) -> Any:
        """Return the DataRegistry that declares which models hold an account's data.

        Export and purge both read it. The default imports ``OFFBOARDING["DATA_REGISTRY"]``
        (a dotted path to a registry instance); unset, it returns an empty registry.
        """
        from offboarding.registry import DataRegistry

        path = app_settings.DATA_REGISTRY
        return import_string(path) if path else DataRegistry()

    # Lifecycle callbacks, called after the matching transition commits.

    def on_access_restored(self, account: models.Model) -> None:
        """Give product access back after a reactivation; revoked API keys stay revoked."""

    # Revocation and purge

    def revoke_sso_connection(self, account: models.Model) -> int:
        """Disable the account's own single sign-on connection at the boundary.

        Override when accounts configure their own identity provider (an organisation's
        SAML or OpenID Connect app); return how many connections were disabled. Must be
        idempotent. The default has none to disable and returns 0.
        """
        return 0

    def purge_account_row(self, account: models.Model) -> bool:
        """Return whether the purge deletes the account row itself, after its data.

        When the account model is the user model, the default deletes the user row, so
        the person's login, email and name go with their data. Staff users and superusers
        are kept, because deleting them could lock staff out of the admin. The purge then
        logs a warning and flags the case for staff. For any other account model
        the default deletes the row when the data registry declares that model (an
        organisation declared with ``account_path="pk"``) and keeps it otherwise.
        """
        from offboarding.registry import get_registry

        if is_user_account(account):
            return not is_staff_account(account)
        return get_registry().is_declared(type(account))

    def is_read_only(self, account: models.Model) -> bool:
        """Return whether the product should show ``account`` read-only (the data vault)."""
        from offboarding.models import OffboardingCase

        return (
            OffboardingCase.objects.vaulted_account_keys()
            .filter(account_key=self.get_account_key(account))
            .exists()
        )


def is_user_account(account: models.Model) -> bool:
    """Return whether ``account`` is a row of ``AUTH_USER_MODEL``."""
    return isinstance(account, apps.get_model(settings.AUTH_USER_MODEL))


def is_staff_account(account: models.Model) -> bool:
    """Return whether ``account`` is a user with staff or superuser rights."""
    return bool(getattr(account, "is_staff", False) or getattr(account, "is_superuser", False))


@lru_cache(maxsize=8)
def _adapter_class(path: str) -> type[DefaultOffboardingAdapter]:
    return import_string(path)


@lru_cache(maxsize=8)
def _billing_backend_class(path: str) -> type[BillingBackend]:
    return import_string(path)


def get_adapter() -> DefaultOffboardingAdapter:
    """Return an instance of the adapter named by ``OFFBOARDING["ADAPTER"]``."""
    return _adapter_class(app_settings.ADAPTER)()


def _reset_caches(*, setting: str, **kwargs: Any) -> None:
    if setting == "OFFBOARDING":
        _adapter_class.cache_clear()
        _billing_backend_class.cache_clear()


setting_changed.connect(_reset_caches)
