"""Map Unified Audit Log consent records (AzureActiveDirectory, RecordType 8) to events."""

from __future__ import annotations

from typing import Any

from chainwatch.events import AppConsent
from chainwatch.read.app_consent import consent_facts, unquote
from chainwatch.read.base import Skipped
from chainwatch.read.ip import parse_ip

# Target types of the AzureActiveDirectory schema: 1 is a display name, 4 an app id.
_TARGET_NAME_TYPE = 1
_TARGET_APP_ID_TYPE = 4
_GENERIC_TARGET_NAMES = frozenset({"serviceprincipal", "application", "user"})


def ual_consent(
    record: dict[str, Any], activity: str, user: str, common: dict[str, Any]
) -> AppConsent | Skipped:
    """Build an :class:`AppConsent` from a consent record, or skip a failed one."""
    status = str(record.get("ResultStatus") or "").strip().casefold()
    if status in ("failure", "failed"):
        return Skipped(common["origin"], f"UAL {activity} that failed (grants nothing)")

    properties = {
        name: unquote(value)
        for name, value in _modified_properties(record.get("ModifiedProperties"))
    }
    target_name, target_app_id = _target(record.get("Target"))
    facts = consent_facts(activity, properties, target_name, target_app_id or _object_id(record))
    ip_raw = record.get("ClientIP") or record.get("ActorIpAddress")
    ip, _ = parse_ip(ip_raw if isinstance(ip_raw, str) else None)
    return AppConsent(
        **common,
        user=user,
        app_name=facts.app_name,
        app_id=facts.app_id,
        scopes=facts.scopes,
        admin_consent=facts.admin_consent,
        ip=ip,
    )


def _modified_properties(value: Any) -> list[tuple[str, str]]:
    """Return ``ModifiedProperties`` as (name, new value), from ``NewValue`` or else ``Value``."""
    if not isinstance(value, list):
        return []
    pairs: list[tuple[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            continue
        raw = item.get("NewValue", item.get("Value"))
        pairs.append((item["Name"], raw if isinstance(raw, str) else ""))
    return pairs


def _target(value: Any) -> tuple[str | None, str | None]:
    name: str | None = None
    app_id: str | None = None
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("ID"), str):
            continue
        identifier = item["ID"].strip()
        kind = item.get("Type")
        if kind == _TARGET_NAME_TYPE and identifier.casefold() not in _GENERIC_TARGET_NAMES:
            name = name or identifier
        elif kind == _TARGET_APP_ID_TYPE:
            app_id = app_id or identifier
    return name, app_id


def _object_id(record: dict[str, Any]) -> str | None:
    value = record.get("ObjectId")
    return value.strip() or None if isinstance(value, str) else None
