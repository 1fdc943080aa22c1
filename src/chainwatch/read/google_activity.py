"""Google Workspace activities in every export shape, reduced to one record type.

Three shapes carry the same audit data:

- Admin SDK Reports API ``activities.list``: an activity has ``id`` (``time``,
  ``uniqueQualifier``, ``applicationName``), ``actor.email``, ``ipAddress`` and
  ``events[]``, each with ``name``, ``type`` and typed ``parameters[]``. Some exporters
  write ``events`` as one object instead of a list.
- Cloud Logging (Workspace audit logs shared with Google Cloud): the same activity under
  ``protoPayload``, with ``metadata.event[].parameter[]``, ``metadata.activityId`` and
  the event time in the entry's ``timestamp`` (``receiveTimestamp`` is when Cloud Logging
  received it, often an hour or more later).
- One event per record (Panther ``GSuite.ActivityEvent``): ``name``, ``type`` and
  ``parameters`` at the top level, with ``parameters`` as a plain object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import FieldError

# Keys of a typed parameter that contain its value, in the Reports API and Cloud Logging.
_SCALAR_KEYS = ("value", "boolValue")
_LIST_KEYS = ("multiValue", "multiStrValue")


@dataclass(frozen=True, slots=True)
class GoogleEvent:
    """One event inside an activity, with its parameters flattened to typed values."""

    index: int  # position within the activity, from 0
    name: str
    type: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GoogleActivity:
    """One Workspace activity: who did what, when and from where."""

    application: str  # Reports API applicationName: login, drive, admin, token, ...
    unique_qualifier: str
    time: datetime
    actor_email: str  # lower-cased, "" when the actor is a key or the system
    ip_raw: str | None
    events: tuple[GoogleEvent, ...]
    region_code: str | None = None  # networkInfo.regionCode
    asn: int | None = None  # first networkInfo.ipAsn


def get_key(mapping: dict[str, Any], key: str) -> Any:
    """Return ``mapping[key]``, matching the key without regard to case when not exact."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def _object(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    value = get_key(mapping, key)
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str:
    """Return a scalar as stripped text, and "" for null, objects and lists."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def is_cloud_logging_entry(record: dict[str, Any]) -> bool:
    return isinstance(get_key(record, "protoPayload"), dict)


def parse_activity(record: dict[str, Any]) -> GoogleActivity:
    """Reduce one activity in any supported shape to a :class:`GoogleActivity`.

    Raises :class:`FieldError` naming the field when the application, the time, the
    events or a parameter value is missing or invalid. A missing unique qualifier is
    replaced by :func:`content_digest`.
    """
    if is_cloud_logging_entry(record):
        return _parse_cloud_logging(record)
    return _parse_reports(record)


def _parse_reports(record: dict[str, Any]) -> GoogleActivity:
    identity = _object(record, "id")
    application = text_of(get_key(identity, "applicationName"))
    if not application:
        raise FieldError("id.applicationName", "missing")
    # The older Audit API (kind audit#activity) spells it uniqQualifier, as Cloud Logging does.
    qualifier = text_of(get_key(identity, "uniqueQualifier")) or text_of(
        get_key(identity, "uniqQualifier")
    )
    if not qualifier:
        qualifier = content_digest(record)
    time = _parse_time(get_key(identity, "time"), "id.time")

    events_value = get_key(record, "events")
    if events_value is None and get_key(record, "name") is not None:
        events_value = [record]  # one event per record, fields at the top level
    events = _parse_events(events_value, "events", "name", "type", "parameters")

    network = _object(record, "networkInfo")
    return GoogleActivity(
        application=application.lower(),
        unique_qualifier=qualifier,
        time=time,
        actor_email=text_of(get_key(_object(record, "actor"), "email")).lower(),
        ip_raw=text_of(get_key(record, "ipAddress")) or None,
        events=events,
        region_code=_region_code(get_key(network, "regionCode")),
        asn=_first_asn(get_key(network, "ipAsn")),
    )


def _parse_cloud_logging(record: dict[str, Any]) -> GoogleActivity:
    payload = _object(record, "protoPayload")
    metadata = _object(payload, "metadata")
    activity_id = _object(metadata, "activityId")

    application = cloud_logging_application(payload)
    if not application:
        raise FieldError("protoPayload.serviceName", "missing")
    qualifier = text_of(get_key(activity_id, "uniqQualifier"))
    if not qualifier:
        qualifier = content_digest(record)

    timestamp = get_key(record, "timestamp")
    if text_of(timestamp):
        time = _parse_time(timestamp, "timestamp")
    else:
        time = _time_from_microseconds(get_key(activity_id, "timeUsec"))

    events = _parse_events(
        get_key(metadata, "event"),
        "protoPayload.metadata.event",
        "eventName",
        "eventType",
        "parameter",
    )
    return GoogleActivity(
        application=application,
        unique_qualifier=qualifier,
        time=time,
        actor_email=text_of(
            get_key(_object(payload, "authenticationInfo"), "principalEmail")
        ).lower(),
        ip_raw=text_of(get_key(_object(payload, "requestMetadata"), "callerIp")) or None,
        events=events,
    )


def cloud_logging_application(payload: dict[str, Any]) -> str:
    """Return the Reports API application name of a Cloud Logging audit entry.

    ``serviceName`` is ``<application>.googleapis.com`` (``login.googleapis.com``), and
    ``methodName`` is ``google.<application>.<Service>.<method>``.
    """
    service = text_of(get_key(payload, "serviceName")).lower()
    if service.endswith(".googleapis.com"):
        return service.removesuffix(".googleapis.com")
    method = text_of(get_key(payload, "methodName")).split(".")
    if len(method) > 2 and method[0] == "google":
        return method[1].lower()
    return ""


def content_digest(record: dict[str, Any]) -> str:
    """Return a stable stand-in for a missing unique qualifier: a digest of the record.

    The same record read twice gets the same id, but the Reports API and Cloud Logging
    copies of one activity differ in content, so they are no longer deduplicated.
    """
    data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _parse_time(value: Any, field: str) -> datetime:
    text = text_of(value)
    if not text:
        raise FieldError(field, "missing")
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def _time_from_microseconds(value: Any) -> datetime:
    field = "protoPayload.metadata.activityId.timeUsec"
    text = text_of(value)
    if not text:
        raise FieldError("timestamp", "missing, and no activityId.timeUsec either")
    if not (text.isascii() and text.isdigit()):
        raise FieldError(field, f"invalid microsecond count {text[:40]!r}")
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(text))
    except OverflowError:
        raise FieldError(field, f"microsecond count {text[:40]!r} out of range") from None


def _parse_events(
    value: Any, field: str, name_key: str, type_key: str, parameters_key: str
) -> tuple[GoogleEvent, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise FieldError(field, "missing or empty: the activity has no events")

    events: list[GoogleEvent] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise FieldError(where, f"expected an object, found {type(item).__name__}")
        name = text_of(get_key(item, name_key))
        if not name:
            raise FieldError(f"{where}.{name_key}", "missing")
        parameters = flatten_parameters(get_key(item, parameters_key), f"{where}.{parameters_key}")
        events.append(GoogleEvent(index, name, text_of(get_key(item, type_key)), parameters))
    return tuple(events)


def flatten_parameters(value: Any, field: str) -> dict[str, Any]:
    """Turn a ``parameters`` list into ``{name: typed value}``.

    ``value`` and ``boolValue`` stay as they are, ``multiValue`` and ``multiStrValue``
    become lists, ``intValue`` and ``multiIntValue`` become ints (the Reports API sends
    them as JSON strings), and ``messageValue`` / ``multiMessageValue`` become nested
    dicts. A parameter object (one event per record) is returned as it is. When a name
    repeats, the last value wins.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list, found {type(value).__name__}")

    flat: dict[str, Any] = {}
    for position, parameter in enumerate(value):
        if not isinstance(parameter, dict):
            raise FieldError(f"{field}[{position}]", "expected an object")
        name = text_of(parameter.get("name"))
        if not name:
            raise FieldError(f"{field}[{position}].name", "missing")
        flat[name] = _typed_value(parameter, f"{field}.{name}")
    return flat


