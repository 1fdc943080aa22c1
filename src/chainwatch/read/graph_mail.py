"""Reader for Microsoft Graph message JSON (``GET /users/{id}/messages``).

Accepts one message object, an array of them, ``{"value": [...]}`` pages and JSON
lines. A message becomes the same :class:`~chainwatch.events.EmailMessage` as its
MIME copy would: the event id is ``"mail:"`` plus the normalised
``internetMessageId``, so a Graph export and an .eml of one message deduplicate.

Graph returns ``internetMessageHeaders`` only when ``$select`` names it, never for
sent items, and often only in part. Without them the header-derived fields are
*unavailable*, not missing: ``auth`` is ``AuthResults(available=False)``, and no
sending IP or bulk marking is claimed.

With ``$expand=attachments`` a file attachment carries its bytes (``contentBytes``,
base64): QR codes in its images and the forms of an attached web page are read as in
an .eml.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from email.policy import compat32
from pathlib import Path
from typing import Any

from chainwatch.events import AuthResults, EmailMessage, Origin
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.mail_attachments import (
    FORM_TEXT_PREFIX,
    attachment_type,
    form_actions,
    is_web_page,
)
from chainwatch.read.mail_charset import decode_bytes
from chainwatch.read.mail_headers import (
    HeaderView,
    auth_results,
    is_bulk,
    message_id,
    return_path,
    sending_ip,
)
from chainwatch.read.mail_links import LinkCollector, anchors_in_html, urls_in_html, urls_in_text
from chainwatch.read.mail_parse import MAX_TEXT_BYTES_PER_PART
from chainwatch.read.mail_qr import MAX_IMAGE_BYTES, QrScanner, is_scannable_image
from chainwatch.read.mail_text import MAX_EXCERPT_CHARS, ExcerptBuilder
from chainwatch.read.ual_input import JsonRecord, decode_head, iter_json_records

READER_NAME = "graph-mail"
MAX_ATTACHMENTS = 500
_SNIFF_KEYS = (
    '"internetMessageId"',
    '"receivedDateTime"',
    '"sentDateTime"',
    '"toRecipients"',
    '"bodyPreview"',
    '"emailAddress"',
)


class _RecordError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def _add_defect(defects: list[str], defect: str) -> None:
    if defect not in defects:
        defects.append(defect)


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise _RecordError(field, f"expected an ISO 8601 time, found {value!r}"[:200])
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _RecordError(field, f"invalid ISO 8601 time {value!r}"[:200]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _event_time(record: dict[str, Any]) -> tuple[datetime, str]:
    """Return ``receivedDateTime``, else ``sentDateTime``, and the matching ``date_source``."""
    if record.get("receivedDateTime") is not None:
        return _parse_time(record["receivedDateTime"], "receivedDateTime"), "received"
    if record.get("sentDateTime") is not None:
        return _parse_time(record["sentDateTime"], "sentDateTime"), "date"
    raise _RecordError("receivedDateTime", "missing, and sentDateTime is missing too")


def _email_address(value: Any) -> tuple[str | None, str | None]:
    """Return ``(name, lower-cased address)`` of a Graph ``recipient`` object."""
    if not isinstance(value, dict):
        return None, None
    inner = value.get("emailAddress")
    if not isinstance(inner, dict):
        return None, None
    name = inner.get("name")
    address = inner.get("address")
    name_text = name.strip() if isinstance(name, str) and name.strip() else None
    address_text = address.strip().lower() if isinstance(address, str) else ""
    return name_text, (address_text or None)


def _addresses(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for key in keys:
        value = record.get(key)
        if not isinstance(value, list):
            continue
        for entry in value:
            _, address = _email_address(entry)
            if address is not None:
                found.append(address)
    return tuple(dict.fromkeys(found))


def _header_view(value: Any, defects: list[str]) -> HeaderView | None:
    """Build a header view from ``internetMessageHeaders``, or ``None`` when absent."""
    if not isinstance(value, list) or not value:
        return None
    message = Message(policy=compat32)
    for entry in value:
        if not isinstance(entry, dict):
            _add_defect(defects, "invalid-header-entry")
            continue
        name = entry.get("name")
        text = entry.get("value")
        if not isinstance(name, str) or not name.strip() or not isinstance(text, str):
            _add_defect(defects, "invalid-header-entry")
            continue
        message[name.strip()] = text
    return HeaderView(message, defects)


def _body(body: Any, links: LinkCollector, defects: list[str]) -> str | None:
    """Add the body's links to ``links`` and return its text excerpt."""
    if not isinstance(body, dict):
        return None
    content = body.get("content")
    if not isinstance(content, str) or not content:
        return None
    if len(content) > MAX_TEXT_BYTES_PER_PART:
        content = content[:MAX_TEXT_BYTES_PER_PART]
        _add_defect(defects, "text-capped")
    excerpt = ExcerptBuilder()
    content_type = str(body.get("contentType", "")).strip().lower()
    if content_type == "html":
        links.add_urls(urls_in_html(content))
        links.add_display_texts(anchors_in_html(content))
        excerpt.add_html(content)
    else:
        links.add_urls(urls_in_text(content))
        excerpt.add_plain(content)
    return excerpt.excerpt()


