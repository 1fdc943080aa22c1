"""Turn the bytes of one RFC 5322 message into :class:`EmailMessage` events.

Every reader of mail (``.eml``, mbox, Maildir) goes through
:func:`parse_messages`. It parses the bytes once with the standard library's compat32
policy, which is about three times faster than ``email.policy.default``, and decodes
header fields itself (see :mod:`chainwatch.read.mail_charset`).

A TNEF part (``winmail.dat``) adds the names of the attachments and the body links
it wraps; see :mod:`chainwatch.read.tnef`. QR codes in PNG, JPEG and GIF parts add
their links (see :mod:`chainwatch.read.mail_qr`), and the start of the body text becomes
``text_excerpt`` (see :mod:`chainwatch.read.mail_text`).

A message forwarded as an attachment (``message/rfc822``) becomes its own event with
``nested_depth`` one higher, so its links and attachments are not credited to the
person who forwarded it. Sizes are bounded: a message over a part, header, nesting or
text limit is still returned from what was read, with a defect naming the limit; a
message over the whole-message size limit is rejected.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from chainwatch.events import EmailMessage, Origin
from chainwatch.read.base import Rejected
from chainwatch.read.mail_attachments import (
    FORM_TEXT_PREFIX,
    attachment_type,
    form_actions,
    is_web_page,
)
from chainwatch.read.mail_charset import decode_bytes, decode_encoded_words, decode_raw_header
from chainwatch.read.mail_headers import (
    HeaderView,
    addresses,
    auth_results,
    is_bulk,
    message_id,
    parse_date,
    received_time,
    return_path,
    sending_ip,
    unique_addresses,
)
from chainwatch.read.mail_links import (
    LinkCollector,
    anchors_in_html,
    urls_in_html,
    urls_in_text,
)
from chainwatch.read.mail_qr import QrScanner, is_scannable_image
from chainwatch.read.mail_text import ExcerptBuilder
from chainwatch.read.tnef import read_tnef

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_MESSAGE_BYTES = 50 * MIB
MAX_HEADER_BLOCK_BYTES = 1 * MIB
MAX_HEADER_LINE_BYTES = 64 * 1024  # applied only inside a header block over the block limit
MAX_MIME_PARTS = 1000
MAX_TEXT_BYTES_PER_PART = 10 * MIB
MAX_NESTED_DEPTH = 3  # forwarded messages inside forwarded messages
MAX_MULTIPART_DEPTH = 32  # multipart containers inside one another, within one message

READER_NAME = "mail"
RAW_SAMPLE_BYTES = 4096
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/x-amp-html"})
SVG_TYPE = "image/svg+xml"
FORWARDED_TYPES = frozenset({"message/rfc822", "message/global"})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
KNOWN_TRANSFER_ENCODINGS = frozenset(
    {"", "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode"}
)


@dataclass(frozen=True, slots=True)
class TimeFallbacks:
    """Times to use when a message has no valid ``Date``, in order of preference.

    ``envelope_time`` is the mbox ``From_`` line's date; ``file_time`` is the file's
    modification time.
    """

    envelope_time: datetime | None = None
    file_time: datetime | None = None


@dataclass(slots=True)
class _Body:
    """Links, attachments, body text, forwarded messages and defects of one MIME tree."""

    links: LinkCollector = field(default_factory=LinkCollector)
    attachments: list[str] = field(default_factory=list)
    attachment_types: list[str] = field(default_factory=list)
    forwarded: list[tuple[Message, str]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    excerpt: ExcerptBuilder = field(default_factory=ExcerptBuilder)
    qr: QrScanner = field(default_factory=QrScanner)
    inline_images: int = 0

    def add_attachment(self, name: str, content_type: str | None) -> None:
        self.attachments.append(name)
        self.attachment_types.append(attachment_type(content_type, name))


def _add_defect(defects: list[str], defect: str) -> None:
    if defect not in defects:
        defects.append(defect)


def cap_header_block(data: bytes) -> tuple[bytes, bool]:
    """Shorten a header block over :data:`MAX_HEADER_BLOCK_BYTES`, keeping the body.

    Over-long lines are cut to :data:`MAX_HEADER_LINE_BYTES` first, so that one huge
    field does not push out the fields after it. Lines past the block limit are dropped.
    Returns the bytes to parse and whether anything was cut.
    """
    end = data.find(b"\n\n")
    end_crlf = data.find(b"\n\r\n")
    if end_crlf != -1 and (end == -1 or end_crlf < end):
        end = end_crlf
    header_end = len(data) if end == -1 else end + 1
    if header_end <= MAX_HEADER_BLOCK_BYTES:
        return data, False

    kept_lines: list[bytes] = []
    total = 0
    for line in data[:header_end].splitlines(keepends=True):
        if len(line) > MAX_HEADER_LINE_BYTES:
            line = line[:MAX_HEADER_LINE_BYTES] + b"\n"
        if total + len(line) > MAX_HEADER_BLOCK_BYTES:
            break
        kept_lines.append(line)
        total += len(line)
    return b"".join(kept_lines) + data[header_end:], True


def _filename(part: Message) -> str | None:
    name = part.get_filename()
    if not name:
        return None
    text = decode_encoded_words(decode_raw_header(str(name)))
    return " ".join(text.split()) or None


def _synthesised_name(content_type: str, index: int) -> str:
    extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"attachment-{index}{extension}"


def _part_text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    if len(payload) > MAX_TEXT_BYTES_PER_PART:
        payload = payload[:MAX_TEXT_BYTES_PER_PART]
        _add_defect(defects, "text-capped")
    text, defect = decode_bytes(payload, part.get_content_charset())
    if defect:
        _add_defect(defects, defect)
    return text


def _record_parser_defects(part: Message, defects: list[str]) -> None:
    for defect in getattr(part, "defects", ()):
        if isinstance(defect, email_errors.CloseBoundaryNotFoundDefect):
            _add_defect(defects, "truncated")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding not in KNOWN_TRANSFER_ENCODINGS:
        _add_defect(defects, f"transfer-encoding:{' '.join(encoding.split())[:40]}")


def _walk_tnef(part: Message, body: _Body) -> None:
    """Add the attachment names and body links that a TNEF part wraps."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    content = read_tnef(payload)
    for name in content.attachments:
        body.add_attachment(name, None)
    body.links.add_urls(link.url for link in content.links.links())
    for link in content.links.links():
        if link.display_text is not None:
            body.links.add_display_texts([(link.url, link.display_text)])
    for defect in content.defects:
        _add_defect(body.defects, defect)


