"""Timestamp parsing for Microsoft 365 exports, which spell the same instant many ways.

Every result is a timezone-aware UTC ``datetime``. A time with no zone marker is UTC:
the Unified Audit Log ``CreationTime``, message trace ``Received`` and several Azure
Monitor fields are UTC but omit the ``Z``. Reading them as local time would shift them
by the analyst's own offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_ZONE = r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"

_ISO = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[Tt ]"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{0,9}))?)?"
    rf"\s*{_ZONE}$"
)

# PowerShell and Azure Monitor in the en-US culture: month first, 12- or 24-hour clock.
_US = re.compile(
    r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{0,9}))?)?"
    rf"\s*(?P<meridiem>[AaPp][Mm])?\s*{_ZONE}$"
)

# The spellings most records use, UAL ``CreationTime`` without a zone and Graph's ``Z``,
# which :meth:`datetime.fromisoformat` parses several times faster than :data:`_ISO`.
_COMMON_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z?")

# The ASP.NET JSON date of the Office 365 reporting web service: epoch milliseconds.
_DOTNET = re.compile(r"^/Date\((?P<millis>-?\d+)(?P<zone>[+-]\d{4})?\)/$")


def parse_timestamp(text: str) -> datetime:
    """Parse one timestamp into an aware UTC ``datetime``.

    Accepts ISO 8601 with 0 to 9 fractional digits (truncated to microseconds), ``Z``
    or a numeric offset or no zone at all (taken as UTC), the US form
    ``M/D/YYYY h:mm:ss AM/PM`` with an optional offset, and ``/Date(ms)/``.
    Raises ``ValueError`` naming the value for anything else.
    """
    if _COMMON_ISO.fullmatch(text):
        # An explicit zone is several times faster than ``replace(tzinfo=UTC)``, and
        # Python 3.11 reads a "Z" or "+00:00" suffix as the ``UTC`` singleton.
        try:
            return datetime.fromisoformat(text if text[-1] == "Z" else text + "+00:00")
        except ValueError:
            pass  # a field out of range: the general parser below names it
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")

    dotnet = _DOTNET.match(value)
    if dotnet:
        # The optional offset in /Date(ms+hhmm)/ is display information: ms is already UTC.
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(dotnet["millis"]))
        except OverflowError:
            raise ValueError(f"timestamp {value!r} is out of range") from None

    match = _ISO.match(value) or _US.match(value)
    if match is None:
        raise ValueError(
            f"unrecognised timestamp {value!r}: expected ISO 8601 (2024-05-14T09:12:33Z) "
            "or M/D/YYYY h:mm:ss AM/PM"
        )
    return _build(match, value)


def _build(match: re.Match[str], value: str) -> datetime:
    parts = match.groupdict()
    hour = int(parts["hour"])
    meridiem = (parts.get("meridiem") or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"invalid timestamp {value!r}: hour {hour} with {meridiem}")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)

    fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
    try:
        naive = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts["minute"]),
            int(parts["second"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise ValueError(f"invalid timestamp {value!r}: {exc}") from None

    return naive.replace(tzinfo=_zone(parts["zone"], value)).astimezone(UTC)


def _zone(text: str | None, value: str) -> timezone:
    if not text or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid timestamp {value!r}: offset {text} out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
