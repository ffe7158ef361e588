"""Adapters that change one retention hook of the demo adapter."""

from config.offboarding_adapter import DemoAdapter


class PerAccountRetentionAdapter(DemoAdapter):
    """Gives organisations whose slug starts with "northwind" a 90-day retention window."""

    def get_retention_days(self, account, plan_code):
        if account.slug.startswith("northwind"):
            return 90
        return super().get_retention_days(account, plan_code)