def _image_name(part: Message, filename: str | None, body: _Body) -> str:
    if filename is not None:
        return filename
    content_id = " ".join(str(part.get("content-id", "")).split()).strip("<>")
    if content_id:
        return content_id[:100]
    body.inline_images += 1
    return f"inline image {body.inline_images}"


def _scan_image(part: Message, filename: str | None, body: _Body) -> None:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return
    found = body.qr.scan(payload, _image_name(part, filename, body))
    body.links.add_urls(url for url, _ in found)
    body.links.add_display_texts(found)


def _walk_web_page(part: Message, filename: str | None, body: _Body) -> str:
    """Add the links of an HTML or SVG part, marking form targets of attached pages."""
    html = _part_text(part, body.defects)
    body.links.add_urls(urls_in_html(html))
    if filename is not None:
        # Before the anchors, so that a form's target keeps this text: first text wins.
        body.links.add_display_texts(
            (action, f"{FORM_TEXT_PREFIX}{filename}") for action in form_actions(html)
        )
    body.links.add_display_texts(anchors_in_html(html))
    return html


def _walk_leaf(part: Message, body: _Body, nameless: list[int]) -> None:
    content_type = part.get_content_type()
    filename = _filename(part)
    if filename is None and part.get_content_disposition() == "attachment":
        nameless[0] += 1
        filename = _synthesised_name(content_type, nameless[0])
    if filename is not None:
        body.add_attachment(filename, content_type)

    if content_type in TNEF_TYPES or (filename or "").lower() == "winmail.dat":
        _walk_tnef(part, body)
        return
    if is_scannable_image(content_type, filename):
        _scan_image(part, filename, body)
        return

    # Attachments count too: an attached HTML or SVG page is a common credential lure.
    if content_type in HTML_TYPES or content_type == SVG_TYPE or is_web_page(None, filename):
        html = _walk_web_page(part, filename, body)
        if filename is None and content_type in HTML_TYPES:
            body.excerpt.add_html(html)
    elif part.get_content_maintype() == "text":
        text = _part_text(part, body.defects)
        body.links.add_urls(urls_in_text(text))
        if filename is None and content_type == "text/plain":
            body.excerpt.add_plain(text)


