"""The reader contract: what every reader yields and how it reports bad input.

A reader takes the path of one file and yields, for every record in it, either a
normalised event or a :class:`Rejected` record. Line-oriented formats (JSON lines,
CSV, mbox) are streamed; a whole JSON document is loaded only up to
:data:`MAX_JSON_DOCUMENT_BYTES`. A reader never raises for bad content: the record
is set aside with its raw bytes, its position and the reason, and reading goes on
with the next record.
Records that are read but deliberately not turned into events (operations chainwatch
does not model) are counted as ``skipped``, never rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from chainwatch.events import DirectoryEntry, Event, Origin

MAX_JSON_DOCUMENT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record set aside: where it was, which field failed, why, and its raw bytes."""

    origin: Origin
    reason: str
    field: str = ""
    record_id: str | None = None
    raw: bytes = b""

    def describe(self) -> str:
        where = ", ".join(p for p in (self.origin.file, self.origin.position) if p)
        rid = f" (record {self.record_id})" if self.record_id else ""
        what = f"field {self.field!r}: " if self.field else ""
        return f"{where}{rid}: {what}{self.reason}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed record of an operation that chainwatch does not model."""

    origin: Origin
    what: str  # e.g. "UAL operation FolderBind"


@dataclass(frozen=True, slots=True)
class Notice:
    """A fact about a file that is not an error but changes what can be concluded.

    Example: an export capped below its announced ``ResultCount``.
    """

    origin: Origin
    message: str
    kind: str = "coverage"
    # The event-time window the notice concerns, when known: findings whose look-back
    # overlaps it are marked as partial coverage.
    start: datetime | None = None
    end: datetime | None = None


ReadItem = Event | Rejected | Skipped | Notice | DirectoryEntry


class Reader(Protocol):
    """Reads one format. ``sniff`` looks at the first bytes and decides whether it can."""

    name: str

    def sniff(self, head: bytes, path: str) -> bool: ...

    def read(self, path: Path) -> Iterator[ReadItem]: ...


@dataclass
class ReadSummary:
    """Counts of what one run read, per reader and in total."""

    files: int = 0
    events: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0
    upgraded: int = 0  # stored records replaced by a richer copy of the same record
    directory_entries: int = 0  # people and mailboxes read from directory exports
    skipped_kinds: dict[str, int] = field(default_factory=dict)  # what was skipped, counted
    per_reader: dict[str, int] = field(default_factory=dict)
    unreadable_files: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
