"""The batched purge of one account's rows, in the data registry's dependency order.

The registry's sources form a tree: a source whose ``account_path`` starts with a
foreign key to another declared source, and continues with that source's own path
(``task__project__organisation`` under ``project__organisation``), is that source's
child. In purge order (children before parents), every source that has children or no
parent is walked by keyset over its own rows of the account, a chunk of primary keys at a
time. For each chunk, in one short transaction, the engine deletes the rows of its leaf
children by foreign key (``DELETE ... WHERE task_id = ANY(...)``), then the chunk's own
rows, queues the rows' files and records progress; on PostgreSQL with one statement (see
``offboarding.purge.statements``). Children with children of their own were walked
before, so nothing is left under the chunk. A killed worker loses at most the
chunk in flight, which rolls back, and the next run continues with the rows that remain.

Chunk sizes adapt. The first chunk of a parent source is one parent, and after each
chunk the engine sizes the next one from the rows that hung under each parent, so that
it deletes about ``OFFBOARDING["PURGE_BATCH_SIZE"]`` rows. With
``OFFBOARDING["PURGE_TRANSACTION_TARGET"]`` set, later chunks instead aim at that
duration, at the rows per second the last chunk reached, and grow at most twofold per
chunk. Memory contains the keys of one chunk at a time (none on PostgreSQL, where they
stay on the server).

On PostgreSQL the chunks of one source can run on several connections at once
(``OFFBOARDING["PURGE_CONNECTIONS"]``, 2 by default). The connections take turns at a
shared keyset position: each claims the next range of primary keys, as many as its next
chunk contains, then deletes that range in its own transaction. Most of a purge's time is
the database's own work per deleted row (foreign key checks above all), so a second
connection uses a second server core. The ranges do not overlap, and every connection
locks the progress rows in primary key order, so they wait for each other there
instead of deadlocking.

Rows are deleted with SQL, so ``Model.delete()`` and delete signals do not run for them.
The exception is models that have delete signal receivers, or relations pointing at them
that the purge does not delete first: their rows go through Django's own collector
(``QuerySet.delete()``), which runs signals and cascades.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import Case, F, Value, When, signals
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.fields.reverse_related import ForeignObjectRel

from offboarding.conf import app_settings
from offboarding.purge.files import field_storage_ref, queue_file_deletions
from offboarding.purge.statements import ChunkMember, add_progress, column_of, run_chunk

logger = logging.getLogger(__name__)


@dataclass
class SourceResult:
    source: str
    model: str
    deleted: int = 0
    files: int = 0
    batches: int = 0


@dataclass
class PurgeResult:
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(item.deleted for item in self.sources)


@dataclass
class Node:
    """One source in the purge tree, with what its deletes need."""

    source: Any
    # Column of the foreign key to the parent source's rows ("task_id"); None at the top.
    parent_key: str | None = None
    children: list[Node] = field(default_factory=list)
    use_collector: bool = False
    progress_id: int | None = None
    chunk: int = 1
    result: SourceResult = field(init=False)
    # Rows deleted in the current chunk's transaction, not yet added to the progress row.
    unsaved: int = 0
    done: bool = False

    def __post_init__(self) -> None:
        self.result = SourceResult(self.source.name, self.model._meta.label)

    @property
    def model(self) -> type[models.Model]:
        return self.source.model

    def family(self) -> list[Node]:
        """Return this node and its leaf children, which its chunks delete together."""
        return [self, *(child for child in self.children if not child.children)]

    def key_column_of(self, member: Node) -> str:
        """Return the column that selects ``member``'s rows by this node's primary keys."""
        if member is not self and member.parent_key is not None:
            return member.parent_key
        return column_of(self.model, self.model._meta.pk.name)

    def walk(self) -> list[Node]:
        """Return this node's subtree, children before parents."""
        found: list[Node] = []
        for child in self.children:
            found.extend(child.walk())
        found.append(self)
        return found


def get_registry() -> Any:
    from offboarding.registry import get_registry as registry_of_adapter

    return registry_of_adapter()


