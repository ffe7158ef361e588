"""System checks of the data registry: every model related to the account is accounted for."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from offboarding.conf import app_settings
from offboarding.registry import DataRegistry, DataSource, get_registry, resolve_lookup

DECLARE_HINT = (
    'Declare it in the data registry (registry.declare("{label}", name=..., '
    'account_path="{account_path}")) so it is exported and purged, or leave it out on '
    'purpose with registry.exclude("{label}", reason="...").'
)

# Placeholder of the hint when no lookup to the account can be built, e.g. because the
# related source finds its rows with a function.
UNKNOWN_PATH = "..."


@register(Tags.models)
def check_data_registry(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        account_model = apps.get_model(app_settings.account_model_label)
    except (LookupError, ValueError):
        return []  # offboarding.E001 reports the account model.
    try:
        registry = get_registry()
    except (ImportError, ImproperlyConfigured) as error:
        return [
            Error(
                f"The data registry cannot be loaded: {error}",
                hint='Set OFFBOARDING["DATA_REGISTRY"] to the dotted path of a DataRegistry '
                'instance, e.g. "myproject.offboarding_data.registry".',
                id="offboarding.E010",
            )
        ]

    messages: list[Any] = []
    for source in registry.sources():
        messages += _source_errors(source, account_model)
    if messages:
        return messages
    if not registry.sources():
        return [
            Warning(
                "The data registry declares no models: exports contain no data and the purge "
                "deletes no rows.",
                hint='Set OFFBOARDING["DATA_REGISTRY"] to a DataRegistry that declares the '
                "models holding an account's data.",
                id="offboarding.W011",
            )
        ]
    return _undeclared_models(registry, account_model)


def _source_errors(source: DataSource, account_model: type[models.Model]) -> list[Error]:
    def error(message: str, hint: str) -> Error:
        return Error(f"Data source {source.name!r}: {message}", hint=hint, id="offboarding.E011")

    try:
        model = source.model
    except (LookupError, ValueError):
        return [
            error(
                f"{source.model_label!r} is not an installed model.",
                "Use 'app_label.ModelName' of an installed app.",
            )
        ]

    errors = []
    if not callable(source.account_path):
        reached = _model_reached(model, source.account_path)
        if reached is not account_model:
            errors.append(
                error(
                    f"account_path {source.account_path!r} does not lead from "
                    f"{model._meta.label} to the account model {account_model._meta.label}.",
                    'Give the lookup that ends on the account, e.g. "project__organisation", '
                    'or "pk" on the account model itself.',
                )
            )
    for lookup in source.fields:
        try:
            resolve_lookup(model, lookup)
        except FieldDoesNotExist as problem:
            errors.append(
                error(
                    f"field {lookup!r} is invalid: {problem}",
                    "Name a concrete field or a lookup through to-one relations.",
                )
            )
    for name in source.file_fields:
        try:
            file_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            file_field = None
        if not isinstance(file_field, models.FileField):
            errors.append(
                error(
                    f"file field {name!r} is not a FileField of {model._meta.label}.",
                    "List only FileField or ImageField names in file_fields.",
                )
            )
    return errors


def _model_reached(model: type[models.Model], path: str) -> type[models.Model] | None:
    """Return the model whose primary key ``path`` ends on, or None if it is invalid."""
    try:
        walked = resolve_lookup(model, path)
    except FieldDoesNotExist:
        return None
    last = walked[-1]
    return last.model if last.primary_key else None


def _undeclared_models(registry: DataRegistry, account_model: type[models.Model]) -> list[Warning]:
    targets = {account_model, *(source.model for source in registry.sources())}
    warnings = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label == "offboarding" or meta.proxy or meta.swapped:
            continue
        if model is account_model or registry.is_declared(model) or registry.is_excluded(model):
            continue
        related = sorted(
            (
                model_field
                for model_field in [*meta.concrete_fields, *meta.many_to_many]
                if model_field.is_relation and model_field.related_model in targets
            ),
            key=lambda model_field: model_field.name,
        )
        if related:
            names = ", ".join(model_field.name for model_field in related)
            account_path = _suggested_path(related, registry, account_model)
            warnings.append(
                Warning(
                    f"{meta.label} relates to the account's data through {names} "
                    "but is neither declared in the data registry nor excluded from it, so its "
                    "rows would be missing from exports and left behind by the purge.",
                    hint=DECLARE_HINT.format(label=meta.label, account_path=account_path),
                    obj=model,
                    id="offboarding.W010",
                )
            )
    return warnings


def _suggested_path(
    related: list[Any], registry: DataRegistry, account_model: type[models.Model]
) -> str:
    """Return the lookup from the model to the account through its first usable relation.

    A relation to the account model is the lookup itself. A relation to a declared model
    continues with that source's ``account_path``.
    """
    for model_field in related:
        if model_field.related_model is account_model:
            return model_field.name
    sources = {source.model: source for source in registry.sources()}
    for model_field in related:
        source = sources.get(model_field.related_model)
        if source is None or callable(source.account_path):
            continue
        if source.account_path == "pk":
            return model_field.name
        return f"{model_field.name}__{source.account_path}"
    return UNKNOWN_PATH


@register(Tags.compatibility)
def check_export_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from offboarding.exports.formats import FORMATS

    chosen = app_settings.EXPORT_FORMATS
    if not isinstance(chosen, list | tuple) or not chosen or not set(chosen) <= set(FORMATS):
        return [
            Error(
                f'OFFBOARDING["EXPORT_FORMATS"] = {chosen!r} must be a non-empty list of '
                f"{', '.join(FORMATS)}.",
                hint='For example ["csv", "json", "xlsx"].',
                id="offboarding.E012",
            )
        ]
    if "xlsx" in chosen:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            return [
                Error(
                    'OFFBOARDING["EXPORT_FORMATS"] offers "xlsx" but openpyxl is not installed.',
                    hint='Install django-offboarding[xlsx] (openpyxl), or remove "xlsx".',
                    id="offboarding.E013",
                )
            ]
    return []
