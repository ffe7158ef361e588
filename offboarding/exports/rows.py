"""Reading a data source's rows: ``COPY`` to CSV on PostgreSQL, chunked ORM reads elsewhere.

Rows are always in primary key order, so two exports of unchanged data are identical.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connections, router

from offboarding.conf import app_settings
from offboarding.exports import formats
from offboarding.registry import DataSource

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


def _neutralised_sql(expression: str) -> str:
    # Same rule as formats.is_formula_like: a formula character first, and not a plain number.
    return (
        f"CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"AND {expression} !~ '^[+-]?[0-9]+(\\.[0-9]+)?$' "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def _rendered_sql(kind: str, column: str, *, iso_utc_session: bool) -> str:
    """Return SQL that renders ``column`` as formats.render_text does in Python.

    With the session in UTC and ISO date style, a timestamp's own text output
    (``2024-03-05 12:00:00.5+00``) only needs its separator and offset rewritten. That
    took about half the time of ``to_char()`` on PostgreSQL 15, which renders it otherwise.
    """
    if kind in formats.NUMERIC_KINDS:
        return column
    if kind == formats.BOOLEAN:
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if kind == formats.DATETIME:
        return _datetime_sql(column, iso_utc_session)
    if kind == formats.DATE:
        return f"{column}::text" if iso_utc_session else f"to_char({column}, 'YYYY-MM-DD')"
    if kind == formats.BINARY:
        return f"encode({column}, 'hex')"
    if kind in formats.NEUTRALISED_KINDS:
        return _neutralised_sql(f"{column}::text")
    return f"{column}::text"


def _datetime_sql(column: str, iso_utc_session: bool) -> str:
    if iso_utc_session:
        # The text has one space, between date and time, and ends in "+00" in UTC.
        if settings.USE_TZ:
            return f"replace(left({column}::text, -3), ' ', 'T') || 'Z'"
        return f"replace({column}::text, ' ', 'T')"
    fraction = "rtrim(to_char({value}, '.US'), '.0')"
    value = f"{column} AT TIME ZONE 'UTC'" if settings.USE_TZ else column
    rendered = f"to_char({value}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || " + fraction.format(value=value)
    return rendered + " || 'Z'" if settings.USE_TZ else rendered


def session_is_iso_utc(cursor: Any) -> bool:
    """Return whether the session prints timestamps in ISO style and in UTC."""
    cursor.execute("SELECT current_setting('DateStyle'), current_setting('TimeZone')")
    date_style, time_zone = cursor.fetchone()
    return date_style.upper().startswith("ISO") and time_zone.upper() in ("UTC", "ETC/UTC")


def csv_copy_sql(
    source: DataSource,
    account_key: str,
    columns: list[formats.Column],
    *,
    iso_utc_session: bool = False,
) -> tuple[str, list[Any]]:
    """Return the ``COPY (SELECT ...) TO STDOUT`` statement and parameters for CSV rows.

    The ORM builds the inner query, so account paths and lookups through relations
    work as in :func:`iter_rows`. The outer query renders each column by its kind and
    orders by primary key.
    """
    lookups = ["pk", *(column.lookup for column in columns)]
    inner = source.queryset(account_key).order_by().values_list(*lookups)
    inner_sql, params = inner.query.sql_with_params()
    aliases = [f"c{index}" for index in range(len(lookups))]
    rendered = ", ".join(
        _rendered_sql(column.kind, alias, iso_utc_session=iso_utc_session)
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
) -> Iterator[tuple[bytes, int]]:
    """Yield (CSV bytes, row count) batches of ``source`` (no header) from PostgreSQL's COPY.

    A reader thread drains COPY into a bounded queue while the caller hashes and
    compresses, so reading the socket and compressing overlap (zlib and hashlib release
    the GIL on large buffers).
    """
    connection = connections[database_alias(source)]
    with connection.cursor() as django_cursor:
        statement, params = csv_copy_sql(
            source, account_key, columns, iso_utc_session=session_is_iso_utc(django_cursor)
        )
        raw_cursor = django_cursor.cursor
        batches: queue.Queue = queue.Queue(maxsize=COPY_QUEUE_BATCHES)
        stop = threading.Event()

        def read() -> None:
            try:
                with raw_cursor.copy(statement, params) as copy:
                    buffer = bytearray()
                    count = 0
                    # The server sends each row as one CopyData message, so the messages
                    # count the rows even when a quoted value spans several lines.
                    for data in copy:
                        buffer += data
                        count += 1
                        if len(buffer) >= COPY_BATCH_BYTES:
                            batches.put((bytes(buffer), count))
                            buffer.clear()
                            count = 0
                            if stop.is_set():
                                return
                    if buffer:
                        batches.put((bytes(buffer), count))
                batches.put(None)
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