def find_parent(source: Any, sources: list[Any]) -> tuple[Any, models.Field] | None:
    """Return (parent source, foreign key) when ``source`` hangs under another source."""
    path = source.account_path
    if not isinstance(path, str) or "__" not in path:
        return None
    first_hop, rest = path.split("__", 1)
    try:
        key = source.model._meta.get_field(first_hop)
    except FieldDoesNotExist:
        return None
    if not key.concrete or not (key.many_to_one or key.one_to_one):
        return None
    # Chunks contain the parent's primary keys, so a key to another column (to_field)
    # cannot select its rows. Such a source is walked on its own.
    if not key.target_field.primary_key:
        return None
    for candidate in sources:
        if (
            candidate is not source
            and candidate.model is key.related_model
            and candidate.account_path == rest
        ):
            return candidate, key
    return None


def build_tree(sources: list[Any]) -> list[Node]:
    """Return the top-level nodes of ``sources`` (in purge order), with their children."""
    nodes = {source.name: Node(source) for source in sources}
    roots = []
    for source in sources:
        parent = find_parent(source, sources)
        if parent is None:
            roots.append(nodes[source.name])
            continue
        parent_source, key = parent
        nodes[source.name].parent_key = key.column
        nodes[parent_source.name].children.append(nodes[source.name])
    return roots


def needs_collector(model: type[models.Model], deleted_first: set[type[models.Model]]) -> bool:
    """Return whether deleting ``model`` rows by SQL alone could skip work Django would do.

    True when the model has delete signal receivers, or a relation pointing at it whose
    rows are not deleted before it and whose ``on_delete`` is not ``DO_NOTHING``.
    """
    if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
        return True
    # Django's helper returns reverse relations (ForeignObjectRel), which carry on_delete.
    relations = cast(Iterable[ForeignObjectRel], get_candidate_relations_to_delete(model._meta))
    for relation in relations:
        if relation.on_delete is models.DO_NOTHING:
            continue
        if relation.on_delete is models.CASCADE and relation.related_model in deleted_first:
            continue
        return True
    return False


def column_attname(model: type[models.Model], column: str) -> str:
    for model_field in model._meta.concrete_fields:
        if model_field.column == column:
            return model_field.attname
    raise FieldDoesNotExist(f"{model._meta.label} has no column {column!r}.")


def select_column(
    model: type[models.Model], column: str, where_column: str, values: list[Any]
) -> list[Any]:
    """Return ``column`` of the rows whose ``where_column`` is in ``values``."""
    connection = connections[router.db_for_read(model)]
    if connection.vendor == "postgresql":
        # One array parameter instead of one placeholder per value, because psycopg's
        # client-side binding of IN lists with thousands of keys cost seconds per purge
        # of 200,000 rows in a profile.
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                # Table and column names come from model metadata and are quoted.
                f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {quote(where_column)} = ANY(%s)",
                [list(values)],
            )
            return [row[0] for row in cursor.fetchall()]
    where = column_attname(model, where_column)
    return list(
        model._base_manager.filter(**{f"{where}__in": values}).values_list(
            column_attname(model, column), flat=True
        )
    )


def delete_where_in(model: type[models.Model], column: str, values: list[Any]) -> int:
    """Delete the rows whose ``column`` is in ``values`` with one statement; return how many."""
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {quote(column)} = ANY(%s)",
                [list(values)],
            )
            return cursor.rowcount
    attname = column_attname(model, column)
    return model._base_manager.filter(**{f"{attname}__in": values})._raw_delete(using)


