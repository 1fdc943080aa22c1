"""Stream stored events back in time order, a batch at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, or_, select, update

from chainwatch.errors import StoreError
from chainwatch.events import Event, event_from_dict
from chainwatch.store.batch import chunked
from chainwatch.store.codec import column_text, loads_json
from chainwatch.store.schema import events, to_utc

# Ids per UPDATE ... WHERE event_id IN (...), below SQLite's old limit of 999 parameters.
MARK_BATCH_SIZE = 500


def iter_events_where(
    engine: Engine, conditions: list[ColumnElement[bool]], batch_size: int
) -> Iterator[Event]:
    """Yield events matching ``conditions`` ordered by (time, event_id).

    Keyset pagination reads ``batch_size`` rows per query and keeps no connection
    open between batches, so the caller may write to the store (for example mark events
    processed) while iterating. Rows added behind the current position are not seen.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    after: tuple[datetime, str] | None = None
    while True:
        query = select(events.c.time, events.c.event_id, events.c.payload).where(*conditions)
        if after is not None:
            last_time, last_id = after
            query = query.where(
                or_(
                    events.c.time > last_time,
                    and_(events.c.time == last_time, events.c.event_id > last_id),
                )
            )
        query = query.order_by(events.c.time, events.c.event_id).limit(batch_size)
        with engine.connect() as connection:
            rows = connection.execute(query).all()

        for row in rows:
            yield decode_event(row.event_id, row.payload)
        if len(rows) < batch_size:
            return
        after = (rows[-1].time, rows[-1].event_id)


def event_filters(
    *,
    account: str | None,
    start: datetime | None,
    end: datetime | None,
    kinds: Iterable[str] | None,
) -> list[ColumnElement[bool]]:
    """Build the conditions for :meth:`Store.iter_events`; ``end`` is exclusive."""
    conditions: list[ColumnElement[bool]] = []
    if account is not None:
        conditions.append(events.c.account == column_text(account))
    if start is not None:
        conditions.append(events.c.time >= to_utc(start))
    if end is not None:
        conditions.append(events.c.time < to_utc(end))
    if kinds is not None:
        conditions.append(events.c.kind.in_(list(kinds)))
    return conditions


def mark_processed(engine: Engine, event_ids: Iterable[str]) -> None:
    """Set ``processed`` on the given events in one transaction; unknown ids are ignored."""
    with engine.begin() as connection:
        for chunk in chunked((column_text(i) for i in event_ids), MARK_BATCH_SIZE):
            connection.execute(
                update(events).where(events.c.event_id.in_(chunk)).values(processed=True)
            )


def decode_event(event_id: str, payload: str) -> Event:
    """Rebuild an event from its stored JSON payload."""
    try:
        return event_from_dict(loads_json(payload))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"stored event {event_id!r} has an invalid payload ({type(exc).__name__}: {exc}); "
            "it was written by another chainwatch version or changed by hand"
        ) from exc