def _body_preview(record: dict[str, Any]) -> str | None:
    """Return ``bodyPreview`` (Graph's first 255 characters of the text) as an excerpt."""
    preview = record.get("bodyPreview")
    if not isinstance(preview, str):
        return None
    return " ".join(preview.split())[:MAX_EXCERPT_CHARS] or None


def _content_bytes(entry: dict[str, Any], limit: int, defects: list[str]) -> bytes | None:
    """Decode a file attachment's ``contentBytes``, or None when absent, invalid or too big."""
    value = entry.get("contentBytes")
    if not isinstance(value, str) or not value:
        return None
    # Base64 grows data by 4/3; reject before decoding anything over the limit.
    if len(value) > limit * 4 // 3 + 4:
        _add_defect(defects, "attachment-too-large")
        return None
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        _add_defect(defects, "attachment-unreadable")
        return None


def _attachment_content(
    entry: dict[str, Any], name: str, content_type: str, links: LinkCollector, content: _Content
) -> None:
    if is_scannable_image(content_type, name):
        data = _content_bytes(entry, MAX_IMAGE_BYTES, content.defects)
        if data is not None:
            found = content.qr.scan(data, name)
            links.add_urls(url for url, _ in found)
            links.add_display_texts(found)
    elif is_web_page(content_type, name):
        data = _content_bytes(entry, MAX_TEXT_BYTES_PER_PART, content.defects)
        if data is not None:
            html, _ = decode_bytes(data, None)
            links.add_urls(urls_in_html(html))
            # Before the anchors, so that a form's target keeps this text: first text wins.
            links.add_display_texts(
                (action, f"{FORM_TEXT_PREFIX}{name}") for action in form_actions(html)
            )
            links.add_display_texts(anchors_in_html(html))


class _Content:
    """Attachment names, content types and defects of one Graph message."""

    def __init__(self, defects: list[str]) -> None:
        self.names: list[str] = []
        self.types: list[str] = []
        self.defects = defects
        self.qr = QrScanner()


def _attachments(record: dict[str, Any], links: LinkCollector, content: _Content) -> None:
    value = record.get("attachments")
    if not isinstance(value, list):
        if record.get("hasAttachments") is True:
            # Graph lists attachments only with $expand=attachments.
            _add_defect(content.defects, "attachments-not-expanded")
        return
    for index, entry in enumerate(value, start=1):
        if len(content.names) >= MAX_ATTACHMENTS:
            _add_defect(content.defects, "attachments-capped")
            break
        if not isinstance(entry, dict):
            entry = {}
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            name = " ".join(name.split())
        else:
            name = f"attachment-{index}.bin"
        raw_type = entry.get("contentType")
        content_type = attachment_type(raw_type if isinstance(raw_type, str) else None, name)
        content.names.append(name)
        content.types.append(content_type)
        _attachment_content(entry, name, content_type, links, content)
    for defect in content.qr.defects:
        _add_defect(content.defects, defect)


