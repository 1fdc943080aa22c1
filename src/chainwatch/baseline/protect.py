"""Protected baselines: accounts whose events are not learned while they are under attack.

When a detection scores at least the engine's learning threshold, its account is
protected for :data:`PROTECT_DAYS`. Until then none of the account's events teach its
baselines (sign-ins, rules, the links of mail it sends) and its hours are kept out of
the volume histories, so a takeover in progress never becomes the account's normal.
This approximates "inside an open incident of high severity", which the engine cannot
see because incidents are built after scoring.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import iso_time

PROTECT_DAYS = 14


def protect(book: BaselineBook, account: str, time: datetime, detection_id: str) -> None:
    """Protect ``account`` until :data:`PROTECT_DAYS` after ``time``."""
    until = (time + timedelta(days=PROTECT_DAYS)).isoformat()
    state = book.edit("protected", account)
    if until > state.get("until", ""):
        state["until"] = until
        state["detection_id"] = detection_id
        state.setdefault("since", time.isoformat())


def protected_until(book: BaselineBook, account: str | None, time: datetime) -> str | None:
    """Return the ISO end of ``account``'s protection if it covers ``time``, else ``None``."""
    if not account:
        return None
    state = book.get("protected", account)
    if not state or state.get("until", "") <= iso_time(time):
        return None
    return state["until"]
