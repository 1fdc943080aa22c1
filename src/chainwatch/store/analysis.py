"""Analysis state: baselines, detections and the ``processed`` flag, written together.

Scoring reads unprocessed events in (time, event_id) order and updates baselines as
it goes. Its results and the ``processed`` flags of the events they cover must change in
one transaction, or a crash in between would score events twice or never.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    delete,
    false,
    func,
    literal,
    select,
    true,
    tuple_,
    update,
)

from chainwatch.errors import StoreError
from chainwatch.store.batch import Row, upsert_in
from chainwatch.store.codec import column_text, dumps_json
from chainwatch.store.findings import detection_row
from chainwatch.store.schema import (
    IdText,
    UtcDateTime,
    baselines,
    detections,
    events,
    incidents,
    to_utc,
)

EventPosition = tuple[datetime, str]


def baseline_rows(
    states: Mapping[tuple[str, str], dict[str, Any]], updated_at: datetime
) -> Iterator[Row]:
    """Yield ``baselines`` rows, raising :class:`StoreError` for a state that is not JSON."""
    for (namespace, key), state in states.items():
        yield {
            "namespace": column_text(namespace),
            "key": column_text(key),
            "state": _baseline_json(namespace, key, state),
            "updated_at": updated_at,
        }


def commit_analysis(
    connection: Connection,
    states: Mapping[tuple[str, str], dict[str, Any]],
    detection_dicts: Iterable[dict[str, Any]],
    through: EventPosition | None,
    updated_at: datetime,
) -> None:
    """Upsert baselines and detections and mark events processed through ``through``.

    Runs in the caller's transaction, so the caller decides when everything commits.
    ``through`` must already be in UTC, as :func:`event_position` returns it.
    """
    upsert_in(connection, baselines, baseline_rows(states, updated_at), ("namespace", "key"))
    rows = (detection_row(detection) for detection in detection_dicts)
    upsert_in(connection, detections, rows, ("detection_id",))
    if through is not None:
        connection.execute(
            update(events)
            .where(events.c.processed == false(), at_or_before(through))
            .values(processed=True)
        )


def event_position(through: EventPosition) -> EventPosition:
    """Check a (time, event_id) position and return it with the time in UTC.

    Raises ``ValueError`` for a naive time and ``TypeError`` for values of other types.
    """
    time, event_id = through
    if not isinstance(event_id, str):
        raise TypeError(f"event id must be a string, got {type(event_id).__name__}")
    return to_utc(time), event_id


def at_or_before(position: EventPosition) -> ColumnElement[bool]:
    """Match events at or before ``position`` in (time, event_id) order.

    It is a row-value comparison, so SQLite (3.40) and PostgreSQL (15) evaluate it as a
    range scan of the ``(processed, time, event_id)`` index when ``processed`` is
    compared with ``=`` in the same WHERE clause.
    """
    time, event_id = position
    bound = tuple_(literal(time, UtcDateTime()), literal(column_text(event_id), IdText))
    return tuple_(events.c.time, events.c.event_id) <= bound


def processed_watermark(connection: Connection) -> EventPosition | None:
    """Return the greatest (time, event_id) of a processed event, or ``None`` if none is."""
    query = (
        select(events.c.time, events.c.event_id)
        .where(events.c.processed == true())
        .order_by(events.c.time.desc(), events.c.event_id.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return (row.time, row.event_id) if row is not None else None


def earliest_unprocessed(connection: Connection) -> EventPosition | None:
    """Return the least (time, event_id) of an unprocessed event, or ``None`` if none is."""
    query = (
        select(events.c.time, events.c.event_id)
        .where(events.c.processed == false())
        .order_by(events.c.time, events.c.event_id)
        .limit(1)
    )
    row = connection.execute(query).first()
    return (row.time, row.event_id) if row is not None else None


def reset_analysis(connection: Connection) -> int:
    """Delete baselines, detections and incidents, clear every ``processed`` flag.

    Returns the number of stored events, all of which are unprocessed afterwards.
    """
    for table in (baselines, detections, incidents):
        connection.execute(delete(table))
    connection.execute(update(events).where(events.c.processed == true()).values(processed=False))
    return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def _baseline_json(namespace: str, key: str, state: dict[str, Any]) -> str:
    try:
        return dumps_json(state)
    except TypeError as exc:
        raise StoreError(
            f"baseline ({namespace!r}, {key!r}): cannot serialise the state as JSON: {exc}"
        ) from exc
