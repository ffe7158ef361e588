"""Fast inserts for generated demo rows: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Rows are tuples in the order of the field names given with them; fields are named by
their ``attname`` (``project_id``, not ``project``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

# Rows per bulk_create statement on databases without COPY.
BULK_BATCH_SIZE = 2000


class BulkWriter:
    """Insert rows with ``bulk_create``, which works on every database Django supports."""

    def insert(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]
    ) -> int:
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        return len(objects)

    def insert_returning_ids(
        self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]
    ) -> list[int]:
        """Insert ``rows`` and return their primary keys in row order."""
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        # SQLite 3.35+ and PostgreSQL return the new keys from bulk_create.
        model._default_manager.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        return [obj.pk for obj in objects]


class CopyWriter(BulkWriter):
    """Insert rows with PostgreSQL's ``COPY ... FROM STDIN`` through psycopg 3."""

    def insert(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]
    ) -> int:
        # COPY leaves unlisted columns NULL, so they get the model's defaults, as they
        # would from bulk_create. A callable default is evaluated once per insert() call.
        defaults = [
            (field.attname, field.get_default())
            for field in model._meta.concrete_fields
            if not field.primary_key and field.attname not in fields
        ]
        default_values = tuple(value for _name, value in defaults)
        statement = self._copy_statement(model, [*fields, *(name for name, _value in defaults)])
        count = 0
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row + default_values)
                count += 1
        return count

    def insert_returning_ids(
        self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]
    ) -> list[int]:
        # COPY returns no keys, so the keys are drawn from the table's sequence first and
        # written explicitly. Concurrent inserts draw other values from the same sequence.
        ids = self._reserve_ids(model, len(rows))
        self.insert(
            model, ["id", *fields], ((pk, *row) for pk, row in zip(ids, rows, strict=True))
        )
        return ids

    def _reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _copy_statement(self, model: type[models.Model], fields: Sequence[str]) -> str:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(self._column(model, name)) for name in fields)
        return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"

    @staticmethod
    def _column(model: type[models.Model], attname: str) -> str:
        if attname == "id":
            return model._meta.pk.column
        for field in model._meta.concrete_fields:
            if field.attname == attname:
                return field.column
        raise ValueError(f"{model._meta.label} has no field with attname {attname!r}.")


def get_writer() -> BulkWriter:
    """Return the fastest writer for the default database."""
    if connection.vendor == "postgresql":
        return CopyWriter()
    return BulkWriter()
