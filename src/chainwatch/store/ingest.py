"""Rows for what the readers produce: events, rejected records and notices."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from chainwatch.errors import StoreError
from chainwatch.events import EVENT_TYPES, Event, event_to_dict
from chainwatch.read.base import Notice, Rejected
from chainwatch.store.codec import column_text, dumps_json
from chainwatch.store.richness import event_richness
from chainwatch.store.schema import to_utc

# The event field stored in the indexed ``account`` column, per event kind. ``None``
# means the kind belongs to no account and the column stays empty.
ACCOUNT_FIELDS: dict[str, str | None] = {
    "sign-in": "user",
    "mailbox-rule": "mailbox",
    "file-access": "user",
    "email": "sender",
    "mail-sent": "sender",
    "app-consent": "user",
    "mail-delete": "mailbox",
    "email-links": None,  # links of a message, joined to it by network_message_id
    "link-click": "user",
}


def event_row(event: Event, run_id: int) -> dict[str, Any]:
    """Build the ``events`` row for ``event``, or raise :class:`StoreError` if it is invalid."""
    if event.kind not in EVENT_TYPES or event.kind not in ACCOUNT_FIELDS:
        raise StoreError(
            f"event {event.event_id!r}: unknown kind {event.kind!r}; "
            f"known kinds are {', '.join(sorted(EVENT_TYPES))}"
        )
    try:
        time = to_utc(event.time)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"event {event.event_id!r}: field 'time': {exc}") from exc
    payload = event_payload(event, time)

    account_field = ACCOUNT_FIELDS[event.kind]
    account = getattr(event, account_field) if account_field is not None else None
    return {
        "event_id": column_text(event.event_id),
        "kind": event.kind,
        "time": time,
        "account": column_text(account),
        "source": column_text(event.source),
        "run_id": run_id,
        "processed": False,
        "richness": event_richness(event),
        "payload": payload,
    }


def event_payload(event: Event, time: datetime) -> str:
    """Serialise ``event`` as :func:`~chainwatch.events.event_to_dict` JSON, time in UTC.

    orjson serialises the frozen dataclass in C, several times faster than building
    the dict first. The output is the same text, with ``kind`` added last. Events whose
    time is not in the ``UTC`` zone or that orjson rejects (lone surrogates, integers
    beyond 64 bits) take the dict path.
    """
    if event.time.tzinfo is UTC:
        try:
            body = orjson.dumps(event)
        except TypeError:
            pass
        else:
            return f'{body[:-1].decode()},"kind":{orjson.dumps(event.kind).decode()}}}'
    plain = event_to_dict(event)
    plain["time"] = time.isoformat()  # events come back in UTC, whatever zone the reader gave
    try:
        return dumps_json(plain)
    except TypeError as exc:
        raise StoreError(f"event {event.event_id!r}: cannot serialise as JSON: {exc}") from exc


def rejected_row(item: Rejected, run_id: int) -> dict[str, Any]:
    """Build the ``rejected`` row for ``item``, keyed by its fingerprint."""
    return {
        "fingerprint": fingerprint(item.origin.file, item.origin.position, item.reason, item.raw),
        "run_id": run_id,
        "file": column_text(item.origin.file),
        "position": column_text(item.origin.position),
        "field": column_text(item.field),
        "reason": column_text(item.reason),
        "record_id": column_text(item.record_id),
        "raw": bytes(item.raw),
    }


def notice_row(notice: Notice, run_id: int) -> dict[str, Any]:
    """Build the ``notices`` row for ``notice``, keyed by its fingerprint.

    The fingerprint covers the file, position, kind, message and the window in UTC.
    Raises :class:`StoreError` for a naive ``start`` or ``end``.
    """
    origin = notice.origin
    start = _notice_time(notice, "start")
    end = _notice_time(notice, "end")
    window = [t.isoformat() if t is not None else "" for t in (start, end)]
    return {
        "fingerprint": fingerprint(
            origin.file, origin.position, notice.kind, notice.message, *window
        ),
        "run_id": run_id,
        "file": column_text(origin.file),
        "position": column_text(origin.position),
        "kind": column_text(notice.kind),
        "message": column_text(notice.message),
        "start": start,
        "end": end,
    }


def _notice_time(notice: Notice, name: str) -> datetime | None:
    value = getattr(notice, name)
    if value is None:
        return None
    try:
        return to_utc(value)
    except (TypeError, ValueError) as exc:
        where = ", ".join(p for p in (notice.origin.file, notice.origin.position) if p)
        raise StoreError(f"notice from {where}: field {name!r}: {exc}") from exc


def fingerprint(*parts: str | bytes) -> str:
    """Return the SHA-256 hex digest of ``parts``, each prefixed by its length."""
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
