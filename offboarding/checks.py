"""System checks: each misconfiguration gets a stable id and a hint that says how to fix it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from offboarding.conf import app_settings


def _import_error(path: str, setting: str, check_id: str, expected: type | None) -> list[Error]:
    try:
        imported = import_string(path)
    except ImportError as error:
        return [
            Error(
                f'OFFBOARDING["{setting}"] = {path!r} cannot be imported: {error}.',
                hint="Give the dotted path of a class, e.g. 'myproject.offboarding.MyAdapter'.",
                id=check_id,
            )
        ]
    if expected is not None and not (
        isinstance(imported, type) and issubclass(imported, expected)
    ):
        return [
            Error(
                f'OFFBOARDING["{setting}"] = {path!r} is not a subclass of {expected.__qualname__}.',
                hint=f"Subclass {expected.__module__}.{expected.__qualname__}.",
                id=check_id,
            )
        ]
    return []


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from offboarding.adapter import DefaultOffboardingAdapter
    from offboarding.billing.base import BillingBackend

    messages: list[Any] = []
    if not isinstance(getattr(settings, "OFFBOARDING", {}), dict):
        return [
            Error(
                "settings.OFFBOARDING must be a dict.",
                hint='Write OFFBOARDING = {"RETENTION_DAYS": 30, ...}.',
                id="offboarding.E000",
            )
        ]

    label = app_settings.account_model_label
    try:
        apps.get_model(label)
    except (LookupError, ValueError):
        messages.append(
            Error(
                f'OFFBOARDING["ACCOUNT_MODEL"] = {label!r} is not an installed model.',
                hint="Use 'app_label.ModelName' of an installed app, or leave it unset for users.",
                id="offboarding.E001",
            )
        )

    messages += _import_error(
        app_settings.ADAPTER, "ADAPTER", "offboarding.E002", DefaultOffboardingAdapter
    )
    messages += _import_error(
        app_settings.BILLING_BACKEND, "BILLING_BACKEND", "offboarding.E003", BillingBackend
    )

    if app_settings.CLOCK not in ("system", "database"):
        messages.append(
            Error(
                f'OFFBOARDING["CLOCK"] = {app_settings.CLOCK!r} is not a known clock.',
                hint='Use "system" in production or "database" for a demo or test clock.',
                id="offboarding.E004",
            )
        )
    elif app_settings.CLOCK == "database" and not settings.DEBUG:
        messages.append(
            Warning(
                'OFFBOARDING["CLOCK"] is "database" while DEBUG is off: anyone who can move the '
                "clock can end access and purge data early.",
                hint='Use "system" in production.',
                id="offboarding.W002",
            )
        )

    pause_days = app_settings.PAUSE_DAYS
    if not isinstance(pause_days, list | tuple) or not all(
        isinstance(day, int) and not isinstance(day, bool) and 0 < day <= 366 for day in pause_days
    ):
        messages.append(
            Error(
                f'OFFBOARDING["PAUSE_DAYS"] = {pause_days!r} must be a list of whole days (1-366).',
                hint="For example [30, 60, 90]; an empty list offers no pause.",
                id="offboarding.E005",
            )
        )

    retention = app_settings.RETENTION_DAYS
    by_plan = app_settings.RETENTION_DAYS_BY_PLAN
    values = [retention, *by_plan.values()] if isinstance(by_plan, dict) else [None]
    if not all(
        isinstance(days, int) and not isinstance(days, bool) and days >= 0 for days in values
    ):
        messages.append(
            Error(
                "OFFBOARDING retention days must be whole numbers of days, 0 or more: "
                f"RETENTION_DAYS={retention!r}, RETENTION_DAYS_BY_PLAN={by_plan!r}.",
                hint='For example RETENTION_DAYS = 30 and RETENTION_DAYS_BY_PLAN = {"pro": 60}.',
                id="offboarding.E006",
            )
        )

    alias = app_settings.STORAGE_ALIAS
    if alias not in getattr(settings, "STORAGES", {}):
        messages.append(
            Error(
                f'OFFBOARDING["STORAGE_ALIAS"] = {alias!r} is not a key of settings.STORAGES.',
                hint=f"Add STORAGES[{alias!r}] or name an existing alias.",
                id="offboarding.E007",
            )
        )

    messages += _check_purge_settings()
    messages += _check_step_handlers()

    unknown = app_settings.unknown_keys()
    if unknown:
        messages.append(
            Warning(
                f"OFFBOARDING has unknown keys: {', '.join(unknown)}.",
                hint="Check their spelling against the settings reference; unknown keys are ignored.",
                id="offboarding.W001",
            )
        )
    return messages


def _is_whole_number(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _check_purge_settings() -> list[Error]:
    """Check the purge's batch size, transaction target and connection count."""
    messages = []
    batch_size = app_settings.PURGE_BATCH_SIZE
    connections = app_settings.PURGE_CONNECTIONS
    if not _is_whole_number(batch_size, 1) or not _is_whole_number(connections, 1):
        messages.append(
            Error(
                "OFFBOARDING purge sizes must be whole numbers, 1 or more: "
                f"PURGE_BATCH_SIZE={batch_size!r}, PURGE_CONNECTIONS={connections!r}.",
                hint="For example PURGE_BATCH_SIZE = 5000 and PURGE_CONNECTIONS = 2.",
                id="offboarding.E009",
            )
        )
    target = app_settings.PURGE_TRANSACTION_TARGET
    seconds = target.total_seconds() if isinstance(target, timedelta) else target
    # "not seconds > 0" also rejects NaN, which compares false with every number.
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0
    ):
        messages.append(
            Error(
                f'OFFBOARDING["PURGE_TRANSACTION_TARGET"] = {target!r} is invalid: expected a duration.',
                hint="Use a timedelta or seconds above 0, or None for fixed PURGE_BATCH_SIZE rows.",
                id="offboarding.E010",
            )
        )
    return messages


def _check_step_handlers() -> list[Error]:
    from offboarding.steps import MOMENTS

    handlers = app_settings.STEP_HANDLERS
    if not isinstance(handlers, dict):
        return [
            Error(
                'OFFBOARDING["STEP_HANDLERS"] must be a dict of moment -> list of paths.',
                hint='For example {"boundary_reached": ["myapp.hooks.notify_crm"]}.',
                id="offboarding.E008",
            )
        ]
    errors = []
    for moment, paths in handlers.items():
        if moment not in MOMENTS:
            errors.append(
                Error(
                    f'OFFBOARDING["STEP_HANDLERS"] names an unknown moment {moment!r}.',
                    hint=f"Use one of: {', '.join(MOMENTS)}.",
                    id="offboarding.E008",
                )
            )
            continue
        for path in paths:
            try:
                handler = import_string(path)
            except ImportError as error:
                errors.append(
                    Error(
                        f"Step handler {path!r} for {moment!r} cannot be imported: {error}.",
                        hint="Give the dotted path of a function handler(case, step).",
                        id="offboarding.E008",
                    )
                )
                continue
            if not callable(handler):
                errors.append(
                    Error(
                        f"Step handler {path!r} is not callable.",
                        hint="Point at a function handler(case, step).",
                        id="offboarding.E008",
                    )
                )
    return errors
