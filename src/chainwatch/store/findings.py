"""Detections and incidents: rows from the stages' dicts, and lookups for reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from chainwatch.errors import ChainwatchError, StoreError
from chainwatch.store.codec import column_text, dumps_json, loads_json
from chainwatch.store.schema import detections, incidents, to_utc

# Ids listed in the message for an ambiguous incident id prefix.
AMBIGUOUS_IDS_SHOWN = 5


class AmbiguousIdError(ChainwatchError, LookupError):
    """An id prefix that matches more than one stored record."""

    def __init__(self, prefix: str, matches: list[str]):
        self.prefix = prefix
        self.matches = matches
        listed = ", ".join(matches[:AMBIGUOUS_IDS_SHOWN])
        more = " and more" if len(matches) > AMBIGUOUS_IDS_SHOWN else ""
        super().__init__(
            f"incident id prefix {prefix!r} matches several incidents ({listed}{more}); "
            "give more characters of the id"
        )


def detection_row(detection: dict[str, Any]) -> dict[str, Any]:
    """Build the ``detections`` row for a detection dict; see :meth:`Store.save_detections`."""
    detection_id = _required_text(detection, "detection_id", "detection")
    label = f"detection {detection_id!r}"
    return {
        "detection_id": column_text(detection_id),
        "model": column_text(_required_text(detection, "model", label)),
        "time": _required_time(detection, "time", label),
        "account": column_text(_optional_text(detection, "account", label)),
        "score": _required_int(detection, "score", label),
        "incident_id": column_text(_optional_text(detection, "incident_id", label)),
        "payload": _payload(detection, label),
    }


def incident_row(incident: dict[str, Any]) -> dict[str, Any]:
    """Build the ``incidents`` row for an incident dict; see :meth:`Store.save_incidents`."""
    incident_id = _required_text(incident, "incident_id", "incident")
    label = f"incident {incident_id!r}"
    accounts = incident.get("accounts")
    if not isinstance(accounts, list | tuple) or not all(isinstance(a, str) for a in accounts):
        raise StoreError(f"{label}: field 'accounts' must be a list of strings, got {accounts!r}")
    return {
        "incident_id": column_text(incident_id),
        "severity": _required_int(incident, "severity", label),
        "title": column_text(_required_text(incident, "title", label)),
        "first_time": _required_time(incident, "first_time", label),
        "last_time": _required_time(incident, "last_time", label),
        "payload": _payload(incident, label),
    }


def list_incidents(connection: Connection, min_severity: int) -> list[dict[str, Any]]:
    """Return incident dicts with severity >= ``min_severity``, most severe and oldest first."""
    query = (
        select(incidents.c.payload)
        .where(incidents.c.severity >= min_severity)
        .order_by(incidents.c.severity.desc(), incidents.c.first_time, incidents.c.incident_id)
    )
    return [loads_json(payload) for payload in connection.execute(query).scalars()]


def get_incident(connection: Connection, id_or_prefix: str) -> dict[str, Any] | None:
    """Return the incident with this id, or the only one whose id starts with it.

    Returns ``None`` if nothing matches or ``id_or_prefix`` is empty, and raises
    :class:`AmbiguousIdError` if the prefix matches several incidents.
    """
    if not id_or_prefix:
        return None
    key = column_text(id_or_prefix)
    exact = connection.execute(
        select(incidents.c.payload).where(incidents.c.incident_id == key)
    ).scalar_one_or_none()
    if exact is not None:
        return loads_json(exact)

    # substr, not LIKE: SQLite's LIKE ignores ASCII case and LIKE needs % and _ escaped.
    matches = connection.execute(
        select(incidents.c.incident_id, incidents.c.payload)
        .where(func.substr(incidents.c.incident_id, 1, len(key)) == key)
        .order_by(incidents.c.incident_id)
        .limit(AMBIGUOUS_IDS_SHOWN + 1)
    ).all()
    if not matches:
        return None
    if len(matches) > 1:
        raise AmbiguousIdError(id_or_prefix, [row.incident_id for row in matches])
    return loads_json(matches[0].payload)


def list_detections(connection: Connection, incident_id: str | None) -> list[dict[str, Any]]:
    """Return detection dicts ordered by (time, detection_id), optionally of one incident."""
    query = select(detections.c.payload).order_by(detections.c.time, detections.c.detection_id)
    if incident_id is not None:
        query = query.where(detections.c.incident_id == column_text(incident_id))
    return [loads_json(payload) for payload in connection.execute(query).scalars()]


def _required_text(record: dict[str, Any], name: str, label: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise StoreError(f"{label}: field {name!r} must be a non-empty string, got {value!r}")
    return value


def _optional_text(record: dict[str, Any], name: str, label: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise StoreError(f"{label}: field {name!r} must be a string or None, got {value!r}")
    return value


def _required_int(record: dict[str, Any], name: str, label: str) -> int:
    value = record.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise StoreError(f"{label}: field {name!r} must be an integer, got {value!r}")
    return value


def _required_time(record: dict[str, Any], name: str, label: str) -> datetime:
    value = record.get(name)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        return to_utc(parsed)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"{label}: field {name!r} must be an ISO 8601 time with a zone, got {value!r} ({exc})"
        ) from exc


def _payload(record: dict[str, Any], label: str) -> str:
    try:
        return dumps_json(record)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{label}: cannot serialise as JSON: {exc}") from exc
