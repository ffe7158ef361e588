"""The COPY reader on PostgreSQL: row counts, server errors and early stops."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from offboarding.exports import rows
from offboarding.registry import get_registry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def read_all(statement: str, params=None) -> tuple[bytes, int, int]:
    """Run ``statement`` through the reader and return its output, row and batch counts."""
    batches = []
    with connection.cursor() as cursor:
        rows.read_copy(cursor.cursor, statement, params or [], batches.append, threading.Event())
    return b"".join(data for data, _ in batches), sum(count for _, count in batches), len(batches)


def assert_connection_usable():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_reader_counts_rows_not_lines(monkeypatch):
    monkeypatch.setattr(rows, "COPY_BATCH_BYTES", 1000)
    data, count, batch_count = read_all(
        "COPY (SELECT g, 'line one' || chr(10) || 'line ' || g FROM generate_series(1, %s) g) "
        "TO STDOUT WITH (FORMAT csv)",
        [500],
    )
    assert count == 500
    assert data.count(b"\n") == 1000
    assert data.startswith(b'1,"line one\nline 1"\n')
    assert data.endswith(b'500,"line one\nline 500"\n')
    assert batch_count > 1


def test_reader_empty_result():
    assert read_all("COPY (SELECT 1 WHERE false) TO STDOUT WITH (FORMAT csv)") == (b"", 0, 0)


def test_reader_raises_server_error_midway():
    from psycopg import errors

    # Rows before the failing one are sent first, so the error arrives during the COPY.
    with pytest.raises(errors.DivisionByZero):
        read_all("COPY (SELECT 1 / (g - 30000) FROM generate_series(1, 40000) g) TO STDOUT")
    assert_connection_usable()


def test_batches_closed_early_leave_connection_usable(demo_accounts, monkeypatch):
    monkeypatch.setattr(rows, "COPY_BATCH_BYTES", 256)
    seeds, _ = demo_accounts
    source = get_registry().get("tasks")
    batches = rows.copy_csv_batches(source, str(seeds[0].organisation_id), rows.columns_of(source))
    _, count = next(batches)
    assert count >= 1
    batches.close()
    assert_connection_usable()


def test_batches_match_row_count(demo_accounts, monkeypatch):
    monkeypatch.setattr(rows, "COPY_BATCH_BYTES", 4096)
    seeds, _ = demo_accounts
    account_key = str(seeds[0].organisation_id)
    for source in get_registry().sources():
        columns = rows.columns_of(source)
        counted = sum(count for _, count in rows.copy_csv_batches(source, account_key, columns))
        assert counted == source.queryset(account_key).count(), source.name