def _typed_value(parameter: dict[str, Any], field: str) -> Any:
    for key in _SCALAR_KEYS:
        if key in parameter:
            return parameter[key]
    for key in _LIST_KEYS:
        if key in parameter:
            items = parameter[key]
            return list(items) if isinstance(items, list) else [items]
    if "intValue" in parameter:
        return _integer(parameter["intValue"], f"{field}.intValue")
    if "multiIntValue" in parameter:
        items = parameter["multiIntValue"]
        items = items if isinstance(items, list) else [items]
        return [_integer(item, f"{field}.multiIntValue") for item in items]
    if "messageValue" in parameter:
        return _message(parameter["messageValue"], f"{field}.messageValue")
    if "multiMessageValue" in parameter:
        messages = parameter["multiMessageValue"]
        messages = messages if isinstance(messages, list) else [messages]
        return [_message(message, f"{field}.multiMessageValue") for message in messages]
    return None


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise FieldError(field, f"expected an integer, found {value!r}")
    if isinstance(value, int):
        return value
    text = text_of(value)
    if text.lstrip("-").isascii() and text.lstrip("-").isdigit() and len(text) <= 40:
        return int(text)
    raise FieldError(field, f"expected an integer, found {text[:40]!r}")


def _message(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(field, f"expected an object, found {type(value).__name__}")
    return flatten_parameters(value.get("parameter"), f"{field}.parameter")


def _region_code(value: Any) -> str | None:
    text = text_of(value).upper()
    return text if len(text) == 2 and text.isalpha() else None


def _first_asn(value: Any) -> int | None:
    first = value[0] if isinstance(value, list) and value else value
    text = text_of(first)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
