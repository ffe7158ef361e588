"""Reading a data source's rows: ``COPY`` to CSV on PostgreSQL, chunked ORM reads elsewhere.

Rows are always in primary key order, so two exports of unchanged data are identical.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from offboarding.conf import app_settings
from offboarding.exports import formats
from offboarding.registry import DataSource

if TYPE_CHECKING:
    import psycopg

# Bytes of COPY output collected before they are handed on; batches of this size keep
# the per-row overhead out of hashing and compression.
COPY_BATCH_BYTES = 256 * 1024
# Batches the COPY reader thread may hold ahead of the writer: memory stays below
# COPY_QUEUE_BATCHES * COPY_BATCH_BYTES.
COPY_QUEUE_BATCHES = 8


def columns_of(source: DataSource) -> list[formats.Column]:
    return [
        formats.Column(lookup, name, formats.field_kind(source.field_for(lookup)))
        for lookup, name in source.fields.items()
    ]


def database_alias(source: DataSource) -> str:
    return router.db_for_read(source.model) or "default"


def uses_copy(source: DataSource) -> bool:
    """Return whether CSV rows of ``source`` can come from PostgreSQL's COPY."""
    return connections[database_alias(source)].vendor == "postgresql"


def iter_rows(
    source: DataSource, account_key: str, columns: list[formats.Column]
) -> Iterator[tuple]:
    """Yield the account's rows of ``source`` as tuples of Python values, by primary key.

    ``iterator()`` uses a server-side cursor on PostgreSQL, so memory stays flat.
    """
    queryset = source.queryset(account_key).values_list(*(column.lookup for column in columns))
    yield from queryset.iterator(chunk_size=app_settings.EXPORT_CHUNK_SIZE)


# Code points of the formula characters, for ascii(), which returns a text's first code point.
_FORMULA_CODE_POINTS = ", ".join(str(ord(char)) for char in sorted(formats.FORMULA_PREFIXES))