def _event_id(record: dict[str, Any], mid: str | None, raw: bytes) -> str:
    if mid is not None:
        return f"mail:{mid}"
    graph_id = record.get("id")
    if isinstance(graph_id, str) and graph_id:
        return f"mail:graph:{graph_id}"
    return f"mail:sha256:{hashlib.sha256(raw).hexdigest()}"


def message_from_graph(record: dict[str, Any], origin: Origin, raw: bytes) -> EmailMessage:
    """Build the event for one Graph message object.

    Raises :class:`_RecordError` naming the field when the object has no usable time.
    """
    defects: list[str] = []
    raw_mid = record.get("internetMessageId")
    mid = message_id(raw_mid) if isinstance(raw_mid, str) else None
    time, date_source = _event_time(record)

    sender_name, sender = _email_address(record.get("from"))
    _, sender_field = _email_address(record.get("sender"))
    if sender is None:
        # Drafts and some sent items carry only ``sender``.
        sender = sender_field
    envelope = sender_field if sender_field != sender else None

    headers = _header_view(record.get("internetMessageHeaders"), defects)
    if headers is None:
        auth = AuthResults(available=False)
        ip = None
        bulk = False
    else:
        auth = auth_results(headers.raw_all("authentication-results"))
        ip = sending_ip(headers.raw_all("received"))
        bulk = is_bulk(headers)
        if envelope is None:
            path = return_path(headers.raw("return-path"))
            envelope = path if path != sender else None

    subject = record.get("subject")
    links = LinkCollector()
    excerpt = _body(record.get("body"), links, defects) or _body_preview(record)
    content = _Content(defects)
    _attachments(record, links, content)
    if links.capped:
        _add_defect(defects, "links-capped")
    return EmailMessage(
        event_id=_event_id(record, mid, raw),
        time=time,
        source=READER_NAME,
        origin=origin,
        message_id=mid,
        sender=sender,
        sender_name=sender_name,
        envelope_sender=envelope,
        reply_to=_addresses(record, ("replyTo",)),
        recipients=_addresses(record, ("toRecipients", "ccRecipients", "bccRecipients")),
        subject=subject if isinstance(subject, str) else None,
        links=links.links(),
        attachments=tuple(content.names),
        attachment_types=tuple(content.types),
        text_excerpt=excerpt,
        auth=auth,
        sending_ip=ip,
        is_bulk=bulk,
        date_source=date_source,
        defects=tuple(defects),
    )


def looks_like_graph_messages(head: bytes) -> bool:
    """Return whether ``head`` starts a JSON document of Graph message objects.

    Graph spells its keys in camelCase, so the match is case-sensitive: audit and
    Defender records spell ``InternetMessageId`` with a capital I.
    """
    text = decode_head(head).lstrip()
    if not text.startswith(("[", "{")):
        return False
    lowered = text.lower()
    if '"creationtime"' in lowered and '"operation"' in lowered:
        return False  # audit records (MailItemsAccessed) name InternetMessageId too
    found = sum(key in text for key in _SNIFF_KEYS)
    # internetMessageId with one more message key, or two message keys without it
    # (a $select that left internetMessageId out).
    return found >= 2


class GraphMailReader:
    """Reads Microsoft Graph message objects: arrays, OData pages or JSON lines."""

    name = READER_NAME

    def sniff(self, head: bytes, path: str) -> bool:
        return looks_like_graph_messages(head)

    def read(self, path: Path) -> Iterator[ReadItem]:
        for item in iter_json_records(path):
            if not isinstance(item, JsonRecord):
                yield item
                continue
            yield _read_record(item)


def _read_record(item: JsonRecord) -> ReadItem:
    record = item.value
    if "@removed" in record:
        # Delta queries report deleted or moved messages this way.
        return Skipped(item.origin, "Graph message removed in a delta query")
    try:
        return message_from_graph(record, item.origin, item.raw)
    except _RecordError as exc:
        raw_mid = record.get("internetMessageId")
        record_id = raw_mid if isinstance(raw_mid, str) else None
        return Rejected(item.origin, exc.reason, field=exc.field, record_id=record_id, raw=item.raw)
