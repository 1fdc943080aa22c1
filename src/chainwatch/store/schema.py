"""Tables of the chainwatch store, in dialect-neutral SQLAlchemy Core.

Bump :data:`SCHEMA_VERSION` whenever a table or column changes. :mod:`.connect`
rejects a database whose recorded version differs from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 2
SCHEMA_VERSION_KEY = "schema_version"

# Identifiers compare and sort by code point on both backends. PostgreSQL would otherwise
# use the database's locale collation, which orders differently from SQLite.
IdText = Text().with_variant(Text(collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no time type, so the value is stored
    as naive UTC text in SQLAlchemy's fixed-width format, which sorts in time order.
    Results are always aware datetimes in UTC. Binding a naive datetime raises
    ``ValueError`` because its zone is unknown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = to_utc(value)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC, or raise ``ValueError`` for a naive one."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (UTC)")
    return value.astimezone(UTC)


metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("command", Text, nullable=False),
    Column("inputs", Text, nullable=False),  # JSON list of paths
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("summary", Text),  # JSON object
)

events = Table(
    "events",
    metadata,
    Column("event_id", IdText, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("time", UtcDateTime, nullable=False, index=True),
    Column("account", IdText),  # None for a message without a From address
    Column("source", Text, nullable=False),
    Column("run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("processed", Boolean, nullable=False, default=False, server_default=false()),
    # chainwatch.store.richness.event_richness: a richer copy of the same id replaces this one
    Column("richness", Integer, nullable=False, default=0, server_default="0"),
    Column("payload", Text, nullable=False),  # chainwatch.events.event_to_dict as JSON
    Index("ix_events_unprocessed", "processed", "time", "event_id"),
    Index("ix_events_account_time", "account", "time"),
)

rejected = Table(
    "rejected",
    metadata,
    Column("rejected_id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("file", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("record_id", Text),
    Column("raw", LargeBinary, nullable=False),
)

notices = Table(
    "notices",
    metadata,
    Column("notice_id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("file", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("message", Text, nullable=False),
    # The event-time window the notice concerns, when the reader knows it.
    Column("start", UtcDateTime),
    Column("end", UtcDateTime),
)

directory = Table(
    "directory",
    metadata,
    Column("upn", IdText, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.run_id"), nullable=False),  # the last writer
    Column("payload", Text, nullable=False),  # the DirectoryEntry as a JSON object
    Column("updated_at", UtcDateTime, nullable=False),
)

baselines = Table(
    "baselines",
    metadata,
    Column("namespace", String(200), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("state", Text, nullable=False),  # JSON object
    Column("updated_at", UtcDateTime, nullable=False),
)

detections = Table(
    "detections",
    metadata,
    Column("detection_id", IdText, primary_key=True),
    Column("model", Text, nullable=False),
    Column("time", UtcDateTime, nullable=False, index=True),
    Column("account", IdText),
    Column("score", Integer, nullable=False),
    # Not a foreign key: detections are saved before the incident stage groups them.
    Column("incident_id", IdText, index=True),
    Column("payload", Text, nullable=False),  # the whole detection dict as JSON
)

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", IdText, primary_key=True),
    Column("severity", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("first_time", UtcDateTime, nullable=False),
    Column("last_time", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),  # the whole incident dict as JSON
    Index("ix_incidents_severity", "severity", "first_time"),
)
