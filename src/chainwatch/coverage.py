"""Coverage: what the input could not show, reported next to the findings it affects.

"Nothing found" is only a conclusion where the logs could have shown something. This
module keeps, in the baseline book, how many events each channel (sign-in logs, audit
log, message trace, mail content, click events) delivered per day and which accounts
appeared in which channel, and turns that and the readers' notices into coverage gaps:

- a channel absent from the input altogether, so its models cannot run;
- a day on which a channel delivered nothing although it usually does on that weekday;
- mailboxes that sent mail but have no audit record at all (auditing off or not
  exported), so rules and reads there cannot be seen;
- throttled ``MailItemsAccessed`` (the audit log stops recording reads for 24 hours);
- capped or truncated exports reported by the readers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import iso_time
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Event, FileAccess, MailSent

CHANNELS = {
    "sign-in": "sign-in logs",
    "mailbox-rule": "audit log",
    "file-access": "audit log",
    "mail-sent": "message trace",
    "email": "mail content",
    "email-links": "mail content",
    "link-click": "click events",
}
# Reader names of Unified Audit Log sources, whatever the operation.
AUDIT_SOURCES = ("ual", "office-activity")
# Models that cannot run without each channel.
CHANNEL_MODELS = {
    "sign-in logs": "unusual sign-ins and every model that follows one",
    "audit log": "mailbox rules and file access",
    "message trace": "recipient surges (unless mail content covers all sent mail)",
    "mail content": "lure links and link rarity",
    "click events": "clicks on lure links",
}
GAP_MIN_WEEKDAY_MEDIAN = 10  # a silent day is a gap only if that weekday usually has this many
MAX_LISTED_ACCOUNTS = 10
LOOKBACK = timedelta(days=14)  # how far before an incident a gap still affects it


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Something the input could not show, and when."""

    kind: str  # "missing-channel", "silent-day", "unaudited-mailboxes", "throttled", "export"
    message: str
    start: datetime | None = None
    end: datetime | None = None

    def overlaps(self, first: datetime, last: datetime) -> bool:
        """True when the gap falls within an incident's look-back or duration."""
        if self.start is None or self.end is None:
            return True
        return self.start <= last and self.end >= first - LOOKBACK

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


def channel_of(event: Event) -> str | None:
    """Return the channel an event came through: the audit log for every UAL record."""
    if event.source.startswith(AUDIT_SOURCES):
        return "audit log"
    return CHANNELS.get(event.kind)


def observe(book: BaselineBook, event: Event, org_domains: frozenset[str]) -> None:
    """Count ``event`` in its channel's daily volume and note its account's channels."""
    channel = channel_of(event)
    if channel is None:
        return
    days = book.edit("coverage", "days").setdefault(channel, {})
    day = iso_time(event.time)[:10]  # the date part, as ``time.date().isoformat()``
    days[day] = days.get(day, 0) + 1

    if isinstance(event, FileAccess) and event.throttled:
        throttled = book.edit("coverage", "throttled")
        throttled.setdefault(event.user, [])
        if day not in throttled[event.user]:
            throttled[event.user].append(day)

    account = _account(event)
    if account and _is_org(account, org_domains):
        known = (book.get("coverage", "accounts") or {}).get(account)
        if known is not None and channel in known:
            return
        accounts = book.edit("coverage", "accounts")
        seen = accounts.setdefault(account, [])
        if channel not in seen:
            seen.append(channel)


def _account(event: Event) -> str | None:
    if isinstance(event, MailSent):
        return event.sender
    for name in ("user", "mailbox", "sender"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            return value
    return None


@lru_cache(maxsize=65536)  # accounts recur on every event, and both arguments are immutable
def _is_org(address: str, org_domains: frozenset[str]) -> bool:
    domain = domain_of_address(address)
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in org_domains)


def coverage_gaps(book: BaselineBook, notices: list[dict[str, Any]]) -> list[CoverageGap]:
    """Return every coverage gap known from the book and the readers' notices."""
    days: dict[str, dict[str, int]] = (book.get("coverage", "days") or {}).copy()
    gaps: list[CoverageGap] = []
    present = {channel for channel, counts in days.items() if counts}
    if present:
        for channel in ("sign-in logs", "audit log", "message trace", "mail content"):
            if channel not in present:
                gaps.append(
                    CoverageGap(
                        "missing-channel",
                        f"no {channel} in the input: {CHANNEL_MODELS[channel]} cannot be seen",
                    )
                )
    for channel in sorted(present):
        gaps.extend(_silent_days(channel, days[channel]))
    gaps.extend(_unaudited(book, present))
    gaps.extend(_throttled(book))
    for notice in notices:
        gaps.append(
            CoverageGap(
                "export",
                f"{notice['file']}: {notice['message']}",
                notice.get("start"),
                notice.get("end"),
            )
        )
    return gaps


def _silent_days(channel: str, counts: dict[str, int]) -> list[CoverageGap]:
    active = sorted(date.fromisoformat(d) for d in counts)
    first, last = active[0], active[-1]
    by_weekday: dict[int, list[int]] = {}
    day = first
    while day <= last:
        by_weekday.setdefault(day.weekday(), []).append(counts.get(day.isoformat(), 0))
        day += timedelta(days=1)
    gaps = []
    day = first
    while day <= last:
        usual = by_weekday[day.weekday()]
        if counts.get(day.isoformat(), 0) == 0 and len(usual) >= 2:
            median = statistics.median(usual)
            if median >= GAP_MIN_WEEKDAY_MEDIAN:
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                gaps.append(
                    CoverageGap(
                        "silent-day",
                        f"{channel}: no records on {day.isoformat()} although a "
                        f"{day.strftime('%A')} usually has {median:.0f}",
                        start,
                        start + timedelta(days=1),
                    )
                )
        day += timedelta(days=1)
    return gaps


def _unaudited(book: BaselineBook, present: set[str]) -> list[CoverageGap]:
    if "audit log" not in present:
        return []
    accounts = book.get("coverage", "accounts") or {}
    senders = sorted(
        account
        for account, channels in accounts.items()
        if "audit log" not in channels
        and ("message trace" in channels or "mail content" in channels)
    )
    if not senders:
        return []
    listed = ", ".join(senders[:MAX_LISTED_ACCOUNTS])
    more = (
        f" and {len(senders) - MAX_LISTED_ACCOUNTS} more"
        if len(senders) > MAX_LISTED_ACCOUNTS
        else ""
    )
    return [
        CoverageGap(
            "unaudited-mailboxes",
            f"{len(senders)} {'mailbox' if len(senders) == 1 else 'mailboxes'} sent mail but "
            "have no audit record (auditing off or not "
            f"exported), so rules and reads there cannot be seen: {listed}{more}",
        )
    ]


def _throttled(book: BaselineBook) -> list[CoverageGap]:
    gaps = []
    for account, days in sorted((book.get("coverage", "throttled") or {}).items()):
        for day in sorted(days):
            start = datetime.fromisoformat(day).replace(tzinfo=UTC)
            gaps.append(
                CoverageGap(
                    "throttled",
                    f"{account}: MailItemsAccessed throttled on {day}; mail reads for the next "
                    "24 hours are not in the audit log",
                    start,
                    start + timedelta(days=2),
                )
            )
    return gaps
