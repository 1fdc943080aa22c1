"""Map Entra ID directory audit records (``AuditLogs``) of OAuth consent to events.

The same record arrives as a Graph ``directoryAudit`` object, under ``properties`` of an
Azure Monitor envelope, or as a Log Analytics ``AuditLogs`` row whose nested columns
(``InitiatedBy``, ``TargetResources``) are JSON text. Keys are lower-cased by the caller.
Activities other than consent are skipped, naming the activity.
"""

from __future__ import annotations

from typing import Any

import orjson

from chainwatch.events import AppConsent, Origin
from chainwatch.read.app_consent import consent_activity, consent_facts, unquote
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp


def entra_audit_item(
    record: dict[str, Any], origin: Origin, source: str, raw: bytes | None = None
) -> ReadItem:
    """Convert one directory audit record (keys lower-cased) into an event or ``Skipped``."""
    activity_name = _text(record.get("activitydisplayname")) or _text(record.get("operationname"))
    activity = consent_activity(activity_name)
    if activity is None:
        return Skipped(origin, f"Entra directory audit activity {activity_name or '(not named)'!r}")
    record_id = _text(record.get("id")) or None

    def reject(field: str, reason: str) -> Rejected:
        return Rejected(origin, reason, field=field, record_id=record_id, raw=raw or b"")

    if _text(record.get("result")).casefold() == "failure":
        return Skipped(origin, f"Entra {activity_name} that failed (grants nothing)")
    if record_id is None:
        return reject("id", "missing")
    time_text = _text(record.get("activitydatetime"))
    if not time_text:
        return reject("activityDateTime", "missing")
    try:
        time = parse_timestamp(time_text)
    except ValueError as exc:
        return reject("activityDateTime", str(exc))

    initiated = _lower(_nested(record.get("initiatedby")))
    user_fields = _lower(initiated.get("user"))
    user = _text(user_fields.get("userprincipalname")).lower()
    if not user:
        if initiated.get("app"):
            return Skipped(origin, f"Entra {activity_name} initiated by an application")
        return reject("initiatedBy.user.userPrincipalName", "missing")

    targets = [t for t in _list(_nested(record.get("targetresources"))) if isinstance(t, dict)]
    properties: dict[str, str] = {}
    for target in targets:
        target_fields = _lower(target)
        for item in _list(target_fields.get("modifiedproperties")):
            item_fields = _lower(item)
            name = _text(item_fields.get("displayname"))
            value = item_fields.get("newvalue")
            if name and isinstance(value, str) and name not in properties:
                properties[name] = unquote(value)
    first = _lower(targets[0]) if targets else {}
    facts = consent_facts(
        activity,
        properties,
        _text(first.get("displayname")) or None,
        _text(first.get("id")) or None,
    )
    ip, _ = parse_ip(_text(user_fields.get("ipaddress")) or None)
    return AppConsent(
        event_id=f"entra-audit:{record_id}",
        time=time,
        source=source,
        origin=origin,
        user=user,
        app_name=facts.app_name,
        app_id=facts.app_id,
        scopes=facts.scopes,
        admin_consent=facts.admin_consent,
        ip=ip,
    )


def _nested(value: Any) -> Any:
    """Return a nested column that Log Analytics may have stored as JSON text."""
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return value


def _lower(value: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()