def walk_body(message: Message, depth: int) -> _Body:
    """Collect links, attachment names and forwarded messages from one message's parts.

    Walks iteratively, so deep nesting cannot exhaust the Python stack, and does not
    descend into forwarded messages: those are returned in ``forwarded``.
    """
    body = _Body()
    nameless = [0]
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0

    while stack:
        part, level = stack.pop()
        seen += 1
        if seen > MAX_MIME_PARTS:
            _add_defect(body.defects, "parts-capped")
            break
        _record_parser_defects(part, body.defects)
        # Only containers are read here. For a leaf, compat32 get_payload() without
        # decode=True raises TypeError on an RFC 2231 charset over raw 8-bit text.
        payload = part.get_payload() if part.is_multipart() else None

        if part is not message and part.get_content_type() in FORWARDED_TYPES:
            name = _filename(part) or f"forwarded-{len(body.forwarded) + 1}.eml"
            body.add_attachment(name, part.get_content_type())
            inner = payload[0] if isinstance(payload, list) and payload else None
            if not isinstance(inner, Message):
                continue
            if depth + 1 > MAX_NESTED_DEPTH:
                _add_defect(body.defects, "nesting-capped")
            else:
                body.forwarded.append((inner, name))
            continue

        if isinstance(payload, list):
            if level >= MAX_MULTIPART_DEPTH:
                _add_defect(body.defects, "nesting-capped")
                continue
            children = [child for child in payload if isinstance(child, Message)]
            stack.extend((child, level + 1) for child in reversed(children))
            continue

        _walk_leaf(part, body, nameless)

    if body.links.capped:
        _add_defect(body.defects, "links-capped")
    for defect in body.qr.defects:
        _add_defect(body.defects, defect)
    return body


def _raw_digest(message: Message, fallback: str) -> str:
    try:
        raw = message.as_bytes()
    except (RecursionError, LookupError, UnicodeError, ValueError, TypeError):
        raw = fallback.encode("utf-8", errors="replace")
    return hashlib.sha256(raw).hexdigest()


def _event_time(
    headers: HeaderView, defects: list[str], fallbacks: TimeFallbacks
) -> tuple[datetime | None, str]:
    date_value = headers.raw("date")
    parsed = parse_date(date_value)
    if parsed is not None:
        return parsed, "date"
    _add_defect(defects, "missing-date" if date_value is None else "invalid-date")

    received = received_time(headers.raw_all("received"))
    if received is not None:
        return received, "received"
    if fallbacks.envelope_time is not None:
        return fallbacks.envelope_time, "received"
    return fallbacks.file_time, "file"


