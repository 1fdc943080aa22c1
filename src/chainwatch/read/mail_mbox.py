"""Streaming mbox splitting and ``From_`` envelope lines.

A message starts at a line that is a complete ``From_`` line (``From <sender>
<asctime date>``) and that follows a blank line or starts the file. A body line such
as "From the attached statement…" is therefore never taken for a separator, even
after a blank line, which is where Python's ``mailbox.mbox`` splits wrongly. One
``>`` is removed from ``>From `` and ``>>From `` lines, as mboxrd escaping requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from chainwatch.read.mail_parse import MAX_MESSAGE_BYTES

READ_CHUNK_BYTES = 1024 * 1024

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# The sender is an address, "MAILER-DAEMON" or "-" (Thunderbird). Some writers put a
# zone name or offset before the year, or text such as "remote from host" after it.
FROM_LINE = re.compile(
    rb"From \S+[ \t]+"
    + (
        _DAY
        + r"[ \t]+"
        + _MONTH
        + r"[ \t]+(?P<day>\d{1,2})[ \t]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
        + r"(?:[ \t]+(?:[A-Za-z]{1,5}|[+-]\d{4}))?[ \t]+(?P<year>\d{4})"
    ).encode("ascii")
    + rb"(?:[ \t][^\r\n]*)?\r?\n?\Z"
)
_ESCAPED_FROM = re.compile(rb">+From ")
_MONTHS = {
    name: index
    for index, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        start=1,
    )
}


def from_line_time(line: bytes) -> datetime | None:
    """Return the date of a ``From_`` line as UTC, or ``None`` if it is not a ``From_`` line.

    NOTE: asctime dates carry no zone. Delivery agents write local time, which is
    unknown here, so the value is taken as UTC and may be off by the server's offset.
    """
    match = FROM_LINE.match(line)
    if match is None:
        return None
    try:
        return datetime(
            int(match.group("year")),
            _MONTHS[match.group("month").decode("ascii")],
            int(match.group("day")),
            int(match.group("hour")),
            int(match.group("minute")),
            int(match.group("second") or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def is_from_line(line: bytes) -> bool:
    """Return whether ``line`` is a complete mbox ``From_`` separator line."""
    return line.startswith(b"From ") and FROM_LINE.match(line) is not None


@dataclass(frozen=True, slots=True)
class MboxMember:
    """One message of an mbox: its number from 1, bytes and envelope date.

    ``data`` is empty when the message is larger than ``MAX_MESSAGE_BYTES``; ``size``
    always counts every byte that was read.
    """

    number: int
    data: bytes
    size: int
    envelope_time: datetime | None


class _Accumulator:
    def __init__(self, number: int, envelope_time: datetime | None) -> None:
        self.number = number
        self.envelope_time = envelope_time
        self.chunks: list[bytes] = []
        self.size = 0
        self.oversize = False

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.oversize:
            return
        if self.size > MAX_MESSAGE_BYTES:
            self.oversize = True
            self.chunks.clear()
            return
        self.chunks.append(chunk)

    def finish(self) -> MboxMember:
        data = b"".join(self.chunks)
        # The blank line before the next From_ line belongs to the separator.
        if data.endswith(b"\r\n\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n\n"):
            data = data[:-1]
        return MboxMember(
            self.number, b"" if self.oversize else data, self.size, self.envelope_time
        )


def iter_mbox(handle: BinaryIO, *, unescape_from: bool = True) -> Iterator[MboxMember]:
    """Yield the messages of an mbox file one at a time, reading it line by line.

    Lines are read in chunks of at most :data:`READ_CHUNK_BYTES`, so a file without
    line breaks is never loaded whole. Text before the first ``From_`` line, if any,
    is yielded as message 1 without an envelope date. With ``unescape_from`` off
    (mboxo files, where unescaping is lossy) ``>From `` lines are kept as they are.
    """
    current: _Accumulator | None = None
    number = 0
    previous_blank = True
    at_line_start = True

    while True:
        line = handle.readline(READ_CHUNK_BYTES)
        if not line:
            break
        line_start = at_line_start
        at_line_start = line.endswith(b"\n")

        if line_start and previous_blank and is_from_line(line):
            if current is not None:
                yield current.finish()
            number += 1
            current = _Accumulator(number, from_line_time(line))
            previous_blank = False
            continue

        if current is None:
            if not line.strip():
                continue
            number += 1
            current = _Accumulator(number, None)
        if line_start and unescape_from and _ESCAPED_FROM.match(line):
            line = line[1:]
        current.add(line)
        previous_blank = line_start and line in (b"\n", b"\r\n")

    if current is not None:
        yield current.finish()
