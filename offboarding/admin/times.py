"""Date-times in the admin with their zone name, and the account's local time on a case.

Django's admin prints a date-time in the server's zone (``TIME_ZONE``) without naming
it, while the portal shows the account's zone, so staff comparing the two cannot tell
which zone a time is in. Every date-time column and read-only field of the app's admin
therefore names its zone, and the case page adds the account's local time.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from offboarding.formatting import format_datetime

# Suffixes of the generated attributes that replace a date-time field's name. The list
# column shows the server's zone only, and the read-only field adds the account's zone.
COLUMN_SUFFIX = "_zoned"
FIELD_SUFFIX = "_zoned_local"


def format_in_zone(value: datetime, zone: tzinfo) -> str:
    """Return ``value`` in ``zone`` in the active language's format, followed by the zone name."""
    return f"{date_format(timezone.localtime(value, zone), 'DATETIME_FORMAT')} {zone}"


def format_zoned(value: datetime | None, account_zone: tzinfo | None = None) -> str:
    """Return ``value`` in the server's zone and, if ``account_zone`` differs, in that zone too."""
    if value is None:
        return ""
    server_zone = timezone.get_current_timezone()
    server_time = format_in_zone(value, server_zone)
    if account_zone is None or str(account_zone) == str(server_zone):
        return server_time
    local = format_in_zone(value, account_zone)
    return gettext("%(server)s (account: %(local)s)") % {"server": server_time, "local": local}


def format_zoned_cell(value: datetime, account_zone: tzinfo | None = None) -> SafeString:
    """Return ``value`` for a narrow table cell: the server's time, then the account's below.

    Both lines name their zone by its abbreviation ("UTC", "CET"); the page names the zones
    in full once.
    """
    server_zone = timezone.get_current_timezone()
    server_time = format_html(
        '<span class="obd-time">{}</span>', format_datetime(value, server_zone)
    )
    if account_zone is None or str(account_zone) == str(server_zone):
        return server_time
    local = format_datetime(value, account_zone)
    return format_html('{}<span class="obd-time obd-muted">{}</span>', server_time, local)


def zone_named(name: str) -> tzinfo | None:
    """Return the ``ZoneInfo`` of the IANA zone ``name``, or None for a blank or unknown name."""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _datetime_fields(model: type[models.Model]) -> list[models.DateTimeField]:
    return [
        field for field in model._meta.concrete_fields if isinstance(field, models.DateTimeField)
    ]


class ZonedTimesMixin:
    """Show a model admin's date-time columns and read-only fields with their zone name.

    Editable date-time fields keep Django's widgets. Override :meth:`get_account_zone` to
    add an object's account zone to its read-only fields.
    """

    model: type[models.Model]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._zoned_names: dict[str, tuple[str, str]] = {}
        for field in _datetime_fields(self.model):
            column, local = field.name + COLUMN_SUFFIX, field.name + FIELD_SUFFIX
            setattr(self, column, self._display(field, with_account_zone=False))
            setattr(self, local, self._display(field, with_account_zone=True))
            self._zoned_names[field.name] = (column, local)

    def get_account_zone(self, obj: Any) -> tzinfo | None:
        """Return the zone of ``obj``'s account, or None to show the server's zone only."""
        return None

    def _display(self, field: models.DateTimeField, *, with_account_zone: bool) -> Callable:
        @admin.display(description=field.verbose_name, ordering=field.name)
        def display(obj: Any) -> str | None:
            value = getattr(obj, field.name)
            if value is None:
                # A read-only field would print None as "None"; list columns and fields
                # show the same mark as Django's own empty values.
                return self.get_empty_value_display()  # type: ignore[attr-defined]
            zone = self.get_account_zone(obj) if with_account_zone else None
            return format_zoned(value, zone)

        return display

    def _column(self, name: Any) -> Any:
        return self._zoned_names[name][0] if name in self._zoned_names else name

    def _field(self, name: Any) -> Any:
        return self._zoned_names[name][1] if name in self._zoned_names else name

    def get_list_display(self, request: HttpRequest) -> Any:
        return [self._column(name) for name in super().get_list_display(request)]  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = [self._field(name) for name in super().get_readonly_fields(request, obj)]  # type: ignore[misc]
        # Date-times that are read-only only for lack of the change permission are
        # excluded from the form by get_exclude, so they are listed here instead.
        extra = [
            self._field(name)
            for name in self._readonly_names(request, obj)
            if name in self._zoned_names and self._field(name) not in names
        ]
        return names + extra

    def _readonly_names(self, request: HttpRequest, obj: Any) -> set[str]:
        """Return the fields shown read-only: all of them on an object staff may not change."""
        names = set(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None and not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            names.update(self._zoned_names)
        return names

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # The form must not build a field for a read-only date-time whose zoned
        # replacement is shown instead, or an admin without ``fields`` shows it twice.
        excluded = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        readonly = self._readonly_names(request, obj)
        return excluded + [name for name in self._zoned_names if name in readonly]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = self._readonly_names(request, obj)

        def replaced(name: Any) -> Any:
            if isinstance(name, (list, tuple)):
                return type(name)(replaced(inner) for inner in name)
            return self._field(name) if name in readonly else name

        return [
            (title, {**options, "fields": [replaced(name) for name in options["fields"]]})
            for title, options in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]