def _neutralised_sql(expression: str) -> str:
    # Same rule as formats.is_formula_like: a formula character first, and not a plain
    # number. ascii() reads the first character without copying the text, so most cells
    # cost one integer comparison and only formula-like ones reach the regular expression.
    return (
        f"CASE WHEN ascii({expression}) IN ({_FORMULA_CODE_POINTS}) "
        f"AND {expression} !~ '^[+-]?[0-9]+(\\.[0-9]+)?$' "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def _rendered_sql(kind: str, column: str, *, iso_date_style: bool) -> str:
    """Return SQL that renders ``column`` as formats.render_text does in Python.

    Integers, decimals and, in ISO date style, dates are left to COPY's own text
    output, which already has the export's form.
    """
    # NOTE: time, duration and float columns keep PostgreSQL's text form here
    # ("12:00:00.5", "1 day 02:03:04.5", "100"), which differs from render_text
    # ("12:00:00.500000", "P1DT02H03M04.500000S", "100.0"), so their CSV cells differ
    # between PostgreSQL and other databases.
    if kind in formats.NUMERIC_KINDS:
        return column
    if kind == formats.BOOLEAN:
        # The cast gives "true" and "false", while COPY on its own writes "t" and "f".
        return f"{column}::text"
    if kind == formats.DATETIME:
        return _datetime_sql(column, iso_date_style)
    if kind == formats.DATE:
        return column if iso_date_style else f"to_char({column}, 'YYYY-MM-DD')"
    if kind == formats.BINARY:
        return f"encode({column}, 'hex')"
    if kind in formats.NEUTRALISED_KINDS:
        return _neutralised_sql(f"{column}::text")
    return f"{column}::text"


def _datetime_sql(column: str, iso_date_style: bool) -> str:
    # Django stores a DateTimeField as timestamptz on PostgreSQL. With USE_TZ the export
    # shows UTC, else the naive time in the session's time zone, as the ORM reads it.
    value = f"({column} AT TIME ZONE 'UTC')" if settings.USE_TZ else f"{column}::timestamp"
    if iso_date_style:
        # In ISO date style a timestamp without time zone prints as "2024-03-05
        # 12:00:00.5", with no offset and no trailing zeros, so only the separator
        # changes. In a COPY of 480,000 values to /dev/null (PostgreSQL 15, 2 cores) this
        # added about half the time of rewriting the timestamptz text, a quarter of to_char().
        rendered = f"replace({value}::text, ' ', 'T')"
    else:
        fraction = f"rtrim(to_char({value}, '.US'), '.0')"
        rendered = f"to_char({value}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction}"
    return rendered + " || 'Z'" if settings.USE_TZ else rendered


def session_uses_iso_dates(connection: BaseDatabaseWrapper) -> bool:
    """Return whether the PostgreSQL session prints dates and times in ISO style.

    The server reports every change of DateStyle to the client, so psycopg has the
    current value without a query.
    """
    connection.ensure_connection()
    date_style = connection.connection.info.parameter_status("DateStyle") or ""
    return date_style.upper().startswith("ISO")


def csv_copy_sql(
    source: DataSource,
    account_key: str,
    columns: list[formats.Column],
    *,
    iso_date_style: bool = False,
) -> tuple[str, list[Any]]:
    """Return the ``COPY (SELECT ...) TO STDOUT`` statement and parameters for CSV rows.

    The ORM builds the inner query, so account paths and lookups through relations
    work as in :func:`iter_rows`. The outer query renders each column by its kind.
    The inner query sorts by primary key, and PostgreSQL uses that order for the outer
    ORDER BY instead of sorting again. Rendering thus runs on rows as they stream out,
    after a sort of the plain values, instead of on every row before a sort of wider text.
    """
    lookups = ["pk", *(column.lookup for column in columns)]
    inner = source.queryset(account_key).order_by("pk").values_list(*lookups)
    inner_sql, params = inner.query.sql_with_params()
    aliases = [f"c{index}" for index in range(len(lookups))]
    rendered = ", ".join(
        _rendered_sql(column.kind, alias, iso_date_style=iso_date_style)
        for column, alias in zip(columns, aliases[1:], strict=True)
    )
    # Only the ORM's own SQL and generated aliases are interpolated; values stay parameters.
    statement = (
        f"COPY (SELECT {rendered} FROM ({inner_sql}) AS export_rows({', '.join(aliases)}) "  # noqa: S608
        f"ORDER BY c0) TO STDOUT WITH (FORMAT csv)"
    )
    return statement, list(params)


def copy_csv_batches(
    source: DataSource, account_key: str, columns: list[formats.Column]
) -> Iterator[tuple[bytearray, int]]:
    """Yield (CSV bytes, row count) batches of ``source`` (no header) from PostgreSQL's COPY.

    A reader thread drains COPY into a bounded queue while the caller hashes and
    compresses, so reading the socket and compressing overlap (zlib and hashlib release
    the GIL on large buffers).
    """
    connection = connections[database_alias(source)]
    statement, params = csv_copy_sql(
        source, account_key, columns, iso_date_style=session_uses_iso_dates(connection)
    )
    with connection.cursor() as django_cursor:
        raw_cursor = django_cursor.cursor
        batches: queue.Queue = queue.Queue(maxsize=COPY_QUEUE_BATCHES)
        stop = threading.Event()

        def read() -> None:
            try:
                read_copy(raw_cursor, statement, params, batches.put, stop)
                batches.put(None)
            except _ReadStopped:
                pass
            except BaseException as error:  # Handed to the consuming thread, which re-raises.
                batches.put(error)

        reader = threading.Thread(target=read, name="offboarding-export-copy", daemon=True)
        reader.start()
        try:
            while True:
                item = batches.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while reader.is_alive():
                # Drain so a reader blocked on a full queue can see the stop flag.
                with contextlib.suppress(queue.Empty):
                    batches.get(timeout=0.1)
            reader.join()


class _ReadStopped(Exception):
    """Ends a COPY early from inside psycopg's copy block, which then cancels the query."""


def read_copy(
    cursor: psycopg.Cursor,
    statement: str,
    params: list[Any],
    put: Callable[[tuple[bytearray, int]], object],
    stop: threading.Event,
) -> None:
    """Run ``COPY ... TO STDOUT`` and pass its output to ``put`` as (bytes, row count) batches.

    The server sends each row as one CopyData message, so the messages count the rows
    even when a quoted value spans several lines. Raises :class:`_ReadStopped` once
    ``stop`` is set. psycopg then cancels the query and drains the connection, which a
    plain return would leave in the middle of the COPY.
    """
    with cursor.copy(statement, params) as copy:
        buffer = bytearray()
        count = 0
        for data in copy:
            buffer += data
            count += 1
            if len(buffer) >= COPY_BATCH_BYTES:
                # The queue takes the buffer itself, so the bytes are not copied again.
                put((buffer, count))
                buffer = bytearray()
                count = 0
                if stop.is_set():
                    raise _ReadStopped()
    if buffer:
        put((buffer, count))
