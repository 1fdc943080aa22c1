"""Batched inserts and upserts for SQLite and PostgreSQL.

Both dialects have ``INSERT ... ON CONFLICT``, but SQLAlchemy builds it only from the
dialect's own ``insert``, so :func:`dialect_insert` picks that one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

from chainwatch.errors import StoreError

BATCH_SIZE = 5000
SUPPORTED_DIALECTS = ("sqlite", "postgresql")

Row = dict[str, Any]
T = TypeVar("T")


def chunked(items: Iterable[T], size: int = BATCH_SIZE) -> Iterator[list[T]]:
    """Yield lists of up to ``size`` items, without reading ahead further."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def dialect_insert(engine: Engine, table: Table) -> SqliteInsert | PostgresInsert:
    """Return an ``INSERT`` for ``table`` that supports ``ON CONFLICT`` on this engine."""
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    raise StoreError(
        f"unsupported database {engine.dialect.name!r}: chainwatch stores to "
        f"{' or '.join(SUPPORTED_DIALECTS)}"
    )


def insert_new(engine: Engine, table: Table, rows: Iterable[Row]) -> tuple[int, int]:
    """Insert rows whose unique keys are not stored yet and return (inserted, duplicates).

    Each chunk of :data:`BATCH_SIZE` rows is one transaction. A row that repeats a key
    of an earlier row in the same call also counts as a duplicate.
    """
    statement = dialect_insert(engine, table).on_conflict_do_nothing()
    # psycopg reports rowcount -1 for executemany, so count the rows that RETURNING
    # gives back: rows skipped by ON CONFLICT DO NOTHING return nothing. SQLite before
    # 3.35 lacks RETURNING, but its driver sums the rows actually written instead.
    counts_by_returning = engine.dialect.insert_executemany_returning
    if counts_by_returning:
        statement = statement.returning(*table.primary_key.columns)
    inserted = 0
    total = 0
    for chunk in chunked(rows):
        with engine.begin() as connection:
            result = connection.execute(statement, chunk)
            inserted += len(result.all()) if counts_by_returning else result.rowcount
        total += len(chunk)
    return inserted, total - inserted


def upsert(engine: Engine, table: Table, rows: Iterable[Row], keys: Sequence[str]) -> int:
    """Insert rows or overwrite stored rows with the same ``keys`` and return the row count.

    Each chunk of :data:`BATCH_SIZE` rows is one transaction. Within one call the last
    row for a key wins.
    """
    written = 0
    for chunk in chunked(rows):
        with engine.begin() as connection:
            written += upsert_chunk(connection, table, chunk, keys)
    return written


def upsert_in(
    connection: Connection, table: Table, rows: Iterable[Row], keys: Sequence[str]
) -> int:
    """Upsert like :func:`upsert`, but all chunks in the caller's transaction."""
    return sum(upsert_chunk(connection, table, chunk, keys) for chunk in chunked(rows))


def upsert_chunk(
    connection: Connection, table: Table, chunk: list[Row], keys: Sequence[str]
) -> int:
    """Upsert one chunk of rows in ``connection`` and return the number of distinct keys."""
    if not chunk:
        return 0
    # PostgreSQL rejects one statement that updates the same row twice
    # ("ON CONFLICT DO UPDATE command cannot affect row a second time").
    unique = list({tuple(row[k] for k in keys): row for row in chunk}.values())
    statement = dialect_insert(connection.engine, table)
    updated = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in keys
    }
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updated)
    connection.execute(statement, unique)
    return len(unique)
