"""Readers for email files: single messages (.eml), mbox files and Maildir messages.

All three hand each message's bytes to :func:`~chainwatch.read.mail_parse.parse_messages`
and yield its :class:`~chainwatch.events.EmailMessage` events, one per message plus
one per message forwarded as an attachment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from chainwatch.events import Origin
from chainwatch.read.base import ReadItem, Rejected
from chainwatch.read.mail_mbox import from_line_time, is_from_line, iter_mbox
from chainwatch.read.mail_parse import (
    MAX_MESSAGE_BYTES,
    RAW_SAMPLE_BYTES,
    TimeFallbacks,
    parse_message,
    parse_messages,
)

__all__ = ["EmlReader", "MaildirMessageReader", "MboxReader", "parse_message"]

_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9_.-]*[ \t]*:")
# Outlook writes this line in front of headers it exports as text.
_OUTLOOK_PREAMBLE = b"Microsoft Mail Internet Headers Version 2.0"
_BOM = b"\xef\xbb\xbf"
SNIFF_MAX_LINES = 400

# Fields that mark a header block as mail rather than, say, HTTP headers or YAML.
MAIL_FIELDS = frozenset(
    {
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"received",
        b"message-id",
        b"return-path",
        b"reply-to",
        b"sender",
        b"mime-version",
        b"delivered-to",
        b"x-original-to",
        b"envelope-to",
        b"authentication-results",
        b"dkim-signature",
        b"arc-seal",
        b"thread-topic",
        b"x-mailer",
        b"in-reply-to",
        b"references",
    }
)
MAILDIR_SUBFOLDERS = ("cur", "new", "tmp")


def looks_like_header_block(head: bytes) -> bool:
    """Return whether ``head`` starts with an RFC 5322 header block of a mail message.

    The first line must be a header field. An optional ``From_`` envelope line, UTF-8
    byte order mark or Outlook preamble may come before it. At least one field must be
    a mail field such as From, Received or Message-ID, and the block must either
    contain two fields or end with a blank line.
    """
    lines = head.removeprefix(_BOM).split(b"\n", SNIFF_MAX_LINES)[:SNIFF_MAX_LINES]
    if lines and (is_from_line(lines[0] + b"\n") or lines[0].strip() == _OUTLOOK_PREAMBLE):
        lines = lines[1:]
    if not lines or _HEADER_LINE.match(lines[0]) is None:
        return False

    fields = 0
    mail_fields = 0
    for index, line in enumerate(lines):
        stripped = line.rstrip(b"\r")
        if not stripped:
            return mail_fields > 0
        if stripped[:1] in (b" ", b"\t"):
            continue
        if _HEADER_LINE.match(stripped) is None:
            # The last line may be cut by the sniff window; anything else ends the block.
            if index < len(lines) - 1:
                break
            continue
        fields += 1
        name = stripped.split(b":", 1)[0].strip().lower()
        if name in MAIL_FIELDS:
            mail_fields += 1
    return mail_fields > 0 and fields >= 2


def is_maildir_message(path: Path) -> bool:
    """Return whether ``path`` sits in ``cur`` or ``new`` of a folder with cur, new and tmp."""
    parent = path.parent
    if parent.name not in ("cur", "new"):
        return False
    root = parent.parent
    return all((root / name).is_dir() for name in MAILDIR_SUBFOLDERS)


def _file_time(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, OverflowError):
        return None


def _read_whole_message(path: Path) -> Iterator[ReadItem]:
    """Yield the events of a file holding one message, with an optional envelope line."""
    origin = Origin(str(path), "")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MESSAGE_BYTES + 1)
    except OSError as exc:
        yield Rejected(origin, f"cannot read file: {exc.strerror or exc}")
        return
    if len(data) > MAX_MESSAGE_BYTES:
        reason = f"message is over the limit of {MAX_MESSAGE_BYTES} bytes"
        yield Rejected(origin, reason, field="size", raw=data[:RAW_SAMPLE_BYTES])
        return

    envelope_time = None
    first_line_end = data.find(b"\n")
    first_line = data[: first_line_end + 1].removeprefix(_BOM).strip()
    if first_line_end != -1 and first_line == _OUTLOOK_PREAMBLE:
        data = data[first_line_end + 1 :]
        first_line_end = data.find(b"\n")
    if first_line_end != -1 and is_from_line(data[: first_line_end + 1]):
        envelope_time = from_line_time(data[: first_line_end + 1])
        data = data[first_line_end + 1 :]

    fallbacks = TimeFallbacks(envelope_time=envelope_time, file_time=_file_time(path))
    yield from parse_messages(data, origin, fallbacks)


class EmlReader:
    """Reads a file holding one RFC 5322 message, optionally after a ``From_`` line."""

    name = "eml"

    def sniff(self, head: bytes, path: str) -> bool:
        return looks_like_header_block(head) and not is_maildir_message(Path(path))

    def read(self, path: Path) -> Iterator[ReadItem]:
        yield from _read_whole_message(path)


class MaildirMessageReader:
    """Reads one message file of a Maildir, found by its place in ``cur`` or ``new``."""

    name = "maildir"

    def sniff(self, head: bytes, path: str) -> bool:
        return bool(head.strip()) and is_maildir_message(Path(path))

    def read(self, path: Path) -> Iterator[ReadItem]:
        yield from _read_whole_message(path)


class MboxReader:
    """Reads an mbox file message by message, without loading the whole file."""

    name = "mbox"

    def __init__(self, *, unescape_from: bool = True) -> None:
        self.unescape_from = unescape_from

    def sniff(self, head: bytes, path: str) -> bool:
        first_line_end = head.find(b"\n")
        if first_line_end == -1 or not is_from_line(head[: first_line_end + 1]):
            return False
        if is_maildir_message(Path(path)):
            return False
        return _HEADER_LINE.match(head[first_line_end + 1 :]) is not None

    def read(self, path: Path) -> Iterator[ReadItem]:
        file_time = _file_time(path)
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield Rejected(Origin(str(path), ""), f"cannot read file: {exc.strerror or exc}")
            return

        with handle:
            members = iter_mbox(handle, unescape_from=self.unescape_from)
            while True:
                origin = Origin(str(path), "")
                try:
                    member = next(members)
                except StopIteration:
                    return
                except OSError as exc:
                    yield Rejected(origin, f"reading stopped: {exc.strerror or exc}")
                    return

                origin = Origin(str(path), f"message {member.number}")
                if member.size > MAX_MESSAGE_BYTES:
                    reason = (
                        f"message is {member.size} bytes, over the limit of "
                        f"{MAX_MESSAGE_BYTES} bytes"
                    )
                    yield Rejected(origin, reason, field="size")
                    continue
                fallbacks = TimeFallbacks(envelope_time=member.envelope_time, file_time=file_time)
                yield from parse_messages(member.data, origin, fallbacks)
