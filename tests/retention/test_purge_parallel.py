"""One account's purge on several PostgreSQL connections at once."""

from __future__ import annotations

import threading

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.backends.signals import connection_created
from django.db.models import QuerySet

from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task
from offboarding.models import PendingFileDeletion, PurgeProgress
from offboarding.purge.engine import KeyRanges, get_registry, purge_account_rows
from tests.retention.conftest import fill_organisation
from tests.retention.test_purge import rows_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SOURCES = ("comments", "attachments", "tasks", "projects", "activity")


@pytest.fixture
def parallel(settings):
    # Small fixed chunks, so that every source is cut into many transactions.
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "PURGE_BATCH_SIZE": 6,
        "PURGE_TRANSACTION_TARGET": None,
        "PURGE_CONNECTIONS": 3,
    }
    return settings


@pytest.fixture
def larger_world(world):
    """The world, with more projects, tasks and comments on both sides."""
    northwind, contoso, case = world
    northwind.attachment_names.extend(
        fill_organisation(
            northwind.organisation, northwind.owner, projects=6, tasks=5, comments=3, prefix="N"
        )
    )
    contoso.attachment_names.extend(
        fill_organisation(
            contoso.organisation, contoso.owner, projects=3, tasks=4, comments=2, prefix="C"
        )
    )
    return northwind, contoso, case


def expected_counts(organisation) -> dict[str, int]:
    return {
        "comments": Comment.objects.filter(task__project__organisation=organisation).count(),
        "attachments": Attachment.objects.filter(task__project__organisation=organisation).count(),
        "tasks": Task.objects.filter(project__organisation=organisation).count(),
        "projects": Project.objects.filter(organisation=organisation).count(),
        "activity": ActivityEntry.objects.filter(organisation=organisation).count(),
    }


class ChunkWatch:
    """Record which database backend ran each chunk statement, on every connection.

    ``fail_at`` makes the given chunk statement of a helper thread raise, as a lost
    connection would.
    """

    def __init__(self, fail_at: int | None = None) -> None:
        self.backends: list[int] = []
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith("WITH chunk"):
            with self.lock:
                number = len(self.backends) + 1
                self.backends.append(context["connection"].connection.connection.info.backend_pid)
            helper = threading.current_thread() is not threading.main_thread()
            if helper and self.fail_at is not None and number >= self.fail_at:
                raise DatabaseError("connection lost")
        return execute(sql, params, many, context)

    def __enter__(self):
        connection.execute_wrappers.append(self)
        connection_created.connect(self.watch)
        return self

    def __exit__(self, *exc_info):
        connection_created.disconnect(self.watch)
        connection.execute_wrappers.remove(self)

    def watch(self, sender, connection, **kwargs):
        connection.execute_wrappers.append(self)


def progress_of(case) -> dict[str, PurgeProgress]:
    return {row.source: row for row in PurgeProgress.objects.filter(case=case)}


def assert_purged(case, expected: dict[str, int], organisation) -> None:
    """Assert that every source is done, counted ``expected`` rows and left none."""
    progress = progress_of(case)
    for name, count in expected.items():
        assert progress[name].deleted == count, name
        assert progress[name].done, name
    assert expected_counts(organisation) == dict.fromkeys(expected, 0)


def test_chunks_spread_over_connections(larger_world, parallel):
    northwind, contoso, case = larger_world
    expected = expected_counts(northwind.organisation)
    contoso_before = rows_of(contoso.organisation.pk)

    with ChunkWatch() as watch:
        outcome = purge_account_rows(northwind.key, case)

    assert len(set(watch.backends)) > 1
    assert connection.connection.info.backend_pid in watch.backends
    progress = progress_of(case)
    for name, count in expected.items():
        assert progress[name].deleted == count, name
        assert progress[name].done, name
    reported = {item.source: item.deleted for item in outcome.sources}
    assert {name: reported[name] for name in expected} == expected
    # Each chunk statement that deleted a task added one batch to the tasks' progress.
    assert progress["tasks"].batches == sum(
        item.batches for item in outcome.sources if item.source == "tasks"
    )
    left = rows_of(northwind.organisation.pk)
    assert all(left[name] == 0 for name in ("projects", "tasks", "comments", "activity"))
    assert rows_of(contoso.organisation.pk) == contoso_before
    for name in northwind.attachment_names:
        assert not default_storage.exists(name)
    for name in contoso.attachment_names:
        assert default_storage.exists(name)
    assert not PendingFileDeletion.objects.filter(case=case, deleted_at__isnull=True).exists()


def test_failed_connection_then_rerun(larger_world, parallel):
    northwind, contoso, case = larger_world
    expected = expected_counts(northwind.organisation)
    contoso_before = rows_of(contoso.organisation.pk)

    with ChunkWatch(fail_at=4), pytest.raises(DatabaseError, match="connection lost"):
        purge_account_rows(northwind.key, case)

    # The progress rows count exactly the rows that are gone: failed chunks rolled back.
    remaining = expected_counts(northwind.organisation)
    progress = progress_of(case)
    for name in SOURCES:
        deleted = progress[name].deleted if name in progress else 0
        assert deleted == expected[name] - remaining[name], name
    assert sum(remaining.values()) > 0
    # Stored files of rows that are still there remain.
    for name in northwind.attachment_names:
        still_there = Attachment.objects.filter(file=name).exists()
        assert default_storage.exists(name) == still_there

    with ChunkWatch() as watch:
        purge_account_rows(northwind.key, case)

    assert watch.backends
    assert_purged(case, expected, northwind.organisation)
    assert rows_of(contoso.organisation.pk) == contoso_before


