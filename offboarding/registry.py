"""The data registry: which models hold an account's data, as export and purge see them.

A host project builds one :class:`DataRegistry` and names it in
``OFFBOARDING["DATA_REGISTRY"]`` (or returns it from ``adapter.get_data_registry()``)::

    registry = DataRegistry()
    registry.declare("shop.Order", name="orders", account_path="customer")
    registry.declare("shop.OrderLine", name="order_lines", account_path="order__customer",
                     exclude_fields=["internal_note"])
    registry.declare("shop.Receipt", name="receipts", account_path="order__customer",
                     file_fields=["pdf"])
    registry.exclude("shop.CartSnapshot", reason="a cache rebuilt from orders")

Each declared model becomes a :class:`DataSource`. Models are named by label and resolved
when first used, so the registry module can be imported before the app registry is ready.
The system check ``offboarding.W010`` lists every model related to the account that is
neither declared nor excluded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Q

# Source names become file names inside the archive.
SOURCE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

AccountPath = str | Callable[[str], "models.QuerySet | Q"]


@dataclass
class DataSource:
    """One declared model: how its rows reach the account and which fields are exported.

    ``account_path`` is an ORM lookup from this model to the account (``"organisation"``,
    ``"task__project__organisation"``, or ``"pk"`` for the account model itself), or a
    callable ``f(account_key)`` returning a queryset of this model or a ``Q`` on it.
    ``fields`` maps an ORM lookup (``"title"``, ``"user__email"``) to its export name.
    """

    name: str
    model_label: str
    account_path: AccountPath
    field_spec: Mapping[str, str] | Iterable[str] | None = None
    exclude_fields: tuple[str, ...] = ()
    file_fields: tuple[str, ...] = ()
    label: str = ""
    _fields: dict[str, str] | None = field(default=None, repr=False)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def fields(self) -> dict[str, str]:
        """ORM lookup -> export name, in export order."""
        if self._fields is None:
            self._fields = self._resolve_fields()
        return dict(self._fields)

    def _resolve_fields(self) -> dict[str, str]:
        spec = self.field_spec
        if spec is None:
            resolved = {}
            for model_field in self.model._meta.concrete_fields:
                if model_field.is_relation:
                    resolved[model_field.attname] = model_field.attname
                else:
                    resolved[model_field.name] = model_field.name
        elif isinstance(spec, Mapping):
            resolved = dict(spec)
        else:
            resolved = {lookup: lookup.replace("__", "_") for lookup in spec}
        return {
            lookup: name for lookup, name in resolved.items() if lookup not in self.exclude_fields
        }

    def queryset(self, account_key: str) -> models.QuerySet:
        """Return this source's rows of the account, ordered by primary key."""
        manager = self.model._default_manager
        if callable(self.account_path):
            selected = self.account_path(account_key)
            queryset = manager.filter(selected) if isinstance(selected, Q) else selected
        else:
            queryset = manager.filter(**{self.account_path: account_key})
        return queryset.order_by("pk")

    def field_for(self, lookup: str) -> Any:
        """Return the model field a lookup ends on; a relation ends on its target field."""
        return resolve_lookup(self.model, lookup)[-1]

    def parent_models(self) -> set[type[models.Model]]:
        """Models this source's model points at through a foreign key or one-to-one field."""
        return {
            model_field.related_model
            for model_field in self.model._meta.concrete_fields
            if model_field.is_relation and model_field.related_model is not None
        }


def resolve_lookup(model: type[models.Model], lookup: str) -> list[Any]:
    """Return the fields a ``__``-separated lookup walks; raise FieldDoesNotExist if invalid.

    A lookup that ends on a foreign key ends on the field it points at, because
    ``values_list()`` returns the key, not the object.
    """
    walked: list[Any] = []
    current: Any = model
    parts = lookup.split("__")
    for index, part in enumerate(parts):
        model_field = current._meta.pk if part == "pk" else current._meta.get_field(part)
        walked.append(model_field)
        is_last = index == len(parts) - 1
        if model_field.is_relation:
            if model_field.many_to_many or model_field.one_to_many:
                raise FieldDoesNotExist(
                    f"{lookup!r} crosses the to-many relation {part!r}; export fields must "
                    "have one value per row."
                )
            current = model_field.related_model
            if is_last:
                walked.append(model_field.target_field)
        elif not is_last:
            raise FieldDoesNotExist(f"{lookup!r}: {part!r} is not a relation.")
    return walked


