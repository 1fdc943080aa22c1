"""Learning state of an account's sign-in baseline, and a summary of what it learned.

``learning``: fewer than ``detection.min_history`` successful sign-ins, or first seen
less than :data:`ESTABLISHED_AFTER_DAYS` days ago. ``stale``: no sign-in learned for
more than one half-life (``detection.half_life_days``), so most of its counts have
decayed by half or more. ``established`` otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import days_known
from chainwatch.baseline.protect import protected_until
from chainwatch.baseline.signin import FEATURES, decayed_weights

ESTABLISHED_AFTER_DAYS = 7.0


def learning_state(
    state: dict[str, Any] | None, now: datetime, min_history: int, half_life_days: float
) -> str:
    """Return ``learning``, ``established`` or ``stale`` for a ``signin`` state at ``now``."""
    state = state or {}
    if state.get("n", 0) < min_history or days_known(state, now) < ESTABLISHED_AFTER_DAYS:
        return "learning"
    last = state.get("last")
    if last and (now - datetime.fromisoformat(last)).total_seconds() > half_life_days * 86400:
        return "stale"
    return "established"


def latest_signin_time(book: BaselineBook) -> datetime | None:
    """Return the time of the newest sign-in learned for any account."""
    latest = max((state.get("last", "") for _, state in book.items("signin")), default="")
    return datetime.fromisoformat(latest) if latest else None


def account_baseline(
    book: BaselineBook, account: str, now: datetime, min_history: int, half_life_days: float
) -> dict[str, Any] | None:
    """Summarise ``account``'s sign-in baseline at ``now``; ``None`` if it has none."""
    state = book.get("signin", account)
    if state is None:
        return None
    features: dict[str, list[dict[str, Any]]] = {}
    for feature in FEATURES:
        weights = decayed_weights(state, feature, now, half_life_days)
        counts = state.get("features", {}).get(feature, {})
        rows = [
            {"value": value, "count": counts.get(value, 0), "weight": round(weight, 2)}
            for value, weight in weights.items()
        ]
        if rows:
            features[feature] = sorted(rows, key=lambda r: (-r["weight"], r["value"]))
    return {
        "account": account,
        "state": learning_state(state, now, min_history, half_life_days),
        "as_of": now.isoformat(),
        "sign_ins": state.get("n", 0),
        "days_active": state.get("days", 0),
        "days_known": round(days_known(state, now), 1),
        "first": state.get("first"),
        "last": state.get("last"),
        "peer_group": state.get("peer"),
        "last_trusted": state.get("last_trusted"),
        "protected_until": protected_until(book, account, now),
        "half_life_days": half_life_days,
        "features": features,
    }
