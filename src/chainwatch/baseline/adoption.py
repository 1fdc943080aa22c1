"""Recent spread of each linked registered domain: distinct senders and recipients.

A new SaaS tool reaches many people through many senders, internal ones included, within
days; a lure reaches many people through one or two senders. Link rarity uses the spread
of the last :data:`ADOPTION_DAYS` days so that an organisation-wide adoption stops being
rare quickly. Only learned messages count (the engine skips those a model scored 60 or
more), so an attacker's own sends never make its host look adopted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import iso_before, iso_time
from chainwatch.events import EmailMessage

ADOPTION_DAYS = 7
ADOPTION_SPAN = timedelta(days=ADOPTION_DAYS)
MAX_RECENT_SENDERS = 64
MAX_RECENT_RECIPIENTS = 256
NAMESPACE = "link-adoption"


def _touch(seen: dict[str, str], key: str, iso: str, limit: int) -> None:
    if iso >= seen.get(key, ""):
        seen[key] = iso
    if len(seen) > limit:
        oldest = min(seen, key=lambda k: seen[k])
        del seen[oldest]


def learn_adoption(book: BaselineBook, event: EmailMessage) -> None:
    """Record the sender and recipients of a learned message for each domain it links to."""
    if event.nested_depth > 0 or not event.links:
        return
    iso = iso_time(event.time)
    for domain in {link.registered_domain or link.host for link in event.links}:
        state = book.edit(NAMESPACE, domain)
        if event.sender:
            _touch(state.setdefault("senders", {}), event.sender, iso, MAX_RECENT_SENDERS)
        recipients = state.setdefault("recipients", {})
        for recipient in event.recipients[:MAX_RECENT_RECIPIENTS]:
            _touch(recipients, recipient, iso, MAX_RECENT_RECIPIENTS)


def _count_since(seen: dict[str, str], earliest: str, latest: str) -> int:
    return len([iso for iso in seen.values() if earliest <= iso <= latest])


def recent_spread(book: BaselineBook, domain: str | None, now: datetime) -> tuple[int, int]:
    """Return ``(distinct senders, distinct recipients)`` of the domain in the last days."""
    state: State | None = book.get(NAMESPACE, domain) if domain else None
    if not state:
        return 0, 0
    earliest = iso_before(now, ADOPTION_SPAN)
    latest = iso_time(now)
    return (
        _count_since(state.get("senders", {}), earliest, latest),
        _count_since(state.get("recipients", {}), earliest, latest),
    )
