"""Travel plausibility between an account's last trusted sign-in and a new one.

Only country-level positions are available: the normalised :class:`~chainwatch.events.
Location` carries a country and a city name but no coordinates or accuracy radius, so a
city cannot be placed on a map. The shortest distance a person must have travelled is
the distance between the two country centres minus both countries' radii (never below
zero), and the required speed is that distance over the hours between the sign-ins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chainwatch.baseline.geography import COUNTRY_AREAS, great_circle_km

MAX_PLAUSIBLE_KMH = 900.0  # cruising speed of an airliner
# Check-in, boarding and the trip to and from the airports, added to the flight time.
GROUND_HOURS = 3.0


@dataclass(frozen=True, slots=True)
class Trip:
    """The move from the last trusted sign-in's country to this sign-in's country."""

    from_country: str
    to_country: str
    from_time: datetime
    centre_km: float  # distance between the two country centres
    min_km: float  # centre distance minus both radii, at least 0
    hours: float

    @property
    def speed_kmh(self) -> float:
        """Speed needed to cover ``min_km`` in the time available (infinite for 0 hours)."""
        if self.min_km <= 0:
            return 0.0
        if self.hours <= 0:
            return float("inf")
        return self.min_km / self.hours

    @property
    def impossible(self) -> bool:
        return self.speed_kmh > MAX_PLAUSIBLE_KMH

    @property
    def plausible_flight(self) -> bool:
        """Whether a flight plus :data:`GROUND_HOURS` fits into the time available."""
        return self.min_km > 0 and self.hours >= self.min_km / MAX_PLAUSIBLE_KMH + GROUND_HOURS

    def describe(self) -> str:
        speed = "any speed" if self.speed_kmh == float("inf") else f"{self.speed_kmh:.0f} km/h"
        return (
            f"{self.from_country} -> {self.to_country}: at least {self.min_km:.0f} km "
            f"(centres {self.centre_km:.0f} km apart, less both countries' radii) in "
            f"{self.hours:.1f} hours since the last trusted sign-in, {speed}"
        )


def trip_between(last: dict | None, country: str | None, time: datetime) -> Trip | None:
    """Return the trip from ``last`` (a stored ``{"time", "country"}``) to ``country``.

    ``None`` when either country is unknown, not in the table, or the same.
    """
    if not last or not country or last.get("country") in (None, country):
        return None
    origin = COUNTRY_AREAS.get(last["country"])
    destination = COUNTRY_AREAS.get(country)
    if origin is None or destination is None:
        return None
    centre_km = great_circle_km(origin, destination)
    from_time = datetime.fromisoformat(last["time"])
    return Trip(
        from_country=last["country"],
        to_country=country,
        from_time=from_time,
        centre_km=centre_km,
        min_km=max(0.0, centre_km - origin.radius_km - destination.radius_km),
        hours=max(0.0, (time - from_time).total_seconds() / 3600.0),
    )
