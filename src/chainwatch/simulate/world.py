"""Shared state of one simulation run: the calendar, the plan and what has happened so far."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from chainwatch.simulate.records import RecordFactory, Timeline
from chainwatch.simulate.tenant import ClientProfile, Network, Person, Tenant


@dataclass(frozen=True, slots=True)
class Session:
    """A stretch of time one account works from one address with one client."""

    start: datetime
    end: datetime
    ip: str
    network: Network
    client: ClientProfile


@dataclass(frozen=True, slots=True)
class Trip:
    """Where a traveller works from abroad and how long the flight there takes."""

    network: Network
    ips: tuple[str, ...]
    flight_hours: int
    utc_offset_hours: int  # the destination's offset from UTC


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def uk_utc_offset_hours(day: date) -> int:
    """Return 1 during British Summer Time, else 0.

    BST runs from the last Sunday of March to the last Sunday of October; the switch
    happens at 01:00 UTC, which this per-day value ignores.
    """
    return 1 if _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10) else 0


@dataclass
class World:
    """The tenant, the period and everything generated so far, shared by all generators."""

    tenant: Tenant
    start: date
    days: int
    seed: int
    timeline: Timeline = field(default_factory=Timeline)
    factory: RecordFactory = field(init=False)
    # Plans made before the routine runs, so the routine can honour them.
    travel: dict[str, set[date]] = field(default_factory=dict)
    leave: dict[str, set[date]] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)  # accounts no look-alike may use
    established_recipients: list[Person] = field(default_factory=list)
    trips: dict[str, Trip] = field(default_factory=dict)  # travellers not at the US hotel
    # Accounts whose desk sessions outside the office leave through a shared egress.
    egress: dict[str, tuple[Network, tuple[str, ...]]] = field(default_factory=dict)
    ipv6_churn: set[str] = field(default_factory=set)  # accounts with privacy-address churn
    # Filled by the routine.
    sessions: dict[tuple[str, date], list[Session]] = field(default_factory=dict)
    received: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.factory = RecordFactory(self.rng("ids"), self.tenant.organisation_id, self.timeline)

    def rng(self, purpose: str) -> random.Random:
        """Return a generator for one purpose, so changing one part leaves the others alone."""
        return random.Random(f"chainwatch-simulate:{self.seed}:{purpose}")

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def utc(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        """Convert a UK local wall-clock time on ``day`` to UTC."""
        local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
        return local - timedelta(hours=uk_utc_offset_hours(day))

    def working_days(self) -> list[date]:
        return [d for d in self.dates if d.weekday() < 5]

    def month_end_runs(self) -> list[date]:
        """Return the last business day (Monday-Friday) of each month that ends in the period."""
        runs = []
        for day in self.working_days():
            following = day + timedelta(days=1)
            while following.weekday() >= 5:
                following += timedelta(days=1)
            if following.month != day.month:
                runs.append(day)
        return runs

    def person(self, address: str) -> Person:
        for person in self.tenant.people:
            if person.address == address:
                return person
        raise KeyError(address)

    def main_session(self, address: str, day: date) -> Session | None:
        """Return the account's first desk (non-mobile) session that day, if any."""
        for session in self.sessions.get((address, day), []):
            if session.client.key != "ios-outlook":
                return session
        return None

    def received_before(self, address: str, moment: datetime, limit: int) -> list[str]:
        """Return up to ``limit`` Message-IDs received before ``moment``, newest first."""
        items = sorted(item for item in self.received.get(address, []) if item[0] < moment)
        return [mid for _, mid in items[-limit:][::-1]]
