"""Write event rows, keeping the richest copy of each ``event_id``.

A copy that is richer (see :func:`chainwatch.store.richness.event_richness`) than the
stored one replaces it and makes the event unprocessed again, so late, fuller exports
are scored. A copy that is as rich or poorer changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, false, select
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

from chainwatch.store.batch import Row, chunked, dialect_insert
from chainwatch.store.schema import events

# Ids per SELECT ... WHERE event_id IN (...), below SQLite's old limit of 999 parameters.
LOOKUP_BATCH_SIZE = 500

# Columns a richer copy overwrites. ``run_id`` keeps the run that first stored the event.
UPGRADED_COLUMNS = ("payload", "richness", "kind", "account", "source", "time")


@dataclass(frozen=True, slots=True)
class ChunkCounts:
    """Row counts of one committed chunk of :func:`write_event_rows`."""

    inserted: int
    duplicates: int  # repeats of a stored or earlier id, upgrades included
    upgraded: int  # repeats that replaced a poorer copy


def write_event_rows(engine: Engine, rows: Iterable[Row]) -> Iterator[ChunkCounts]:
    """Insert new events and upgrade poorer stored copies, yielding counts per chunk.

    Each chunk of :data:`~chainwatch.store.batch.BATCH_SIZE` rows is one transaction,
    and its counts are yielded after it commits. Within a chunk, and across chunks, the
    copies of one id are taken in order: a copy counts as an upgrade when it is richer
    than every copy before it, stored or in ``rows``. On ties the earlier copy stays.

    NOTE: the counts come from a lookup made before the write. A second writer that
    stores the same ids at the same moment can make them wrong, but never lets a
    poorer copy replace a richer one, because the UPDATE itself compares richness.
    """
    for chunk in chunked(rows):
        with engine.begin() as connection:
            counts = _write_chunk(connection, chunk)
        yield counts


def _write_chunk(connection: Connection, chunk: list[Row]) -> ChunkCounts:
    kept_richness = _stored_richness(connection, {row["event_id"] for row in chunk})
    to_write: dict[str, Row] = {}
    inserted = duplicates = upgraded = 0
    for row in chunk:
        event_id = row["event_id"]
        if event_id not in kept_richness:
            inserted += 1
        elif row["richness"] > kept_richness[event_id]:
            duplicates += 1
            upgraded += 1
        else:
            duplicates += 1
            continue
        kept_richness[event_id] = row["richness"]
        to_write[event_id] = row

    if to_write:
        connection.execute(_upsert_richer(connection), list(to_write.values()))
    return ChunkCounts(inserted=inserted, duplicates=duplicates, upgraded=upgraded)


def _stored_richness(connection: Connection, event_ids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in chunked(sorted(event_ids), LOOKUP_BATCH_SIZE):
        query = select(events.c.event_id, events.c.richness).where(events.c.event_id.in_(batch))
        found.update({row.event_id: row.richness for row in connection.execute(query)})
    return found


def _upsert_richer(connection: Connection) -> SqliteInsert | PostgresInsert:
    statement = dialect_insert(connection.engine, events)
    updated = {name: statement.excluded[name] for name in UPGRADED_COLUMNS}
    updated["processed"] = false()
    return statement.on_conflict_do_update(
        index_elements=[events.c.event_id],
        set_=updated,
        where=events.c.richness < statement.excluded.richness,
    )