def relax_commit(using: str) -> None:
    """Let the current transaction's commit return before PostgreSQL flushes it to disk.

    Waiting for the flush cost 0.15 to 4 ms per commit on a shared 2-core test machine,
    depending on the other writes to its disk, while a chunk of 5,000 rows took 12 to
    20 ms. A server crash can lose commits of the last few hundred milliseconds (at most
    three times ``wal_writer_delay``, per the PostgreSQL manual on asynchronous commit).
    The caller relaxes only chunks of a case whose progress rows share the transaction,
    so a lost chunk loses its progress too. The write-ahead log is flushed in order, so
    any later ordinary commit, such as the one that marks the purge step done, makes the
    chunks before it durable. A lost chunk therefore means an unfinished purge, which
    runs again and deletes those rows again. Files of such rows may already be gone,
    because they are deleted once the commit returns, but the rows are doomed anyway.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def check_constraints_now(using: str) -> None:
    """Check deferred constraints at the end of each statement of the current transaction."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class KeyRanges:
    """Consecutive ranges of a source's primary keys, claimed one chunk at a time.

    Several connections share one instance. A claim reads the key that ends the next
    chunk, under a lock, so each range is handed out once and together they cover every
    row of the source that existed when its range was claimed. Claims read the database
    the rows are deleted from (``using``), not the router's read database: a replica
    that lags behind would end the last range before the newest rows.
    """

    def __init__(self, queryset: models.QuerySet, using: str) -> None:
        self.queryset = queryset.using(using)
        self.lock = threading.Lock()
        self.last: Any = None
        self.stopped = False

    def claim(self, size: int) -> tuple[Any, Any] | None:
        """Return (after, up to) for the next ``size`` keys, or None when none are left."""
        with self.lock:
            if self.stopped:
                return None
            remaining = self.queryset.order_by("pk")
            if self.last is not None:
                remaining = remaining.filter(pk__gt=self.last)
            keys = remaining.values_list("pk", flat=True)
            found = list(keys[size - 1 : size])
            upper = found[0] if found else keys.order_by("-pk").first()
            if upper is None:
                self.stopped = True
                return None
            lower, self.last = self.last, upper
            return lower, upper

    def keys_between(self, lower: Any, upper: Any) -> models.QuerySet:
        """Return the keys of the range (``lower``, ``upper``]; ``lower`` None is open."""
        keys = self.queryset.filter(pk__lte=upper)
        if lower is not None:
            keys = keys.filter(pk__gt=lower)
        return keys.values_list("pk", flat=True)

    def stop(self) -> None:
        """Hand out no more ranges, because one connection failed."""
        with self.lock:
            self.stopped = True


