"""Step handlers of the export part."""

from __future__ import annotations

from typing import Any

from offboarding.steps import step_handler


@step_handler("retention_over", name="delete_export_archives")
def delete_export_archives(case: Any, step: Any) -> dict[str, int]:
    """Delete the account's export archives from storage when its data is purged."""
    from offboarding.exports import service

    return {"exports_deleted": service.delete_account_archives(case.account_key)}
