"""One purge chunk as a single PostgreSQL statement.

The statement selects the chunk's keys with the source's own keyset query and deletes
the leaf children's rows and the chunk's rows in data-modifying common table
expressions. It can also add the deleted rows to the progress rows. It returns the
number of keys, the last key, the rows deleted per member and the stored file names.

The keys stay on the server. Fetching them and binding them back as arrays, one query
per table, took most of the purge process's CPU time: in benchmarks/purge.py at 200,000
rows, this statement cut that time from about 0.2 s to 0.06 s.

Table and column names in the SQL come from model metadata and are quoted, and every
value is a parameter. All sub-statements see one snapshot. Foreign key checks run after
the whole statement, or at commit for Django's deferred constraints, when the children
are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models


def column_of(model: type[models.Model], field_name: str) -> str:
    """Return the database column of a concrete field of ``model``."""
    model_field = model._meta.get_field(field_name)
    if not isinstance(model_field, models.Field) or model_field.column is None:
        raise FieldDoesNotExist(f"{model._meta.label}.{field_name} is not a concrete field.")
    return model_field.column


@dataclass
class ChunkMember:
    """One table the chunk deletes from: rows whose ``column`` is one of the chunk's keys."""

    table: str
    column: str
    file_columns: tuple[str, ...] = ()
    progress_id: int | None = None


@dataclass
class ChunkOutcome:
    keys: int
    last_key: Any
    # Rows deleted per member, in the members' order.
    deleted: list[int]
    # Per member, per file column: the non-empty file names of the deleted rows.
    file_names: list[list[list[str]]]


def build_chunk_sql(
    using: str,
    keys_sql: str,
    keys_params: list[Any],
    members: list[ChunkMember],
    progress_model: type[models.Model] | None,
) -> tuple[str, list[Any]]:
    """Return the statement and parameters that delete one chunk.

    ``keys_sql`` selects the chunk's keys (one column). With ``progress_model``, each
    member with a ``progress_id`` that lost rows has them and one batch added to its
    progress row.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    params = list(keys_params)
    parts = [f"chunk(chunk_key) AS ({keys_sql})"]
    # ORDER BY, not max(), because PostgreSQL has no max() for every key type (uuid).
    selected = [
        "(SELECT count(*) FROM chunk)",
        "(SELECT chunk_key FROM chunk ORDER BY chunk_key DESC LIMIT 1)",
    ]
    keys = "ARRAY(SELECT chunk_key FROM chunk)"

    for index, member in enumerate(members):
        returned = ", ".join(
            f"{quote(column)} AS file_{number}"
            for number, column in enumerate(member.file_columns)
        )
        parts.append(
            f"member_{index} AS (DELETE FROM {quote(member.table)} "  # noqa: S608
            f"WHERE {quote(member.column)} = ANY({keys}) RETURNING {returned or '1'})"
        )
        selected.append(f"(SELECT count(*) FROM member_{index})")  # noqa: S608
        for number in range(len(member.file_columns)):
            selected.append(
                f"(SELECT coalesce(array_agg(file_{number}), '{{}}') FROM member_{index} "  # noqa: S608
                f"WHERE file_{number} <> '')"
            )

    counted = [
        (index, member.progress_id)
        for index, member in enumerate(members)
        if member.progress_id is not None
    ]
    if progress_model is not None and counted:
        # A typed key, because VALUES cannot infer it from a server-side bound parameter.
        key_type = progress_model._meta.pk.rel_db_type(connection)
        rows = ", ".join(
            f"(%s::{key_type}, (SELECT count(*) FROM member_{index}))"  # noqa: S608
            for index, _ in counted
        )
        params.extend(progress_id for _, progress_id in counted)
        parts.append(progress_update(quote, progress_model, rows))

    sql = f"WITH {', '.join(parts)} SELECT {', '.join(selected)}"  # noqa: S608
    return sql, params


def progress_update(quote: Any, progress_model: type[models.Model], rows: str) -> str:
    """Return the CTE that adds ``rows`` (``(progress id, deleted rows)`` pairs) to progress."""
    meta = progress_model._meta
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    deleted = quote(column_of(progress_model, "deleted"))
    batches = quote(column_of(progress_model, "batches"))
    added = (
        f"{deleted} = {table}.{deleted} + counted.deleted_rows, {batches} = {table}.{batches} + 1"
    )
    return (
        f"progress AS (UPDATE {table} SET {added} "  # noqa: S608
        f"FROM (VALUES {rows}) AS counted(progress_id, deleted_rows) "
        f"WHERE {table}.{pk} = counted.progress_id AND counted.deleted_rows > 0)"
    )


def run_chunk(
    using: str,
    keys_sql: str,
    keys_params: list[Any],
    members: list[ChunkMember],
    progress_model: type[models.Model] | None,
) -> ChunkOutcome:
    """Delete one chunk with one statement in the current transaction; return its outcome."""
    sql, params = build_chunk_sql(using, keys_sql, keys_params, members, progress_model)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = list(cursor.fetchone())

    outcome = ChunkOutcome(keys=row[0], last_key=row[1], deleted=[], file_names=[])
    position = 2
    for member in members:
        outcome.deleted.append(row[position])
        position += 1
        names = []
        for _ in member.file_columns:
            names.append(list(row[position]))
            position += 1
        outcome.file_names.append(names)
    return outcome


def add_progress(
    using: str, progress_model: type[models.Model], counted: list[tuple[Any, int]]
) -> None:
    """Add rows and one batch to progress rows, given as (progress id, rows) pairs.

    The statement locks the progress rows in primary key order before it updates them.
    Chunks of one source on several connections update the same progress rows, and one
    order for everyone means they wait for each other instead of deadlocking.
    """
    counted = [(progress_id, rows) for progress_id, rows in counted if rows]
    if not counted:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = progress_model._meta
    table = quote(meta.db_table)
    pk = quote(column_of(progress_model, meta.pk.name))
    key_type = meta.pk.rel_db_type(connection)
    deleted = quote(column_of(progress_model, "deleted"))
    batches = quote(column_of(progress_model, "batches"))
    rows = ", ".join(f"(%s::{key_type}, %s::bigint)" for _ in counted)
    params: list[Any] = [[progress_id for progress_id, _ in counted]]
    params.extend(value for pair in counted for value in pair)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS (SELECT {pk} FROM {table} WHERE {pk} = ANY(%s) "  # noqa: S608
            f"ORDER BY {pk} FOR UPDATE) "
            f"UPDATE {table} SET {deleted} = {table}.{deleted} + counted.deleted_rows, "
            f"{batches} = {table}.{batches} + 1 "
            f"FROM (VALUES {rows}) AS counted(progress_id, deleted_rows) "
            f"WHERE {table}.{pk} = counted.progress_id "
            f"AND {table}.{pk} IN (SELECT {pk} FROM locked)",
            params,
        )
