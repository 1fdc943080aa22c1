"""Per-account hourly volumes: distinct recipients sent to, and items read.

Each account keeps a sliding 60-minute window of recent activity and the history of
its busiest count in each active clock hour. A surge is judged against that history,
so an account that mails 400 people every Monday is not surprising when it does so
again, while one that never mailed more than 6 people in an hour is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import iso_before, iso_hour, iso_time, percentile

WINDOW = timedelta(hours=1)
MAX_HISTORY_HOURS = 2000
MAX_CONTACTS = 5000


def _prune(window: list[list], now: datetime) -> list[list]:
    cutoff = iso_before(now, WINDOW)
    return [entry for entry in window if entry[0] > cutoff]


def _close_hour(state: State, now: datetime) -> int:
    """Start a new clock hour if ``now`` is past the current one; return the closed count.

    An hour marked ``tainted`` (a detection fired in it) is not added to the history, so
    an attacker's burst never becomes the account's normal.
    """
    hour = iso_hour(now)
    closed = 0
    if state.get("hour") != hour:
        has_hour = state.get("hour") is not None and state.get("hour_count", 0) > 0
        if has_hour and not state.get("tainted"):
            closed = state["hour_count"]
            history = state.setdefault("history", [])
            history.append(closed)
            del history[:-MAX_HISTORY_HOURS]
        state["hour"] = hour
        state["hour_count"] = 0
        state["hour_keys"] = []
        state["tainted"] = False
    return closed


def taint_hour(book: BaselineBook, namespace: str, account: str) -> None:
    """Keep the account's current hour out of its history."""
    book.edit(namespace, account)["tainted"] = True


def window_recipients(state: State | None, now: datetime, new: tuple[str, ...]) -> set[str]:
    """Distinct recipients in the 60 minutes up to ``now``, including ``new``."""
    recent = {entry[1] for entry in _prune((state or {}).get("window", []), now)}
    return recent | set(new)


def new_contacts(state: State | None, recipients: tuple[str, ...]) -> list[str]:
    """Recipients this account never sent to before."""
    contacts = (state or {}).get("contacts", {})
    return [r for r in recipients if r not in contacts]


def window_first_contacts(state: State | None, now: datetime, new: tuple[str, ...]) -> set[str]:
    """Recipients first mailed in the 60 minutes up to ``now``, including ``new`` ones."""
    recent = {
        entry[1]
        for entry in _prune((state or {}).get("window", []), now)
        if len(entry) > 2 and entry[2]
    }
    return recent | set(new_contacts(state, new))


def learn_sent(book: BaselineBook, account: str, time: datetime, recipients: tuple[str, ...]):
    """Add a sent message's recipients to the account's window, hour and contacts."""
    state = book.edit("outbound", account)
    _close_hour(state, time)
    window = _prune(state.get("window", []), time)
    seen_in_window = {entry[1] for entry in window}
    known = state.get("contacts", {})
    for recipient in recipients:
        if recipient not in seen_in_window:
            # The third item marks a recipient this account had never mailed before.
            window.append([iso_time(time), recipient, recipient not in known])
            seen_in_window.add(recipient)
    state["window"] = window
    keys = set(state.get("hour_keys", []))
    added = "hour_keys" not in state
    for recipient in recipients:
        if recipient not in keys and len(keys) < MAX_CONTACTS:
            keys.add(recipient)
            added = True
    if added:  # else the stored list, kept sorted, is unchanged
        state["hour_keys"] = sorted(keys)
    state["hour_count"] = len(keys)
    contacts = state.setdefault("contacts", {})
    for recipient in recipients:
        # Not ``increment``: its cap of distinct values is far below an account's contacts.
        if len(contacts) < MAX_CONTACTS or recipient in contacts:
            contacts[recipient] = contacts.get(recipient, 0) + 1


def learn_items_read(book: BaselineBook, account: str, time: datetime, count: int) -> None:
    """Add items read to the account's window and hourly history, and to the org's."""
    state = book.edit("file-volume", account)
    closed = _close_hour(state, time)
    if closed:
        org = book.edit("file-volume-org", "all")
        history = org.setdefault("history", [])
        history.append(closed)
        del history[:-MAX_HISTORY_HOURS]
    window = _prune(state.get("window", []), time)
    window.append([iso_time(time), count])
    state["window"] = window
    state["hour_count"] = state.get("hour_count", 0) + count


def window_items(state: State | None, now: datetime, new: int) -> int:
    """Items read in the 60 minutes up to ``now``, including ``new``."""
    return sum(entry[1] for entry in _prune((state or {}).get("window", []), now)) + new


def hourly_profile(state: State | None) -> tuple[int, int, int]:
    """Return ``(active hours, 95th percentile, maximum)`` of the closed hours."""
    history = list((state or {}).get("history", []))
    if not history:
        return 0, 0, 0
    return len(history), percentile(history, 0.95), max(history)


def exceedance_probability(state: State | None, count: int) -> float:
    """Share of active hours at least as busy as ``count``, add-one smoothed."""
    history = list((state or {}).get("history", []))
    at_least = sum(1 for h in history if h >= count)
    return (at_least + 1) / (len(history) + 2)
