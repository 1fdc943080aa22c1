"""Attach links reported apart from their message (Defender EmailUrlInfo) to it.

Defender exports a message (EmailEvents) and its links (EmailUrlInfo) as separate
records sharing a ``NetworkMessageId`` and, normally, a timestamp. Events reach the
engine in (time, event id) order, and link records' ids sort before message ids at
the same time, so links usually arrive first; they wait here up to
:data:`HOLD` and are merged into the message when it comes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta

from chainwatch.events import EmailMessage, Link, MessageLinks

HOLD = timedelta(hours=1)
MAX_PENDING = 100_000  # messages whose links wait; the oldest are dropped first


class LinkJoiner:
    """Holds :class:`MessageLinks` until the message with the same id is scored."""

    def __init__(self) -> None:
        self._pending: OrderedDict[str, tuple[datetime, tuple[Link, ...]]] = OrderedDict()
        self.unmatched = 0  # link records dropped without their message

    def add(self, event: MessageLinks) -> None:
        self._expire(event.time)
        key = event.network_message_id.lower()
        known = self._pending.pop(key, (event.time, ()))[1]
        merged = tuple({link.url: link for link in (*known, *event.links)}.values())
        self._pending[key] = (event.time, merged)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
            self.unmatched += 1

    def attach(self, message: EmailMessage) -> EmailMessage:
        """Return ``message`` with the held links of its network message id, if any."""
        self._expire(message.time)
        if not message.network_message_id:
            return message
        held = self._pending.pop(message.network_message_id.lower(), None)
        if held is None:
            return message
        links = {link.url: link for link in (*message.links, *held[1])}
        return replace(message, links=tuple(links.values()))

    def _expire(self, now: datetime) -> None:
        while self._pending:
            key, (time, _) = next(iter(self._pending.items()))
            if now - time <= HOLD:
                break
            del self._pending[key]
            self.unmatched += 1