def test_caller_transaction_keeps_one_connection(larger_world, parallel):
    northwind, _, case = larger_world
    from django.db import transaction

    with ChunkWatch() as watch, transaction.atomic():
        purge_account_rows(northwind.key, case)

    assert set(watch.backends) == {connection.connection.info.backend_pid}
    assert sum(expected_counts(northwind.organisation).values()) == 0


def test_key_ranges_cover_every_key_once(larger_world):
    northwind, _, _ = larger_world
    source = get_registry().get("comments")
    queryset = source.queryset(northwind.key)
    ranges = KeyRanges(queryset, "default")
    claimed: list[tuple] = []
    while (found := ranges.claim(4)) is not None:
        claimed.append(found)

    covered = [list(ranges.keys_between(*found).order_by("pk")) for found in claimed]
    assert [len(keys) for keys in covered[:-1]] == [4] * (len(covered) - 1)
    assert 1 <= len(covered[-1]) <= 4
    flat = [key for keys in covered for key in keys]
    assert flat == list(queryset.order_by("pk").values_list("pk", flat=True))
    assert ranges.claim(4) is None


class ActivityReadsFromReplica:
    """A primary/replica router that reads activity entries from the "replica" alias."""

    def db_for_read(self, model, **hints):
        return "replica" if model is ActivityEntry else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None


@pytest.fixture
def lagging_replica(larger_world, settings, monkeypatch):
    """A "replica" alias that still shows the activity entries of the moment it was made.

    The alias reads the test database with a schema first on its search path that contains
    a copy of the activity table, as a replica that lags behind the primary would.
    """
    from django.db import connections
    from django.utils.connection import BaseConnectionHandler

    # Django's test case lets threads connect to aliases it does not know, such as
    # this one added at run time, but not to aliases it finds in the handler.
    monkeypatch.setattr(
        BaseConnectionHandler,
        "__contains__",
        lambda handler, alias: alias != "replica" and alias in handler.settings,
        raising=False,
    )

    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA replica_copy")
        cursor.execute(
            "CREATE TABLE replica_copy.workspace_activityentry AS TABLE workspace_activityentry"
        )
    options = {
        **connection.settings_dict.get("OPTIONS", {}),
        "options": "-c search_path=replica_copy,public",
    }
    connections.settings["replica"] = {**connection.settings_dict, "OPTIONS": options}
    settings.DATABASE_ROUTERS = [f"{__name__}.ActivityReadsFromReplica"]
    yield
    connections["replica"].close()
    del connections.settings["replica"]
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA replica_copy CASCADE")


def activity_ahead_of_replica(northwind) -> QuerySet:
    """Write activity entries on the primary after the replica's copy; return them all."""
    for _ in range(8):
        ActivityEntry.objects.create(
            organisation=northwind.organisation, actor=northwind.owner, verb="commented"
        )
    return ActivityEntry.objects.using("default").filter(organisation=northwind.organisation)


def test_key_ranges_ignore_replica_lag(larger_world, parallel, lagging_replica):
    northwind, _, case = larger_world
    on_primary = activity_ahead_of_replica(northwind)
    assert ActivityEntry.objects.filter(organisation=northwind.organisation).count() < (
        on_primary.count()
    )

    purge_account_rows(northwind.key, case)

    assert progress_of(case)["activity"].done
    assert on_primary.count() == 0


def test_caller_without_autocommit_keeps_one_connection(larger_world, parallel):
    northwind, _, _ = larger_world
    before = rows_of(northwind.organisation.pk)
    from django.db import transaction

    # Another connection waiting for the caller's row locks would wait forever, because
    # the caller's thread waits for it. A lock timeout turns that wait into an error.
    def time_out_lock_waits(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")

    connection_created.connect(time_out_lock_waits)
    # A transaction the caller opened by turning autocommit off, then rolls back.
    transaction.set_autocommit(False)
    try:
        with ChunkWatch() as watch:
            purge_account_rows(northwind.key)
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
        connection_created.disconnect(time_out_lock_waits)

    assert set(watch.backends) == {connection.connection.info.backend_pid}
    assert rows_of(northwind.organisation.pk) == before


def test_purge_continues_without_extra_connection(larger_world, parallel, monkeypatch):
    import psycopg
    from django.db.backends.postgresql.base import DatabaseWrapper

    northwind, contoso, case = larger_world
    expected = expected_counts(northwind.organisation)
    contoso_before = rows_of(contoso.organisation.pk)
    connect = DatabaseWrapper.get_new_connection

    # The error a server at its connection limit returns to the purge's extra connections.
    def refuse_extra_connections(wrapper, conn_params):
        if threading.current_thread() is not threading.main_thread():
            raise psycopg.OperationalError("sorry, too many clients already")
        return connect(wrapper, conn_params)

    monkeypatch.setattr(DatabaseWrapper, "get_new_connection", refuse_extra_connections)
    with ChunkWatch() as watch:
        purge_account_rows(northwind.key, case)

    assert set(watch.backends) == {connection.connection.info.backend_pid}
    assert_purged(case, expected, northwind.organisation)
    assert rows_of(contoso.organisation.pk) == contoso_before


def test_collector_path_ignores_replica_lag(larger_world, parallel, lagging_replica):
    from django.db.models.signals import pre_delete

    northwind, _, case = larger_world
    on_primary = activity_ahead_of_replica(northwind)
    deleted_one_by_one = []

    # A delete signal receiver sends activity entries through Django's collector.
    def remember(sender, instance, **kwargs):
        deleted_one_by_one.append(instance.pk)

    pre_delete.connect(remember, sender=ActivityEntry)
    try:
        purge_account_rows(northwind.key, case)
    finally:
        pre_delete.disconnect(remember, sender=ActivityEntry)

    assert deleted_one_by_one
    assert progress_of(case)["activity"].done
    assert on_primary.count() == 0
