"""Reader for Outlook ``.msg`` files (MAPI properties in an OLE2 compound file).

The format is Microsoft's [MS-OXMSG]. A fixed-size property (a time, an integer) is
a 16-byte entry in the ``__properties_version1.0`` stream. Any other property is a
stream of its own named ``__substg1.0_IIIITTTT``, where ``IIII`` is the property id
and ``TTTT`` its type in hex. Recipients and attachments
are sub-storages ``__recip_version1.0_#XXXXXXXX`` and ``__attach_version1.0_#XXXXXXXX``,
and an attached message is a nested message storage ``__substg1.0_3701000D``.

The streams are read here with ``olefile`` (BSD licence). extract-msg is not used
because it is GPL-3.0 and chainwatch is Apache-2.0.

When the message kept its Internet headers (``PR_TRANSPORT_MESSAGE_HEADERS``), they are
parsed by the same code as an .eml, so the event matches its MIME copy. Otherwise the
fields come from MAPI properties and header-derived fields are marked unavailable.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import struct
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import olefile

from chainwatch.events import AuthResults, EmailMessage, Origin
from chainwatch.read.base import ReadItem, Rejected
from chainwatch.read.mail_attachments import (
    FORM_TEXT_PREFIX,
    attachment_type,
    form_actions,
    is_web_page,
)
from chainwatch.read.mail_charset import decode_bytes
from chainwatch.read.mail_headers import message_id
from chainwatch.read.mail_links import LinkCollector, anchors_in_html, urls_in_html, urls_in_text
from chainwatch.read.mail_parse import (
    MAX_HEADER_BLOCK_BYTES,
    MAX_NESTED_DEPTH,
    MAX_TEXT_BYTES_PER_PART,
    TimeFallbacks,
    build_events,
)
from chainwatch.read.mail_qr import MAX_IMAGE_BYTES, QrScanner, is_scannable_image
from chainwatch.read.mail_text import ExcerptBuilder

log = logging.getLogger(__name__)

READER_NAME = "outlook-msg"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ATTACHMENTS = 500
MAX_RECIPIENTS = 5000

# Property types ([MS-OXCDATA] 2.11.1).
PT_LONG = 0x0003
PT_BOOLEAN = 0x000B
PT_OBJECT = 0x000D
PT_STRING8 = 0x001E  # 8-bit text in the message codepage
PT_UNICODE = 0x001F  # UTF-16LE
PT_SYSTIME = 0x0040  # FILETIME: 100 ns ticks since 1601-01-01 UTC
PT_BINARY = 0x0102

# Property ids ([MS-OXPROPS]).
PR_SUBJECT = 0x0037
PR_CLIENT_SUBMIT_TIME = 0x0039
PR_SENT_REPRESENTING_NAME = 0x0042
PR_SENT_REPRESENTING_EMAIL_ADDRESS = 0x0065
PR_TRANSPORT_MESSAGE_HEADERS = 0x007D
PR_SENDER_NAME = 0x0C1A
PR_SENDER_EMAIL_ADDRESS = 0x0C1F
PR_DISPLAY_TO = 0x0E04
PR_MESSAGE_DELIVERY_TIME = 0x0E06
PR_BODY = 0x1000
PR_BODY_HTML = 0x1013
PR_INTERNET_MESSAGE_ID = 0x1035
PR_DISPLAY_NAME = 0x3001
PR_EMAIL_ADDRESS = 0x3003
PR_ATTACH_DATA = 0x3701
PR_ATTACH_FILENAME = 0x3704
PR_ATTACH_METHOD = 0x3705
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_MIME_TAG = 0x370E
PR_SMTP_ADDRESS = 0x39FE
PR_INTERNET_CPID = 0x3FDE
PR_MESSAGE_CODEPAGE = 0x3FFD
PR_SENDER_SMTP_ADDRESS = 0x5D01
PR_SENT_REPRESENTING_SMTP_ADDRESS = 0x5D02

ATTACH_EMBEDDED_MSG = 5
PROPERTIES_STREAM = "__properties_version1.0"
RECIPIENT_PREFIX = "__recip_version1.0_#"
ATTACHMENT_PREFIX = "__attach_version1.0_#"
EMBEDDED_STORAGE = "__substg1.0_3701000D"
# Bytes before the first 16-byte entry of ``__properties_version1.0``.
TOP_HEADER_BYTES = 32
EMBEDDED_HEADER_BYTES = 24
SUB_OBJECT_HEADER_BYTES = 8

DEFAULT_CODEPAGE = "cp1252"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _add_defect(defects: list[str], defect: str) -> None:
    if defect not in defects:
        defects.append(defect)


def _codec_for_codepage(number: int | None) -> str | None:
    """Return the Python codec for a Windows code page number, or ``None`` if unknown."""
    if number is None:
        return None
    name = "utf-8" if number == 65001 else f"cp{number}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def filetime_to_datetime(value: int) -> datetime | None:
    """Convert a FILETIME into aware UTC, or ``None`` for zero or out-of-range values."""
    if value <= 0:
        return None
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError:
        return None


class MessageStorage:
    """The properties of one message, recipient or attachment storage in a .msg file."""

    def __init__(
        self,
        ole: olefile.OleFileIO,
        path: list[str],
        header_bytes: int,
        codepage: str = DEFAULT_CODEPAGE,
    ) -> None:
        self.ole = ole
        self.path = path
        self.codepage = codepage
        self.fixed = self._read_fixed(header_bytes)
        number = self.long(PR_MESSAGE_CODEPAGE)
        self.codepage = _codec_for_codepage(number) or codepage

    def _read_fixed(self, header_bytes: int) -> dict[int, tuple[int, bytes]]:
        data = self.read_stream(PROPERTIES_STREAM, limit=MAX_HEADER_BLOCK_BYTES)
        fixed: dict[int, tuple[int, bytes]] = {}
        if data is None:
            return fixed
        for offset in range(header_bytes, len(data) - 15, 16):
            prop_type, prop_id = struct.unpack_from("<HH", data, offset)
            fixed.setdefault(prop_id, (prop_type, data[offset + 8 : offset + 16]))
        return fixed

    def exists(self, name: str, kind: int = olefile.STGTY_STREAM) -> bool:
        entry = [*self.path, name]
        return bool(self.ole.exists(entry)) and self.ole.get_type(entry) == kind

    def read_stream(self, name: str, limit: int = MAX_TEXT_BYTES_PER_PART) -> bytes | None:
        """Return a stream's bytes, at most ``limit`` of them, or ``None`` when absent."""
        if not self.exists(name):
            return None
        with self.ole.openstream([*self.path, name]) as stream:
            return stream.read(limit)

    def string(self, prop_id: int) -> str | None:
        """Return a text property, from its UTF-16 or its 8-bit stream, without trailing NULs."""
        data = self.read_stream(f"__substg1.0_{prop_id:04X}{PT_UNICODE:04X}")
        if data is not None:
            text = data[: len(data) - len(data) % 2].decode("utf-16-le", errors="replace")
        else:
            data = self.read_stream(f"__substg1.0_{prop_id:04X}{PT_STRING8:04X}")
            if data is None:
                return None
            text = data.decode(self.codepage, errors="replace")
        text = text.rstrip("\x00").strip()
        return text or None

    def binary(self, prop_id: int) -> bytes | None:
        return self.read_stream(f"__substg1.0_{prop_id:04X}{PT_BINARY:04X}")

    def long(self, prop_id: int) -> int | None:
        found = self.fixed.get(prop_id)
        if found is None or found[0] != PT_LONG:
            return None
        return int(struct.unpack_from("<i", found[1])[0])

    def time(self, prop_id: int) -> datetime | None:
        found = self.fixed.get(prop_id)
        if found is None or found[0] != PT_SYSTIME:
            return None
        return filetime_to_datetime(struct.unpack_from("<q", found[1])[0])

    def children(self, prefix: str) -> list[str]:
        """Return the names of direct sub-storages whose name starts with ``prefix``, sorted."""
        depth = len(self.path) + 1
        names = {
            entry[-1]
            for entry in self.ole.listdir(streams=False, storages=True)
            if len(entry) == depth and entry[:-1] == self.path and entry[-1].startswith(prefix)
        }
        return sorted(names)


