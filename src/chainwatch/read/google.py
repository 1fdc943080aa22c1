"""Reader for Google Workspace audit activity: Admin SDK Reports API and Cloud Logging.

Files are recognised by content. The reader accepts ``activities.list`` pages
(``{"kind": "admin#reports#activities", "items": [...], "nextPageToken": ...}``) alone,
in an array or as JSON lines. It also accepts arrays or JSON lines of single activities
(Sentinel tables add flattened columns beside each one, which are ignored), one-event
records, and Cloud Logging entries with the activity under ``protoPayload``. A page with
no ``items`` is an empty result, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from chainwatch.events import Origin
from chainwatch.read.base import Notice, ReadItem, Rejected, Skipped
from chainwatch.read.google_activity import (
    get_key,
    is_cloud_logging_entry,
    parse_activity,
    text_of,
)
from chainwatch.read.google_events import map_event
from chainwatch.read.ual_input import (
    MAX_RAW_BYTES,
    FieldError,
    JsonRecord,
    decode_head,
    iter_json_records,
)

PAGE_KIND = "admin#reports#activities"

# Markers are matched as unescaped JSON, so a Google record quoted inside another
# document's string field does not make that document look like a Google export.
_ACTIVITY_KIND = re.compile(r'"kind"\s*:\s*"(?:admin#reports#activit|audit#activity)')
_APPLICATION_NAME = re.compile(r'"applicationname"\s*:')
_ACTOR = re.compile(r'"actor"\s*:')
_PROTO_PAYLOAD = re.compile(r'"protopayload"\s*:')
_WORKSPACE_METADATA = re.compile(r'"(?:uniqqualifier|eventname)"\s*:')


class GoogleReportsReader:
    """Reads Google Workspace activities from Reports API and Cloud Logging exports."""

    name = "google-workspace"

    def sniff(self, head: bytes, path: str) -> bool:
        text = decode_head(head).lstrip()
        if not text.startswith(("[", "{")):
            return False
        if _ACTIVITY_KIND.search(text):
            return True
        lowered = text.lower()
        if _PROTO_PAYLOAD.search(lowered):
            return bool(_WORKSPACE_METADATA.search(lowered))
        return bool(_APPLICATION_NAME.search(lowered) and _ACTOR.search(lowered))

    def read(self, path: Path) -> Iterator[ReadItem]:
        last_page: tuple[Origin, str] | None = None
        for item in iter_json_records(path):
            if not isinstance(item, JsonRecord):
                yield item
                continue
            if _is_page(item.value):
                token = text_of(get_key(item.value, "nextPageToken"))
                last_page = (item.origin, token)
                yield from self._page(item)
            else:
                last_page = None
                yield from self._record(item.value, item.origin, item.raw)

        if last_page is not None and last_page[1]:
            yield Notice(
                last_page[0],
                "the last Reports API page has a nextPageToken, so later pages of this "
                "export are missing; fetch them with pageToken and read them too",
            )

    def _page(self, item: JsonRecord) -> Iterator[ReadItem]:
        activities = get_key(item.value, "items")
        if activities is None:
            return  # an empty result page has only kind and etag
        if not isinstance(activities, list):
            kind = type(activities).__name__
            yield Rejected(item.origin, f"expected a list, found {kind}", "items", raw=item.raw)
            return
        for index, activity in enumerate(activities, start=1):
            where = f"{item.origin.position}, item {index}" if item.origin.position else ""
            origin = Origin(item.origin.file, where or f"item {index}")
            raw = orjson.dumps(activity)[:MAX_RAW_BYTES]
            if not isinstance(activity, dict):
                kind = type(activity).__name__
                yield Rejected(origin, f"expected a JSON object, found {kind}", raw=raw)
                continue
            yield from self._record(activity, origin, raw)

    def _record(self, record: dict[str, Any], origin: Origin, raw: bytes) -> Iterator[ReadItem]:
        if is_cloud_logging_entry(record) and not _has_workspace_events(record):
            payload = get_key(record, "protoPayload")
            service = text_of(get_key(payload, "serviceName")) or "unknown service"
            method = text_of(get_key(payload, "methodName"))
            yield Skipped(origin, f"Cloud Logging entry {service} {method}".rstrip())
            return
        if not is_cloud_logging_entry(record) and not isinstance(get_key(record, "id"), dict):
            yield Rejected(
                origin,
                "not a Google Workspace activity: expected id.applicationName, "
                "a Reports API page with items, or a Cloud Logging protoPayload",
                "id",
                raw=raw,
            )
            return

        try:
            activity = parse_activity(record)
        except FieldError as exc:
            yield Rejected(origin, exc.reason, exc.field, _record_id(record), raw)
            return

        for event in activity.events:
            try:
                yield map_event(activity, event, origin, self.name)
            except FieldError as exc:
                yield Rejected(origin, exc.reason, exc.field, activity.unique_qualifier, raw)


def _is_page(value: dict[str, Any]) -> bool:
    kind = text_of(get_key(value, "kind"))
    return kind == PAGE_KIND or (
        isinstance(get_key(value, "items"), list) and not isinstance(get_key(value, "id"), dict)
    )


def _has_workspace_events(record: dict[str, Any]) -> bool:
    payload = get_key(record, "protoPayload")
    metadata = get_key(payload, "metadata") if isinstance(payload, dict) else None
    return isinstance(metadata, dict) and get_key(metadata, "event") is not None


def _record_id(record: dict[str, Any]) -> str | None:
    identity = get_key(record, "id")
    if isinstance(identity, dict):
        qualifier = get_key(identity, "uniqueQualifier") or get_key(identity, "uniqQualifier")
        return text_of(qualifier) or None
    payload = get_key(record, "protoPayload")
    metadata = get_key(payload, "metadata") if isinstance(payload, dict) else None
    activity_id = get_key(metadata, "activityId") if isinstance(metadata, dict) else None
    if isinstance(activity_id, dict):
        return text_of(get_key(activity_id, "uniqQualifier")) or None
    return None
