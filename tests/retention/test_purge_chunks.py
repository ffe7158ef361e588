"""How the purge cuts an account's rows into transactions, and what each one commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.backends.signals import connection_created

from config.workspace.models import Attachment, Comment, Task
from offboarding.models import PendingFileDeletion, PurgeProgress
from offboarding.purge.engine import AccountPurge, Node, get_registry, purge_sources
from tests.retention.test_purge import rows_of


def chunk_node(parents: int = 1) -> Node:
    node = Node(source=get_registry().get("tasks"))
    node.chunk = parents
    return node


@pytest.fixture
def small_batches(settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "PURGE_BATCH_SIZE": 4,
        "PURGE_TRANSACTION_TARGET": None,
    }
    return settings


def test_adapt_without_target_fills_batch(small_batches):
    purge = AccountPurge("1", None)
    node = chunk_node()
    purge.adapt(node, parents=1, rows=2, seconds=10.0)
    assert node.chunk == 2


def test_adapt_grows_toward_target(settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "PURGE_BATCH_SIZE": 100,
        "PURGE_TRANSACTION_TARGET": timedelta(milliseconds=40),
    }
    purge = AccountPurge("1", None)
    node = chunk_node()
    # 1,000 rows in 10 ms would fill 40 ms with 4,000, but a chunk grows at most twofold.
    purge.adapt(node, parents=100, rows=1000, seconds=0.010)
    assert node.chunk == 200
    # 1,000 rows in 30 ms: about 1,333 rows fill 40 ms.
    purge.adapt(node, parents=100, rows=1000, seconds=0.030)
    assert node.chunk == 133


def test_adapt_shrinks_slow_chunk(settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "PURGE_BATCH_SIZE": 100,
        "PURGE_TRANSACTION_TARGET": 0.04,
    }
    purge = AccountPurge("1", None)
    node = chunk_node()
    purge.adapt(node, parents=500, rows=5000, seconds=0.200)
    assert node.chunk == 100
    purge.adapt(node, parents=1, rows=50, seconds=5.0)
    assert node.chunk == 1


def test_adapt_first_chunk_reaches_batch(settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "PURGE_BATCH_SIZE": 100,
        "PURGE_TRANSACTION_TARGET": timedelta(milliseconds=40),
    }
    purge = AccountPurge("1", None)
    node = chunk_node()
    # One parent with 10 rows in 0.1 ms: the next chunk may contain a whole batch at once.
    purge.adapt(node, parents=1, rows=10, seconds=0.0001)
    assert node.chunk == 10


@pytest.mark.django_db(transaction=True)
def test_small_batches_record_exact_progress(world, small_batches):
    northwind, contoso, case = world
    contoso_before = rows_of(contoso.organisation.pk)
    expected = {
        "comments": Comment.objects.filter(
            task__project__organisation=northwind.organisation
        ).count(),
        "attachments": Attachment.objects.filter(
            task__project__organisation=northwind.organisation
        ).count(),
        "tasks": Task.objects.filter(project__organisation=northwind.organisation).count(),
    }
    sources = [get_registry().get(name) for name in ("comments", "attachments", "tasks")]

    outcome = purge_sources(northwind.key, sources, case)

    progress = {row.source: row for row in PurgeProgress.objects.filter(case=case)}
    for name, count in expected.items():
        assert progress[name].deleted == count, name
        assert progress[name].done, name
    # A task comes with two comments and at most one attachment, so a batch of four rows
    # contains one task and each of the six tasks is its own transaction.
    assert progress["tasks"].batches == expected["tasks"]
    assert {item.source: item.deleted for item in outcome.sources} == expected
    assert rows_of(northwind.organisation.pk)["tasks"] == 0
    assert rows_of(contoso.organisation.pk) == contoso_before
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    for name in contoso.attachment_names:
        assert default_storage.exists(name)
    assert PendingFileDeletion.objects.filter(case=case).count() == 2
    assert not PendingFileDeletion.objects.filter(case=case, deleted_at__isnull=True).exists()


def synchronous_commit_in_chunks(northwind, case, sources) -> list[str]:
    """Purge ``sources`` and return ``synchronous_commit`` as each chunk statement saw it."""
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("WITH chunk"):
            raw = context["connection"].connection
            seen.append(raw.execute("SHOW synchronous_commit").fetchone()[0])
        return result

    # The purge's other connections are opened in their own threads while it runs.
    def watch(sender, connection, **kwargs):
        connection.execute_wrappers.append(record)

    connection_created.connect(watch)
    try:
        with connection.execute_wrapper(record):
            purge_sources(northwind.key, sources, case)
    finally:
        connection_created.disconnect(watch)
    return seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_chunks_commit_without_flush_wait(world, small_batches):
    northwind, _, case = world
    seen = synchronous_commit_in_chunks(northwind, case, [get_registry().get("activity")])
    assert seen
    assert set(seen) == {"off"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_caller_transaction_keeps_commit(world, small_batches):
    northwind, _, case = world
    with transaction.atomic():
        seen = synchronous_commit_in_chunks(northwind, case, [get_registry().get("activity")])
    assert seen
    assert set(seen) == {"on"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_caller_without_autocommit_keeps_commit(world, small_batches):
    northwind, _, case = world
    transaction.set_autocommit(False)
    try:
        seen = synchronous_commit_in_chunks(northwind, case, [get_registry().get("activity")])
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
    assert seen
    assert set(seen) == {"on"}