def _first_address(storage: MessageStorage, prop_ids: tuple[int, ...]) -> str | None:
    for prop_id in prop_ids:
        value = storage.string(prop_id)
        if value and "@" in value:
            return value.strip().lower()
    return None


def _recipients(storage: MessageStorage, defects: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for index, name in enumerate(storage.children(RECIPIENT_PREFIX)):
        if index >= MAX_RECIPIENTS:
            _add_defect(defects, "recipients-capped")
            break
        recipient = MessageStorage(
            storage.ole, [*storage.path, name], SUB_OBJECT_HEADER_BYTES, storage.codepage
        )
        address = _first_address(recipient, (PR_SMTP_ADDRESS, PR_EMAIL_ADDRESS))
        if address is not None:
            found.append(address)
    return tuple(dict.fromkeys(found))


def _html_text(storage: MessageStorage, data: bytes, defects: list[str]) -> str:
    codec = _codec_for_codepage(storage.long(PR_INTERNET_CPID)) or storage.codepage
    text, defect = decode_bytes(data, codec)
    if defect:
        _add_defect(defects, defect)
    return text


def _add_html_links(links: LinkCollector, html: str) -> None:
    links.add_urls(urls_in_html(html))
    links.add_display_texts(anchors_in_html(html))


class _Content:
    """Links, attachments, body text and embedded messages of one message storage."""

    def __init__(self) -> None:
        self.links = LinkCollector()
        self.attachments: list[str] = []
        self.attachment_types: list[str] = []
        self.embedded: list[tuple[list[str], str]] = []
        self.excerpt = ExcerptBuilder()
        self.qr = QrScanner()


def _read_body(storage: MessageStorage, content: _Content, defects: list[str]) -> None:
    html_bytes = storage.binary(PR_BODY_HTML)
    html = _html_text(storage, html_bytes, defects) if html_bytes is not None else None
    if html is None:
        html = storage.string(PR_BODY_HTML)
    if html is not None:
        _add_html_links(content.links, html)
    body = storage.string(PR_BODY)
    if body is not None:
        content.links.add_urls(urls_in_text(body))
        content.excerpt.add_plain(body)
    elif html is not None:
        content.excerpt.add_html(html)
    # NOTE: links that exist only in the compressed RTF body (PR_RTF_COMPRESSED) are
    # not read; Outlook normally stores a plain or HTML body beside it.


def _read_attachment_data(
    attachment: MessageStorage, label: str, content_type: str, content: _Content, defects: list[str]
) -> None:
    """Read QR codes of an image, and the links and forms of an attached web page."""
    if is_scannable_image(content_type, label):
        data = attachment.read_stream(
            f"__substg1.0_{PR_ATTACH_DATA:04X}{PT_BINARY:04X}", limit=MAX_IMAGE_BYTES + 1
        )
        if data is not None:
            found = content.qr.scan(data, label)
            content.links.add_urls(url for url, _ in found)
            content.links.add_display_texts(found)
    elif is_web_page(content_type, label):
        # An attached web page is a common credential lure.
        data = attachment.binary(PR_ATTACH_DATA)
        if data is not None:
            html = _html_text(attachment, data, defects)
            content.links.add_urls(urls_in_html(html))
            # Before the anchors, so that a form's target keeps this text: first text wins.
            content.links.add_display_texts(
                (action, f"{FORM_TEXT_PREFIX}{label}") for action in form_actions(html)
            )
            content.links.add_display_texts(anchors_in_html(html))


def _attachment_name(attachment: MessageStorage, index: int, embedded: bool) -> str:
    for prop_id in (PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME, PR_DISPLAY_NAME):
        value = attachment.string(prop_id)
        if value:
            return " ".join(value.split())
    return f"attachment-{index}.msg" if embedded else f"attachment-{index}.bin"


def _read_attachments(
    storage: MessageStorage, content: _Content, depth: int, defects: list[str]
) -> None:
    for index, name in enumerate(storage.children(ATTACHMENT_PREFIX), start=1):
        if index > MAX_ATTACHMENTS:
            _add_defect(defects, "attachments-capped")
            return
        try:
            attachment = MessageStorage(
                storage.ole, [*storage.path, name], SUB_OBJECT_HEADER_BYTES, storage.codepage
            )
            embedded = attachment.exists(EMBEDDED_STORAGE, olefile.STGTY_STORAGE)
            if attachment.long(PR_ATTACH_METHOD) == ATTACH_EMBEDDED_MSG and not embedded:
                _add_defect(defects, "embedded-message-missing")
            label = _attachment_name(attachment, index, embedded)
            mime_tag = "message/rfc822" if embedded else attachment.string(PR_ATTACH_MIME_TAG)
            content_type = attachment_type(mime_tag, label)
            content.attachments.append(label)
            content.attachment_types.append(content_type)
            if embedded:
                if depth + 1 > MAX_NESTED_DEPTH:
                    _add_defect(defects, "nesting-capped")
                else:
                    content.embedded.append(([*attachment.path, EMBEDDED_STORAGE], label))
            else:
                _read_attachment_data(attachment, label, content_type, content, defects)
        except (OSError, ValueError, struct.error) as exc:
            log.debug("unreadable attachment %s: %s", name, exc)
            _add_defect(defects, "attachment-unreadable")


def _content_digest(storage: MessageStorage) -> str:
    digest = hashlib.sha256()
    for prop_id in (PR_SUBJECT, PR_BODY, PR_SENDER_EMAIL_ADDRESS, PR_DISPLAY_TO):
        digest.update((storage.string(prop_id) or "").encode("utf-8"))
        digest.update(b"\0")
    digest.update(storage.read_stream(PROPERTIES_STREAM) or b"")
    return digest.hexdigest()


def _from_headers(
    headers: str, origin: Origin, fallback_time: datetime | None, depth: int
) -> EmailMessage | None:
    """Build the event from the saved Internet headers, or ``None`` if none parse."""
    data = headers.encode("utf-8", errors="replace")[:MAX_HEADER_BLOCK_BYTES]
    message = BytesParser(policy=compat32).parsebytes(data.strip() + b"\r\n\r\n", headersonly=True)
    fallbacks = TimeFallbacks(envelope_time=fallback_time)
    built = build_events(message, None, origin, fallbacks, depth)
    first = built[0] if built else None
    return first if isinstance(first, EmailMessage) else None


def _from_properties(
    storage: MessageStorage, origin: Origin, fallback_time: datetime | None, depth: int
) -> EmailMessage | Rejected:
    mid = message_id(storage.string(PR_INTERNET_MESSAGE_ID))
    time = storage.time(PR_MESSAGE_DELIVERY_TIME)
    date_source = "received"
    if time is None:
        time = storage.time(PR_CLIENT_SUBMIT_TIME)
        date_source = "date"
    if time is None:
        time, date_source = fallback_time, "file"
    if time is None:
        reason = "no delivery or submit time, and the file time is unknown"
        return Rejected(origin, reason, field="PR_MESSAGE_DELIVERY_TIME", record_id=mid)

    author = _first_address(
        storage, (PR_SENT_REPRESENTING_SMTP_ADDRESS, PR_SENT_REPRESENTING_EMAIL_ADDRESS)
    )
    sender = _first_address(storage, (PR_SENDER_SMTP_ADDRESS, PR_SENDER_EMAIL_ADDRESS))
    name = storage.string(PR_SENT_REPRESENTING_NAME) if author else None
    name = name or storage.string(PR_SENDER_NAME)
    event_id = f"mail:{mid}" if mid else f"mail:sha256:{_content_digest(storage)}"
    return EmailMessage(
        event_id=event_id,
        time=time,
        source=READER_NAME,
        origin=origin,
        message_id=mid,
        sender=author or sender,
        sender_name=name,
        envelope_sender=sender if author and sender and sender != author else None,
        subject=storage.string(PR_SUBJECT),
        auth=AuthResults(available=False),
        date_source=date_source,
        nested_depth=depth,
    )


def read_message_storage(
    storage: MessageStorage, origin: Origin, fallback_time: datetime | None, depth: int = 0
) -> list[EmailMessage | Rejected]:
    """Build the event for one message storage, then one per embedded message in it."""
    defects: list[str] = []
    content = _Content()
    _read_body(storage, content, defects)
    _read_attachments(storage, content, depth, defects)
    recipients = _recipients(storage, defects)
    if content.links.capped:
        _add_defect(defects, "links-capped")
    for defect in content.qr.defects:
        _add_defect(defects, defect)

    headers = storage.string(PR_TRANSPORT_MESSAGE_HEADERS)
    event: EmailMessage | Rejected | None = None
    if headers:
        event = _from_headers(headers, origin, fallback_time, depth)
    if event is None:
        event = _from_properties(storage, origin, fallback_time, depth)
    if isinstance(event, Rejected):
        return [event]

    event = replace(
        event,
        source=READER_NAME,
        recipients=tuple(dict.fromkeys(event.recipients + recipients)),
        links=content.links.links(),
        attachments=tuple(content.attachments),
        attachment_types=tuple(content.attachment_types),
        text_excerpt=content.excerpt.excerpt(),
        defects=tuple(dict.fromkeys(event.defects + tuple(defects))),
    )
    events: list[EmailMessage | Rejected] = [event]
    for path, label in content.embedded:
        position = f"{origin.position}, {label}" if origin.position else label
        inner_origin = Origin(origin.file, position)
        try:
            inner = MessageStorage(storage.ole, path, EMBEDDED_HEADER_BYTES, storage.codepage)
            events.extend(read_message_storage(inner, inner_origin, event.time, depth + 1))
        except (OSError, ValueError, struct.error) as exc:
            events.append(Rejected(inner_origin, f"embedded message is unreadable: {exc}"))
    return events


def _file_time(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, OverflowError):
        return None


class OutlookMsgReader:
    """Reads an Outlook .msg file into its event and those of attached messages."""

    name = READER_NAME

    def sniff(self, head: bytes, path: str) -> bool:
        # Any OLE2 file is taken; one without message streams is rejected by ``read``.
        return head.startswith(OLE_MAGIC)

    def read(self, path: Path) -> Iterator[ReadItem]:
        origin = Origin(str(path), "")
        try:
            with olefile.OleFileIO(str(path)) as ole:
                if not ole.exists(PROPERTIES_STREAM):
                    reason = "OLE2 file without MAPI properties, so not an Outlook message"
                    yield Rejected(origin, reason, field=PROPERTIES_STREAM)
                    return
                storage = MessageStorage(ole, [], TOP_HEADER_BYTES)
                events = read_message_storage(storage, origin, _file_time(path))
        except Exception as exc:  # hostile input must never stop a reader, whatever it triggers
            log.debug("outlook .msg read failed for %s", path, exc_info=True)
            reason = f"Outlook message could not be read: {type(exc).__name__}: {exc}"
            yield Rejected(origin, reason[:500])
            return
        yield from events
