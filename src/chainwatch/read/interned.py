"""Shared instances of the small frozen values that many events repeat.

Events are frozen, so one ``Client`` or ``Location`` can serve every event with the
same fields. Reusing them saves building a dataclass per record. Each cache keeps at
most :data:`MAX_INTERNED` values and is emptied when full, because user agents and
places come from the records and an export may contain any number of them.
"""

from __future__ import annotations

from chainwatch.events import Client, Location

MAX_INTERNED = 4096
EMPTY_LOCATION = Location()

_clients: dict[tuple[str | None, str | None, str | None], Client] = {}
_locations: dict[tuple[str | None, str | None, int | None], Location] = {}


def interned_client(
    user_agent: str | None, app: str | None = None, protocol: str | None = None
) -> Client:
    """Return a ``Client`` with these fields, shared with earlier calls."""
    key = (user_agent, app, protocol)
    client = _clients.get(key)
    if client is None:
        if len(_clients) >= MAX_INTERNED:
            _clients.clear()
        client = _clients[key] = Client(user_agent=user_agent, app=app, protocol=protocol)
    return client


def interned_record_location(country: str | None, city: str | None, asn: int | None) -> Location:
    """Return a ``Location`` read from a record (``source="record"``), shared with earlier calls."""
    key = (country, city, asn)
    location = _locations.get(key)
    if location is None:
        if len(_locations) >= MAX_INTERNED:
            _locations.clear()
        location = Location(country=country, city=city, asn=asn, source="record")
        _locations[key] = location
    return location
