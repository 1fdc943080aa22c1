"""Counting helpers shared by every baseline, on plain dicts so state stays JSON.

Rarity is a probability estimated from counts. For a value seen ``c`` times in ``n``
observations of one entity, the probability of seeing it again is
``(c + a * prior) / (n + a)``, a Bayesian estimate shrunk towards the organisation-wide
``prior`` with weight ``a``. Sign-in baselines give a value never seen the Good-Turing
probability of a new value times the prior (see :func:`chainwatch.baseline.signin.
signin_rarities`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

MAX_VALUES = 256  # distinct values kept per counted feature; the rarest are dropped first


@dataclass(frozen=True, slots=True)
class Rarity:
    """How unusual one value is for one entity, and which prior level informed it."""

    feature: str
    value: str
    entity_count: int  # times this entity showed the value, among values still remembered
    entity_total: int  # observations of this entity, all time
    entity_days: int  # distinct days the entity was observed
    org_count: int  # organisation members (users, senders) that showed the value
    org_total: int  # organisation members observed
    probability: float  # estimated probability of the value for this entity
    entity_weight: float = 0.0  # decayed count of the value
    entity_weight_total: float = 0.0  # decayed count of all remembered values
    prior_level: str = "organisation"  # "organisation" or "peer group NAME"
    prior_count: int = 0  # members of the prior level that showed the value
    prior_total: int = 0  # members of the prior level
    # Good-Turing probability that the entity shows any value it has not shown before.
    unseen_probability: float | None = None
    singletons: int = 0  # remembered values seen exactly once
    remembered: int = 0  # observations of the remembered values

    @property
    def novel(self) -> bool:
        return self.entity_count == 0

    def describe(self, entity_noun: str = "sign-ins", member_noun: str = "other users") -> str:
        text = (
            f"{self.feature} {self.value}: {self.entity_count} of {self.entity_total} "
            f"{entity_noun} over {self.entity_days} days for this account "
            f"(decayed weight {self.entity_weight:.1f} of {self.entity_weight_total:.1f}), "
            f"{self.org_count} of {self.org_total} {member_noun}"
        )
        if self.prior_level != "organisation":
            text += f", prior from {self.prior_level}: {self.prior_count} of {self.prior_total}"
        if self.novel and self.unseen_probability is not None:
            text += (
                f", new-value probability {self.unseen_probability:.3f} "
                f"({self.singletons} values seen once in {self.remembered})"
            )
        return text + f" (p={self.probability:.3f})"


def increment(counter: dict[str, int], value: str, by: int = 1) -> int:
    """Add to ``counter[value]`` and return the count before the increment."""
    before = counter.get(value, 0)
    counter[value] = before + by
    if len(counter) > MAX_VALUES:
        rarest = min(counter, key=lambda k: counter[k])
        if rarest != value:
            del counter[rarest]
    return before


def smoothed_probability(count: float, total: float, prior: float, weight: float = 2.0) -> float:
    """Return ``(count + weight * prior) / (total + weight)``."""
    return (count + weight * prior) / (total + weight)


def org_prior(members_with_value: int, members: int) -> float:
    """Share of organisation members that showed a value, with add-half smoothing."""
    return (members_with_value + 0.5) / (members + 1.0)


@lru_cache(maxsize=4096)
def parse_iso(text: str) -> datetime:
    """Return ``datetime.fromisoformat(text)``, cached because state times recur."""
    return datetime.fromisoformat(text)


# Cached because scoring one sign-in decays the same state to the same time once per
# feature. The result depends only on the instants, so equal keys give equal results.
@lru_cache(maxsize=4096)
def decay_factor(since: str | None, now: datetime, half_life_days: float) -> float:
    """Return ``2 ** (-age / half_life)`` for the days from ISO time ``since`` to ``now``.

    Returns 1.0 when ``since`` is missing or not before ``now``.
    """
    if not since:
        return 1.0
    age_days = (now - parse_iso(since)).total_seconds() / 86400.0
    if age_days <= 0:
        return 1.0
    return 2.0 ** (-age_days / half_life_days)


def day_number(time: datetime) -> int:
    return time.toordinal()


# The last datetime formatted, its text, and the texts of times derived from it (window
# starts keyed by their length, the clock hour keyed by "hour").
# The engine passes one event's ``time`` object to every baseline, and the baselines
# format it and the window bounds before it several times per event. ``isoformat`` of an
# aware datetime costs about as much as the rest of a small baseline update. The cache is
# keyed on the object itself (``is``), never on equality, because equal datetimes in
# other zones format differently.
_last_formatted: tuple[datetime, str, dict[timedelta | str, str]] | None = None


def _formatted(time: datetime) -> tuple[datetime, str, dict[timedelta | str, str]]:
    global _last_formatted
    last = _last_formatted
    if last is None or last[0] is not time:
        last = (time, time.isoformat(), {})
        _last_formatted = last
    return last


def iso_time(time: datetime) -> str:
    """Return ``time.isoformat()``, reusing the text while the same object is passed again."""
    return _formatted(time)[1]


def iso_before(time: datetime, delta: timedelta) -> str:
    """Return ``(time - delta).isoformat()``, cached like :func:`iso_time`."""
    earlier = _formatted(time)[2]
    text = earlier.get(delta)
    if text is None:
        if len(earlier) >= 16:  # only a handful of window lengths are in use
            earlier.clear()
        text = (time - delta).isoformat()
        earlier[delta] = text
    return text


def iso_hour(time: datetime) -> str:
    """Return the ISO text of the start of ``time``'s clock hour, cached like :func:`iso_time`."""
    derived = _formatted(time)[2]
    text = derived.get("hour")
    if text is None:
        text = time.replace(minute=0, second=0, microsecond=0).isoformat()
        derived["hour"] = text
    return text


def touch_days(state: dict, time: datetime) -> None:
    """Update first/last seen and the distinct-day count of an entity state."""
    iso = iso_time(time)
    state.setdefault("first", iso)
    if iso < state["first"]:
        state["first"] = iso
    if iso > state.get("last", ""):
        state["last"] = iso
    day = day_number(time)
    if state.get("last_day") != day:
        state["days"] = state.get("days", 0) + 1
        state["last_day"] = day


def days_known(state: dict, now: datetime) -> float:
    """Days between the entity's first observation and ``now``."""
    first = state.get("first")
    if not first:
        return 0.0
    return max(0.0, (now - parse_iso(first)).total_seconds() / 86400.0)


def percentile(values: list[int], fraction: float) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
