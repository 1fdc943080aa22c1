"""The :class:`Store`: everything chainwatch keeps between runs, in SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from chainwatch.errors import StoreError
from chainwatch.events import EVENT_TYPES, DirectoryEntry, Event
from chainwatch.read.base import Notice, Rejected
from chainwatch.store import analysis, directory, event_queries, findings, schema
from chainwatch.store.batch import insert_new, upsert
from chainwatch.store.codec import column_text, dumps_json, loads_json
from chainwatch.store.connect import create_store_engine, describe_url, ensure_schema, store_url
from chainwatch.store.event_writes import write_event_rows
from chainwatch.store.ingest import event_row, notice_row, rejected_row


class Store:
    """Events, rejected records, baselines and findings of every run, in one database.

    Open it with :meth:`open`. Methods raise :class:`~chainwatch.errors.StoreError` when
    the database fails and for records that cannot be stored. Writes that take an
    iterable commit every :data:`~chainwatch.store.batch.BATCH_SIZE` records, so a
    failure part way keeps the chunks before it. :meth:`commit_analysis` and
    :meth:`reset_analysis` are one transaction each.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._upgraded_events = 0
        self.url = describe_url(engine.url)

    @classmethod
    def open(cls, target: str | Path) -> Store:
        """Open or create the store at a file path or a SQLAlchemy URL.

        A path (or a string without ``://``) is a SQLite file, created if missing.
        ``postgresql://`` URLs use the psycopg driver. Creates missing tables and
        raises :class:`StoreError` if the database has another schema version.
        """
        url = store_url(target)
        engine = create_store_engine(url)
        try:
            ensure_schema(engine)
        except StoreError:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        """Close every pooled connection. The store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def dialect(self) -> str:
        """The database dialect name: ``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def _failing_as(self, action: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            # The driver's error is enough, because SQLAlchemy's adds the SQL and 5,000 rows.
            cause = getattr(exc, "orig", None) or exc
            raise StoreError(f"{action} failed in {self.url}: {cause}") from exc

    # runs

    def start_run(self, command: str, inputs: list[str]) -> int:
        """Record the start of a run and return its id."""
        with self._failing_as("starting a run"), self._engine.begin() as connection:
            result = connection.execute(
                schema.runs.insert().values(
                    command=column_text(command),
                    inputs=dumps_json([str(i) for i in inputs]),
                    started_at=datetime.now(UTC),
                )
            )
            return int(result.inserted_primary_key[0])

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        """Record the end of run ``run_id`` with its summary, stored as JSON."""
        try:
            summary_json = dumps_json(summary)
        except TypeError as exc:
            raise StoreError(f"run {run_id}: cannot serialise the summary as JSON: {exc}") from exc
        with self._failing_as(f"finishing run {run_id}"), self._engine.begin() as connection:
            result = connection.execute(
                update(schema.runs)
                .where(schema.runs.c.run_id == run_id)
                .values(finished_at=datetime.now(UTC), summary=summary_json)
            )
        if result.rowcount == 0:
            raise StoreError(f"run {run_id} not found in {self.url}")

    # ingest

    @property
    def upgraded_events(self) -> int:
        """Number of stored events that :meth:`add_events` replaced with a richer copy.

        Counted over every call since this store was opened, including chunks that
        committed before a failure.
        """
        return self._upgraded_events

    def add_events(self, events: Iterable[Event], run_id: int) -> tuple[int, int]:
        """Store events of run ``run_id``, keep the richest copy of each, and return counts.

        Returns (inserted, duplicates). An event whose ``event_id`` is already stored,
        or repeats one earlier in ``events``, is a duplicate. A duplicate that is
        richer than the copy kept so far (by
        :func:`~chainwatch.store.richness.event_richness`) replaces its payload,
        richness, kind, account, source and time and clears ``processed``, so the event
        is scored again. Such upgrades count as duplicates and add to
        :attr:`upgraded_events`. Copies that are as rich or poorer change nothing, so
        the first of equally rich copies stays.
        """
        rows = (event_row(event, run_id) for event in events)
        inserted = duplicates = 0
        with self._failing_as(f"adding events of run {run_id}"):
            for counts in write_event_rows(self._engine, rows):
                inserted += counts.inserted
                duplicates += counts.duplicates
                self._upgraded_events += counts.upgraded
        return inserted, duplicates

    def add_rejected(self, items: Iterable[Rejected], run_id: int) -> tuple[int, int]:
        """Store rejected records with their raw bytes and return (inserted, duplicates).

        Records with the same file, position, reason and raw bytes are duplicates.
        """
        rows = (rejected_row(item, run_id) for item in items)
        with self._failing_as(f"adding rejected records of run {run_id}"):
            return insert_new(self._engine, schema.rejected, rows)

    def add_notices(self, notices: Iterable[Notice], run_id: int) -> int:
        """Store notices not stored yet and return how many were inserted.

        Notices with the same file, position, kind, message and window are duplicates.
        """
        rows = (notice_row(notice, run_id) for notice in notices)
        with self._failing_as(f"adding notices of run {run_id}"):
            inserted, _ = insert_new(self._engine, schema.notices, rows)
        return inserted

    # events

    def iter_unprocessed_events(self, batch_size: int = 5000) -> Iterator[Event]:
        """Yield events not yet marked processed, ordered by (time, event_id).

        Reads ``batch_size`` events per query, so memory does not grow with the store.
        """
        conditions = [schema.events.c.processed.is_(False)]
        with self._failing_as("reading unprocessed events"):
            yield from event_queries.iter_events_where(self._engine, conditions, batch_size)

    def iter_events(
        self,
        *,
        account: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
    ) -> Iterator[Event]:
        """Yield stored events ordered by (time, event_id), processed or not.

        ``start`` is inclusive and ``end`` exclusive; both must be aware datetimes.
        ``account`` matches the user, mailbox or sender an event is filed under.
        """
        conditions = event_queries.event_filters(account=account, start=start, end=end, kinds=kinds)
        with self._failing_as("reading events"):
            yield from event_queries.iter_events_where(self._engine, conditions, 5000)

    def mark_processed(self, event_ids: Iterable[str]) -> None:
        """Mark events processed so :meth:`iter_unprocessed_events` skips them."""
        with self._failing_as("marking events processed"):
            event_queries.mark_processed(self._engine, event_ids)

    # baselines and settings

    def load_baselines(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Return every stored baseline state keyed by (namespace, key)."""
        query = select(
            schema.baselines.c.namespace, schema.baselines.c.key, schema.baselines.c.state
        )
        with self._failing_as("loading baselines"), self._engine.connect() as connection:
            return {
                (row.namespace, row.key): loads_json(row.state) for row in connection.execute(query)
            }

    def save_baselines(self, states: Mapping[tuple[str, str], dict[str, Any]]) -> None:
        """Insert or replace the baseline state of each (namespace, key)."""
        rows = analysis.baseline_rows(states, datetime.now(UTC))
        with self._failing_as("saving baselines"):
            upsert(self._engine, schema.baselines, rows, ("namespace", "key"))

    def get_meta(self, key: str) -> str | None:
        """Return the stored setting ``key``, or ``None`` if it was never set."""
        query = select(schema.meta.c.value).where(schema.meta.c.key == key)
        with self._failing_as(f"reading setting {key!r}"), self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        """Store the setting ``key``. The schema version cannot be set this way."""
        if key == schema.SCHEMA_VERSION_KEY:
            raise ValueError(f"{key!r} is managed by the store and cannot be set")
        with self._failing_as(f"saving setting {key!r}"):
            upsert(self._engine, schema.meta, [{"key": key, "value": column_text(value)}], ("key",))

    # analysis

    def commit_analysis(
        self,
        states: Mapping[tuple[str, str], dict[str, Any]],
        detections: Iterable[dict[str, Any]],
        through: tuple[datetime, str] | None,
    ) -> None:
        """Save the results of scoring and mark the events they cover, in one transaction.

        Upserts the baseline ``states`` as :meth:`save_baselines` does and the
        ``detections`` as :meth:`save_detections` does, and marks processed every
        unprocessed event at or before ``through`` in (time, event_id) order. With
        ``through=None`` no event is marked. If anything fails, including an invalid
        detection part way through, nothing is saved or marked.

        NOTE: events stored by :meth:`add_events` while scoring ran, at or before
        ``through``, are marked too although scoring never saw them. Add events and
        score them one after the other, not at the same time.
        """
        position = analysis.event_position(through) if through is not None else None
        now = datetime.now(UTC)
        with self._failing_as("committing the analysis"), self._engine.begin() as connection:
            analysis.commit_analysis(connection, states, detections, position, now)

    def processed_watermark(self) -> tuple[datetime, str] | None:
        """Return the greatest (time, event_id) of a processed event, or ``None``.

        The time is aware UTC and the id as stored (see ``docs/store.md`` on NUL).
        """
        action = "reading the processed watermark"
        with self._failing_as(action), self._engine.connect() as connection:
            return analysis.processed_watermark(connection)

    def earliest_unprocessed(self) -> tuple[datetime, str] | None:
        """Return the least (time, event_id) of an unprocessed event, or ``None``.

        A position before :meth:`processed_watermark` means late or upgraded events
        arrived behind what was scored, and baselines need rebuilding to score them
        in order (see :meth:`reset_analysis`).
        """
        action = "reading the earliest unprocessed event"
        with self._failing_as(action), self._engine.connect() as connection:
            return analysis.earliest_unprocessed(connection)

    def reset_analysis(self) -> int:
        """Delete baselines, detections and incidents and mark every event unprocessed.

        One transaction. Returns the number of stored events, all to be scored again.
        """
        with self._failing_as("resetting the analysis"), self._engine.begin() as connection:
            return analysis.reset_analysis(connection)

    # directory

    def save_directory(self, entries: Iterable[DirectoryEntry], run_id: int) -> int:
        """Insert or replace directory entries by ``upn`` and return how many were written.

        A later entry for the same ``upn`` replaces an earlier one, within one call and
        across calls. Entries with the same ``upn`` in one call count once.
        """
        now = datetime.now(UTC)
        rows = (directory.directory_row(entry, run_id, now) for entry in entries)
        with self._failing_as(f"saving directory entries of run {run_id}"):
            return upsert(self._engine, schema.directory, rows, ("upn",))

    def load_directory(self) -> list[DirectoryEntry]:
        """Return every stored directory entry, ordered by ``upn``."""
        query = select(schema.directory.c.upn, schema.directory.c.payload).order_by(
            schema.directory.c.upn
        )
        with self._failing_as("loading the directory"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [directory.decode_entry(row.upn, row.payload) for row in rows]

    # findings

    def save_detections(self, detections: Iterable[dict[str, Any]]) -> None:
        """Insert or replace detections by ``detection_id``.

        Each dict needs ``detection_id``, ``model``, ``time`` (ISO 8601 with a zone),
        ``account`` (str or None), ``score`` (int) and ``incident_id`` (str or None).
        The whole dict, other keys included, is stored and returned by
        :meth:`list_detections`.
        """
        rows = (findings.detection_row(detection) for detection in detections)
        with self._failing_as("saving detections"):
            upsert(self._engine, schema.detections, rows, ("detection_id",))

    def save_incidents(self, incidents: Iterable[dict[str, Any]]) -> None:
        """Insert or replace incidents by ``incident_id``.

        Each dict needs ``incident_id``, ``severity`` (int), ``title``, ``first_time``
        and ``last_time`` (ISO 8601 with a zone) and ``accounts`` (list of str). The
        whole dict is stored and returned by :meth:`list_incidents`.
        """
        rows = (findings.incident_row(incident) for incident in incidents)
        with self._failing_as("saving incidents"):
            upsert(self._engine, schema.incidents, rows, ("incident_id",))

    def replace_incidents(self, incidents: Iterable[dict[str, Any]]) -> None:
        """Replace every stored incident with ``incidents`` in one transaction.

        Incidents are rebuilt from all detections on every run; groups that merged
        would otherwise leave their old ids behind.
        """
        rows = [findings.incident_row(incident) for incident in incidents]
        with self._failing_as("replacing incidents"), self._engine.begin() as connection:
            connection.execute(delete(schema.incidents))
            if rows:
                connection.execute(insert(schema.incidents), rows)

    def list_incidents(self, min_severity: int = 0) -> list[dict[str, Any]]:
        """Return incidents with at least ``min_severity``, most severe first, then oldest."""
        with self._failing_as("listing incidents"), self._engine.connect() as connection:
            return findings.list_incidents(connection, min_severity)

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        """Return the incident with this id or unique id prefix, or ``None`` if none matches.

        Raises :class:`~chainwatch.store.findings.AmbiguousIdError` for a prefix of
        several incident ids.
        """
        with self._failing_as("reading an incident"), self._engine.connect() as connection:
            return findings.get_incident(connection, incident_id)

    def list_detections(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        """Return detections ordered by time, all or only those of ``incident_id``."""
        with self._failing_as("listing detections"), self._engine.connect() as connection:
            return findings.list_detections(connection, incident_id)

    # reports on the input

    def list_rejected(
        self, limit: int | None = None, *, include_raw: bool = False
    ) -> list[dict[str, Any]]:
        """Return rejected records in the order stored, with ``raw`` bytes only if asked."""
        columns = [
            schema.rejected.c.run_id,
            schema.rejected.c.file,
            schema.rejected.c.position,
            schema.rejected.c.field,
            schema.rejected.c.reason,
            schema.rejected.c.record_id,
        ]
        if include_raw:
            columns.append(schema.rejected.c.raw)
        query = select(*columns).order_by(schema.rejected.c.rejected_id).limit(limit)
        with self._failing_as("listing rejected records"), self._engine.connect() as connection:
            return [
                {str(key): value for key, value in row._mapping.items()}
                for row in connection.execute(query)
            ]

    def list_notices(self) -> list[dict[str, Any]]:
        """Return notices in the order stored.

        Each has run_id, file, position, kind, message, and start and end: the
        event-time window as aware UTC datetimes, or ``None`` where unknown.
        """
        query = select(
            schema.notices.c.run_id,
            schema.notices.c.file,
            schema.notices.c.position,
            schema.notices.c.kind,
            schema.notices.c.message,
            schema.notices.c.start,
            schema.notices.c.end,
        ).order_by(schema.notices.c.notice_id)
        with self._failing_as("listing notices"), self._engine.connect() as connection:
            return [
                {str(key): value for key, value in row._mapping.items()}
                for row in connection.execute(query)
            ]

    def counts(self) -> dict[str, int]:
        """Return how many records the store holds.

        Keys: one per event kind (``"sign-in"``, ``"email"``, ..., zero if none),
        ``"events"`` (all kinds), ``"unprocessed"``, ``"rejected"``, ``"notices"``,
        ``"detections"`` and ``"incidents"``.
        """
        result: dict[str, int] = dict.fromkeys(sorted(EVENT_TYPES), 0)
        with self._failing_as("counting records"), self._engine.connect() as connection:
            per_kind = connection.execute(
                select(schema.events.c.kind, func.count()).group_by(schema.events.c.kind)
            )
            for kind, count in per_kind:
                result[kind] = count
            result["events"] = sum(result[kind] for kind in EVENT_TYPES)
            result["unprocessed"] = _count(
                connection, select(func.count()).where(schema.events.c.processed.is_(False))
            )
            for name, table in (
                ("rejected", schema.rejected),
                ("notices", schema.notices),
                ("detections", schema.detections),
                ("incidents", schema.incidents),
            ):
                result[name] = _count(connection, select(func.count()).select_from(table))
        return result


def _count(connection: Any, query: Any) -> int:
    return int(connection.execute(query).scalar_one())
