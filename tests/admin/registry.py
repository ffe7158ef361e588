"""A data registry for the admin tests: users are accounts, and their ledger rows are data."""

from django.db.models import Q

from offboarding.registry import DataRegistry

registry = DataRegistry()
registry.declare(
    "offboarding.LedgerEntry",
    name="ledger-entries",
    account_path=lambda account_key: Q(subscription__account_key=account_key),
)
registry.declare(
    "offboarding.LedgerSubscription",
    name="subscriptions",
    account_path=lambda account_key: Q(account_key=account_key),
)
registry.declare(
    "auth.User", name="users", account_path="pk", fields=["username", "email", "date_joined"]
)