class DataRegistry:
    """The declared data sources of an account, and the models explicitly left out."""

    def __init__(self) -> None:
        self._sources: list[DataSource] = []
        self._excluded: dict[str, str] = {}

    def declare(
        self,
        model: str,
        *,
        name: str,
        account_path: AccountPath,
        fields: Mapping[str, str] | Iterable[str] | None = None,
        exclude_fields: Iterable[str] = (),
        file_fields: Iterable[str] = (),
        label: str = "",
    ) -> DataSource:
        """Declare ``model`` (``"app_label.ModelName"``) as holding account data; return its source."""
        if not SOURCE_NAME_RE.match(name):
            raise ImproperlyConfigured(
                f"Data source name {name!r} is invalid: use lowercase letters, digits, '_' "
                "and '-', at most 63 characters, because it becomes a file name."
            )
        if any(source.name == name for source in self._sources):
            raise ImproperlyConfigured(f"Data source name {name!r} is declared twice.")
        label_lower = model.lower()
        if any(source.model_label.lower() == label_lower for source in self._sources):
            raise ImproperlyConfigured(f"Model {model!r} is declared twice.")
        if label_lower in self._excluded:
            raise ImproperlyConfigured(f"Model {model!r} is both declared and excluded.")
        if fields is not None and not isinstance(fields, Mapping):
            fields = list(fields)
        source = DataSource(
            name=name,
            model_label=model,
            account_path=account_path,
            field_spec=fields,
            exclude_fields=tuple(exclude_fields),
            file_fields=tuple(file_fields),
            label=label,
        )
        self._sources.append(source)
        return source

    def exclude(self, model: str, *, reason: str) -> None:
        """Leave ``model`` out of export and purge on purpose; ``reason`` is for readers."""
        label_lower = model.lower()
        if any(source.model_label.lower() == label_lower for source in self._sources):
            raise ImproperlyConfigured(f"Model {model!r} is both declared and excluded.")
        if not reason.strip():
            raise ImproperlyConfigured(f"Excluding {model!r} needs a reason.")
        self._excluded[label_lower] = reason

    def sources(self) -> list[DataSource]:
        """Return the declared sources in declaration order."""
        return list(self._sources)

    def get(self, name: str) -> DataSource:
        for source in self._sources:
            if source.name == name:
                return source
        raise KeyError(f"No data source named {name!r}.")

    def excluded_labels(self) -> dict[str, str]:
        """Lowercased model label -> reason, for every excluded model."""
        return dict(self._excluded)

    def is_declared(self, model: type[models.Model]) -> bool:
        return model._meta.label_lower in {s.model_label.lower() for s in self._sources}

    def is_excluded(self, model: type[models.Model]) -> bool:
        return model._meta.label_lower in self._excluded

    def purge_order(self) -> list[DataSource]:
        """Return the sources with children before parents, so deletes never orphan a row.

        A topological order over the foreign keys among declared models; ties keep the
        declaration order. Self-references are ignored (a tree is deleted in one source).
        Raises ImproperlyConfigured when the foreign keys form a cycle.
        """
        remaining = self.sources()
        by_model = {source.model: source for source in remaining}
        # children_left[parent] = declared sources that point at it and are not placed yet.
        children_left: dict[str, set[str]] = {source.name: set() for source in remaining}
        for source in remaining:
            for parent in source.parent_models():
                parent_source = by_model.get(parent)
                if parent_source is not None and parent_source is not source:
                    children_left[parent_source.name].add(source.name)

        ordered: list[DataSource] = []
        while remaining:
            ready = next((s for s in remaining if not children_left[s.name]), None)
            if ready is None:
                names = ", ".join(source.name for source in remaining)
                raise ImproperlyConfigured(
                    f"The foreign keys among the data sources {names} form a cycle; exclude "
                    "one model or declare the cycle's rows through a callable account path."
                )
            ordered.append(ready)
            remaining.remove(ready)
            for children in children_left.values():
                children.discard(ready.name)
        return ordered


def get_registry() -> DataRegistry:
    """Return the registry the adapter declares."""
    from offboarding.adapter import get_adapter

    registry = get_adapter().get_data_registry()
    if not isinstance(registry, DataRegistry):
        raise ImproperlyConfigured(
            f"The adapter's data registry is a {type(registry).__name__}, not a DataRegistry."
        )
    return registry
