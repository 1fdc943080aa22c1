"""Recent suspicious context that composite models look back on.

Per account: unusual sign-ins of the last days and rare links it sent. Organisation-
wide: link hosts and networks that a detection flagged, so that a second account using
the same attacker infrastructure, or sending the same lure, is recognised. Entries
expire after :data:`CONTEXT_DAYS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import iso_before, iso_time, parse_iso

CONTEXT_DAYS = 14
CONTEXT_SPAN = timedelta(days=CONTEXT_DAYS)
MAX_ENTRIES = 50


def _recent(entries: list[dict[str, Any]], now: datetime, within: timedelta) -> list[dict]:
    earliest = iso_before(now, within)
    latest = iso_time(now)
    return [e for e in entries if earliest <= e["time"] <= latest]


def remember(book: BaselineBook, account: str, kind: str, entry: dict[str, Any]) -> None:
    """Append a context entry (it must have an ISO ``time``) for ``account``."""
    state = book.edit("account", account)
    entries = state.setdefault(kind, [])
    cutoff = (parse_iso(entry["time"]) - CONTEXT_SPAN).isoformat()
    entries[:] = [e for e in entries if e["time"] >= cutoff][-MAX_ENTRIES + 1 :]
    entries.append(entry)


def recall(
    book: BaselineBook, account: str, kind: str, now: datetime, within: timedelta
) -> list[dict[str, Any]]:
    """Return ``account``'s context entries of ``kind`` in the window before ``now``."""
    state = book.get("account", account) or {}
    return _recent(state.get(kind, []), now, within)


def flag(book: BaselineBook, namespace: str, key: str, entry: dict[str, Any]) -> None:
    """Mark an organisation-wide entity (a link host, a network) as seen in a detection."""
    state = book.edit(namespace, key)
    if "first" not in state:
        state.update(entry)
        state["first"] = entry["time"]
    accounts = state.setdefault("accounts", [])
    account = entry.get("account")
    if account and account not in accounts and len(accounts) < MAX_ENTRIES:
        accounts.append(account)


def flagged(book: BaselineBook, namespace: str, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    return book.get(namespace, key)