class AccountPurge:
    """One purge of one account's sources, with its batch size and case."""

    def __init__(self, account_key: str, case: Any | None) -> None:
        from offboarding.models import PurgeProgress

        self.account_key = account_key
        self.case = case
        self.batch_size = max(1, int(app_settings.PURGE_BATCH_SIZE))
        target = app_settings.PURGE_TRANSACTION_TARGET
        if isinstance(target, timedelta):
            target = target.total_seconds()
        self.target_seconds = float(target) if target else None
        self.progress_using = router.db_for_write(PurgeProgress)
        self.connections = max(1, int(app_settings.PURGE_CONNECTIONS or 1))
        # Guards the per-source results, which several connections' threads add to.
        self.results_lock = threading.Lock()

    def delete_rows(self, node: Node, column: str, values: list[Any]) -> int:
        """Delete the node's rows whose ``column`` is in ``values``; return how many."""
        model = node.model
        using = router.db_for_write(model)
        # Inside a chunk's transaction this adds no savepoint; alone it is a transaction.
        with transaction.atomic(using=using, savepoint=False):
            for field_name in node.source.file_fields or ():
                file_column = column_of(model, field_name)
                names = [
                    name for name in select_column(model, file_column, column, values) if name
                ]
                node.result.files += queue_file_deletions(
                    self.case, field_storage_ref(model, field_name), names
                )
            if node.use_collector:
                attname = column_attname(model, column)
                rows = model._base_manager.filter(**{f"{attname}__in": values})
                deleted = rows.delete()[1].get(model._meta.label, 0)
            else:
                deleted = delete_where_in(model, column, values)
        node.unsaved += deleted
        node.result.deleted += deleted
        node.result.batches += 1
        return deleted

    def save_progress(self, nodes: list[Node]) -> None:
        """Add the chunk's deleted rows to the progress rows, in one UPDATE."""
        from offboarding.models import PurgeProgress

        counted = [node for node in nodes if node.progress_id is not None and node.unsaved]
        if counted:
            added = Case(
                *[When(pk=node.progress_id, then=Value(node.unsaved)) for node in counted],
                default=Value(0),
            )
            PurgeProgress.objects.filter(pk__in=[node.progress_id for node in counted]).update(
                deleted=F("deleted") + added, batches=F("batches") + 1
            )
        for node in nodes:
            node.unsaved = 0

    def delete_family(self, node: Node, pks: list[Any]) -> int:
        """Delete the rows ``pks`` of ``node`` and its leaf children's rows under them."""
        deleted = 0
        for child in node.children:
            if not child.children and child.parent_key is not None:
                deleted += self.delete_rows(child, child.parent_key, pks)
        return deleted + self.delete_rows(
            node, column_of(node.model, node.model._meta.pk.name), pks
        )

    def adapt(self, node: Node, parents: int, rows: int, seconds: float) -> None:
        """Size the node's next chunk in parents, from the last chunk's rows and duration.

        Without a target duration, the next chunk's family is about one batch of rows.
        With one, it is the rows that fill the target at the last chunk's rate, but at
        most twice the last chunk's rows or one batch, whichever is more.
        """
        node.chunk = self.next_chunk(parents, rows, seconds)

    def next_chunk(self, parents: int, rows: int, seconds: float) -> int:
        """Return the next chunk's size in parents (see adapt)."""
        rows_per_parent = max(1.0, rows / max(1, parents))
        next_rows = float(self.batch_size)
        if self.target_seconds and rows and seconds > 0:
            next_rows = min(rows / seconds * self.target_seconds, max(2.0 * rows, next_rows))
        return max(1, int(next_rows / rows_per_parent))

    def delete_chunk_in_one_statement(
        self, node: Node, keys: models.QuerySet, using: str, progress_apart: bool = False
    ) -> tuple[int, int, Any]:
        """Delete the chunk ``keys`` selects with one statement; return (keys, rows, last key).

        The statement also adds to the progress rows when they are on the same database,
        unless ``progress_apart``: then a second statement does, in primary key order.
        """
        from offboarding.models import PurgeProgress

        family = node.family()
        members = [
            ChunkMember(
                table=member.model._meta.db_table,
                column=node.key_column_of(member),
                file_columns=tuple(
                    column_of(member.model, name) for name in member.source.file_fields or ()
                ),
                progress_id=member.progress_id,
            )
            for member in family
        ]
        progress_model = PurgeProgress if self.progress_using == using else None
        keys_sql, keys_params = keys.query.get_compiler(using=using).as_sql()
        outcome = run_chunk(
            using, keys_sql, list(keys_params), members, None if progress_apart else progress_model
        )
        if not outcome.keys:
            return 0, 0, None
        if progress_apart and progress_model is not None:
            add_progress(
                using,
                progress_model,
                [
                    (member.progress_id, deleted)
                    for member, deleted in zip(family, outcome.deleted, strict=True)
                    if member.progress_id is not None
                ],
            )

        for member, deleted, file_names in zip(
            family, outcome.deleted, outcome.file_names, strict=True
        ):
            files = 0
            for field_name, names in zip(member.source.file_fields or (), file_names, strict=True):
                files += queue_file_deletions(
                    self.case, field_storage_ref(member.model, field_name), names
                )
            with self.results_lock:
                member.result.deleted += deleted
                member.result.batches += 1
                member.result.files += files
            if progress_model is None:
                member.unsaved += deleted
        if progress_model is None:
            self.save_progress(family)
        return outcome.keys, sum(outcome.deleted), outcome.last_key

    def delete_chunk(self, node: Node, keys: models.QuerySet) -> tuple[int, int, Any]:
        """Delete the chunk ``keys`` selects, table by table; return (keys, rows, last key)."""
        pks = list(keys)
        if not pks:
            return 0, 0, None
        deleted = self.delete_family(node, pks)
        self.save_progress(node.family())
        return len(pks), deleted, pks[-1]

    def iterate(self, node: Node) -> None:
        """Delete every row of ``node`` (and of its leaf children) by keyset, chunk by chunk.

        On PostgreSQL, a chunk whose tables need no collector is one statement.
        """
        using = router.db_for_write(node.model)
        connection = connections[using]
        in_one_statement = connection.vendor == "postgresql" and not any(
            member.use_collector for member in node.family()
        )
        # Only when the chunk's transaction is the outermost one and contains the case's
        # progress rows (see relax_commit). A caller's own transaction keeps its commit.
        relaxed = (
            self.case is not None
            and self.progress_using == using
            and not connection.in_atomic_block
            and connection.get_autocommit()
        )
        # Other connections cannot see a caller's uncommitted transaction, and would wait
        # for its row locks while this thread waits for them. A caller that turned
        # autocommit off has such a transaction too, outside any atomic block. Progress
        # on another database is saved after each chunk by this connection.
        if (
            in_one_statement
            and self.connections > 1
            and self.progress_using == using
            and not connection.in_atomic_block
            and connection.get_autocommit()
        ):
            self.iterate_in_parallel(node, using, relaxed)
            return
        last = None
        while True:
            # Keys come from the database the rows are deleted from, not a read replica.
            remaining = node.source.queryset(self.account_key).using(using).order_by("pk")
            if last is not None:
                remaining = remaining.filter(pk__gt=last)
            keys = remaining.values_list("pk", flat=True)[: node.chunk]
            started = time.perf_counter()
            with transaction.atomic(using=using):
                if relaxed:
                    relax_commit(using)
                if in_one_statement:
                    parents, deleted, last = self.delete_chunk_in_one_statement(node, keys, using)
                else:
                    parents, deleted, last = self.delete_chunk(node, keys)
            if not parents:
                return
            self.adapt(node, parents, deleted, time.perf_counter() - started)

    def iterate_in_parallel(self, node: Node, using: str, relaxed: bool) -> None:
        """Delete every row of ``node`` (and of its leaf children) over several connections.

        This thread is one of the workers; each other worker is a thread with its own
        connection, closed when it ends. A worker that cannot connect (the server's
        connection limit, say) leaves the ranges to the others. When one fails later,
        the others finish the chunk they are in and stop, and the first error is raised:
        the rows of ranges not deleted remain for the next run.

        NOTE: the other connections start from the database settings. State set on this
        connection at run time, such as a search_path chosen by a multi-tenant library,
        is not copied, so such hosts set ``PURGE_CONNECTIONS`` to 1.
        """
        ranges = KeyRanges(node.source.queryset(self.account_key), using)
        errors: list[BaseException] = []

        def work(own_connection: bool) -> None:
            try:
                if own_connection:
                    try:
                        connections[using].ensure_connection()
                    except DatabaseError:
                        logger.warning(
                            "Purge of account %s: opening an extra connection for %s "
                            "failed, continuing on the others",
                            self.account_key,
                            node.model._meta.label,
                            exc_info=True,
                        )
                        return
                self.work_through_ranges(node, ranges, using, relaxed)
            except BaseException as error:
                ranges.stop()
                errors.append(error)
            finally:
                if own_connection:
                    connections.close_all()

        helpers = [
            threading.Thread(target=work, args=(True,), name=f"purge-{node.source.name}-{number}")
            for number in range(1, self.connections)
        ]
        for helper in helpers:
            helper.start()
        work(own_connection=False)
        for helper in helpers:
            helper.join()
        if errors:
            for error in errors[1:]:
                logger.error(
                    "Purge of account %s: another connection failed on %s too",
                    self.account_key,
                    node.model._meta.label,
                    exc_info=error,
                )
            raise errors[0]
        logger.info(
            "Purge of account %s: %s deleted over %s connections",
            self.account_key,
            node.model._meta.label,
            self.connections,
        )

    def work_through_ranges(
        self, node: Node, ranges: KeyRanges, using: str, relaxed: bool
    ) -> None:
        """Claim and delete ranges of ``node``'s keys until none are left."""
        chunk = node.chunk
        while True:
            claimed = ranges.claim(chunk)
            if claimed is None:
                return
            keys = ranges.keys_between(*claimed)
            started = time.perf_counter()
            with transaction.atomic(using=using):
                if relaxed:
                    relax_commit(using)
                # Foreign keys are checked at the end of the delete statement, not at
                # commit, so the progress rows are locked only for the short update.
                check_constraints_now(using)
                parents, deleted, _last = self.delete_chunk_in_one_statement(
                    node, keys, using, progress_apart=True
                )
            if parents:
                chunk = self.next_chunk(parents, deleted, time.perf_counter() - started)

    def prepare(self, nodes: list[Node]) -> None:
        """Create or load the progress rows and decide how each node's rows are deleted."""
        deleted_before: set[type[models.Model]] = set()
        for node in nodes:
            node.result = SourceResult(node.source.name, node.model._meta.label)
            has_leaf_children = any(not child.children for child in node.children)
            # One parent first: its family's size sets the next chunk (see adapt).
            node.chunk = 1 if has_leaf_children else self.batch_size
            node.use_collector = needs_collector(node.model, deleted_before)
            deleted_before.add(node.model)
        if self.case is not None:
            self.load_progress(nodes)

    def load_progress(self, nodes: list[Node]) -> None:
        """Create the case's missing progress rows with one INSERT, then load every node's."""
        from offboarding.models import PurgeProgress

        rows = PurgeProgress.objects.filter(
            case=self.case, source__in=[node.source.name for node in nodes]
        ).values_list("source", "pk", "done")
        known = {source: (pk, done) for source, pk, done in rows}
        missing = [
            PurgeProgress(
                case=self.case,
                source=node.source.name,
                model_label=node.model._meta.label,
                position=position,
            )
            for position, node in enumerate(nodes)
            if node.source.name not in known
        ]
        if missing:
            # Rows that another run created meanwhile stay as they are, because the
            # (case, source) constraint turns the conflicting inserts into no-ops.
            PurgeProgress.objects.bulk_create(missing, ignore_conflicts=True)
            known = {source: (pk, done) for source, pk, done in rows.all()}
        for node in nodes:
            node.progress_id, node.done = known[node.source.name]

    def run(self, sources: list[Any]) -> PurgeResult:
        """Delete the account's rows of ``sources``, given children before parents.

        A source with children, or without a parent, is walked by keyset. A source
        without children of its own is deleted with its parent's chunks, by foreign key.
        """
        from offboarding.models import PurgeProgress

        roots = build_tree(sources)
        nodes = [node for root in roots for node in root.walk()]
        position = {source.name: index for index, source in enumerate(sources)}
        nodes.sort(key=lambda node: position[node.source.name])
        self.prepare(nodes)

        outcome = PurgeResult()
        for node in nodes:
            if node.parent_key is not None and not node.children:
                continue  # Deleted with its parent's chunks.
            family = node.family()
            if all(member.done for member in family):
                continue
            self.iterate(node)
            if self.case is not None:
                PurgeProgress.objects.filter(
                    pk__in=[member.progress_id for member in family]
                ).update(done=True)
            for member in family:
                outcome.sources.append(member.result)
                logger.info(
                    "Purge of account %s: %s done, rows deleted: %s, batches: %s",
                    self.account_key,
                    member.result.model,
                    member.result.deleted,
                    member.result.batches,
                )
        return outcome


def purge_sources(account_key: str, sources: list[Any], case: Any | None = None) -> PurgeResult:
    """Delete the account's rows of ``sources`` (a registry's sources in purge order)."""
    return AccountPurge(account_key, case).run(sources)


def purge_account_rows(account_key: str, case: Any | None = None) -> PurgeResult:
    """Delete the account's rows of every registry source except the account model's own.

    With a case, progress is recorded per source and subtrees already done are skipped,
    so a rerun after a crash continues where the last run stopped. The account row goes
    last, and only when the adapter's ``purge_account_row`` returns True (see
    offboarding.purge.service).
    """
    from offboarding.adapter import get_adapter

    account_model = get_adapter().get_account_model()
    sources = [s for s in get_registry().purge_order() if s.model is not account_model]
    return purge_sources(account_key, sources, case)
