"""Comparison of chainwatch's normalised events with a peer's expected values.

Both sides are normalised the same way before they are compared: times become aware UTC
``datetime`` values, user names and message ids are lower-cased (message ids without
angle brackets), IPs take their canonical text form and countries are upper-cased.
A field is compared only when both sides have a value for it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chainwatch.events import Event

# The event attributes that hold each canonical field, first present wins. New event
# types are covered as long as they use these attribute names.
OUR_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "user": ("user", "actor", "sender"),
    "ip": ("ip", "from_ip", "sending_ip"),
    "action": ("operation", "action", "status", "delivery_action"),
    "message_id": ("message_id",),
}

_FRACTION = re.compile(r"[T ]\d{1,2}:\d{2}:\d{2}[.,](\d+)")


@dataclass(frozen=True)
class FieldComparison:
    """One field compared: our normalised value, the peer's, and whether they agree."""

    field: str
    ours: str
    theirs: str
    equal: bool


def our_values(event: Event) -> dict[str, Any]:
    """Return the canonical fields of ``event`` that it has a value for."""
    values: dict[str, Any] = {"time": event.time}
    for name, attributes in OUR_ATTRIBUTES.items():
        for attribute in attributes:
            value = getattr(event, attribute, None)
            if value not in (None, ""):
                values[name] = value
                break
    success = getattr(event, "success", None)
    if isinstance(success, bool):
        values["outcome"] = "success" if success else "failure"
    location = getattr(event, "location", None)
    country = getattr(location, "country", None)
    if country:
        values["country"] = country
    return values


def compare_event(event: Event, expected: dict[str, str]) -> list[FieldComparison]:
    """Compare every canonical field that ``event`` and ``expected`` both have."""
    ours = our_values(event)
    results: list[FieldComparison] = []
    for name, their_text in expected.items():
        if name not in ours:
            continue
        theirs = _normalise(name, their_text)
        if theirs is None:
            continue  # the peer's value is a placeholder such as "sanitized"
        mine = ours[name]
        if name == "time":
            mine = _truncate(mine, _fraction_digits(their_text))
        else:
            mine = _normalise(name, str(mine))
        results.append(FieldComparison(name, _show(mine), _show(theirs), mine == theirs))
    return results


def parse_peer_time(text: str) -> datetime | None:
    """Parse a peer's ISO 8601 time. A time without a zone is UTC, as in every source here."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _normalise(name: str, text: str) -> Any:
    text = text.strip()
    if name == "time":
        return parse_peer_time(text)
    if name == "ip":
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            return None
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)
    if name == "country":
        return text.upper()
    if name in ("user", "message_id"):
        return text.strip("<>").lower()
    if name in ("action", "outcome"):
        return text.lower()
    return text


def _fraction_digits(text: str) -> int:
    match = _FRACTION.search(text)
    return len(match[1]) if match else 0


def _truncate(value: datetime, digits: int) -> datetime:
    """Drop the sub-second digits the peer does not give (Elastic and Cribl keep milliseconds)."""
    if digits >= 6:
        return value
    step = 10 ** (6 - digits)
    return value.replace(microsecond=value.microsecond // step * step)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