def build_events(
    message: Message,
    raw: bytes | None,
    origin: Origin,
    fallbacks: TimeFallbacks,
    depth: int = 0,
    extra_defects: tuple[str, ...] = (),
) -> list[EmailMessage | Rejected]:
    """Build the event for ``message`` and, after it, one for each forwarded message in it.

    ``raw`` is the message's own bytes for the content digest; forwarded messages are
    serialised again for theirs.
    """
    defects = list(extra_defects)
    headers = HeaderView(message, defects)
    if len(headers) == 0:
        reason = "no header fields found, so this is not an email message"
        return [Rejected(origin, reason, field="headers", raw=(raw or b"")[:RAW_SAMPLE_BYTES])]

    mid = message_id(headers.raw("message-id"))
    if mid is None:
        digest = hashlib.sha256(raw).hexdigest() if raw is not None else None
        digest = digest or _raw_digest(message, f"{origin.file}\0{origin.position}")
        event_id = f"mail:sha256:{digest}"
    else:
        event_id = f"mail:{mid}"

    time, date_source = _event_time(headers, defects, fallbacks)
    if time is None:
        reason = "no valid Date or Received date, and the file time is unknown"
        return [Rejected(origin, reason, field="Date", record_id=mid)]

    body = walk_body(message, depth)
    for defect in body.defects:
        _add_defect(defects, defect)

    senders = addresses(headers, ("from",))
    envelope = return_path(headers.raw("return-path"))
    if envelope is None:
        envelope = next(iter(unique_addresses(addresses(headers, ("sender",)))), None)

    event = EmailMessage(
        event_id=event_id,
        time=time,
        source=READER_NAME,
        origin=origin,
        message_id=mid,
        sender=senders[0][1] if senders else None,
        sender_name=(senders[0][0] or None) if senders else None,
        envelope_sender=envelope,
        reply_to=unique_addresses(addresses(headers, ("reply-to",))),
        recipients=unique_addresses(addresses(headers, ("to", "cc", "bcc"))),
        subject=headers.text("subject"),
        links=body.links.links(),
        attachments=tuple(body.attachments),
        attachment_types=tuple(body.attachment_types),
        text_excerpt=body.excerpt.excerpt(),
        auth=auth_results(headers.raw_all("authentication-results")),
        sending_ip=sending_ip(headers.raw_all("received")),
        is_bulk=is_bulk(headers),
        date_source=date_source,
        nested_depth=depth,
        defects=tuple(defects),
    )

    events: list[EmailMessage | Rejected] = [event]
    for inner, name in body.forwarded:
        position = f"{origin.position}, {name}" if origin.position else name
        events.extend(
            build_events(inner, None, Origin(origin.file, position), fallbacks, depth + 1)
        )
    return events


def _file_time(path: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except (OSError, ValueError, OverflowError):
        return None


def parse_messages(
    data: bytes, origin: Origin, fallbacks: TimeFallbacks | None = None
) -> list[EmailMessage | Rejected]:
    """Parse one message's bytes into its event, followed by its forwarded messages' events.

    Never raises for bad content: a message that cannot be used becomes a single
    :class:`Rejected` naming the reason. Without ``fallbacks``, the modification time
    of ``origin.file`` is the last resort for the event time.
    """
    if fallbacks is None:
        fallbacks = TimeFallbacks(file_time=_file_time(origin.file))
    if len(data) > MAX_MESSAGE_BYTES:
        reason = f"message is {len(data)} bytes, over the limit of {MAX_MESSAGE_BYTES} bytes"
        return [Rejected(origin, reason, field="size", raw=data[:RAW_SAMPLE_BYTES])]

    defects: list[str] = []
    to_parse, header_capped = cap_header_block(data)
    if header_capped:
        defects.append("header-capped")

    parser = BytesParser(policy=compat32)
    try:
        try:
            message = parser.parsebytes(to_parse)
        except RecursionError:
            # The parser recurses once per MIME level; keep the header fields at least.
            message = parser.parsebytes(to_parse, headersonly=True)
            defects.append("nesting-capped")
        return build_events(message, data, origin, fallbacks, extra_defects=tuple(defects))
    except Exception as exc:  # hostile input must never stop a reader, whatever it triggers
        log.debug("mail parse failed for %s %s", origin.file, origin.position, exc_info=True)
        reason = f"message could not be parsed: {type(exc).__name__}: {exc}"
        return [Rejected(origin, reason[:500], raw=data[:RAW_SAMPLE_BYTES])]


def parse_message(data: bytes, origin: Origin) -> EmailMessage | Rejected:
    """Parse one message's bytes into its own event, leaving forwarded messages out.

    Use :func:`parse_messages` to also get the forwarded messages as events.
    """
    return parse_messages(data, origin)[0]
