"""Sent items deleted after a surge: an attacker hiding the lure they sent from the mailbox.

After mailing a lure to the account's contacts, attackers delete the copies in Sent Items
(and the replies) so the owner does not notice. A deletion is scored when it follows, by
hours, the account's recipient surge or lure send, or comes from the address of the
account's unusual sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged, recall
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import Event, MailboxItemsDeleted

SPREAD_LOOKBACK = timedelta(hours=12)
SIGNIN_LOOKBACK = timedelta(days=7)
MANY_ITEMS = 10  # a deletion of this many items counts even outside Sent Items
SENT_FOLDER_WEIGHT = 0.8
FLAGGED_LINK_CONTEXT = 0.9


def is_sent_folder(folder: str | None) -> bool:
    """Return whether a folder path names Sent Items (``Sent Items``, ``Sent``, ``SENT``)."""
    if not folder:
        return False
    leaf = folder.replace("/", "\\").rstrip("\\").rsplit("\\", 1)[-1].strip().casefold()
    return leaf in ("sent items", "sent", "sent mail")


@dataclass
class SentItemsDeletedAfterSurge(Model):
    name: ClassVar[str] = "sent-items-deleted-after-surge"
    scoring: ClassVar[str] = (
        "A deletion (SoftDelete, HardDelete, MoveToDeletedItems) of items in Sent Items, or of "
        "at least 10 items, by or in the mailbox of an account that in the 12 hours before had "
        "a spread detection (recipient surge or rare link sent, score 50 or more) or sent a "
        "rare or flagged link, or from the address of its unusual sign-in within 7 days. "
        "Deletion = noisy-OR(0.8 for Sent Items, min(1, items / 40)). Context = the spread or "
        "sign-in score / 100, 0.9 for a flagged link, else the link's rarity. Score = "
        "noisy-OR(0.55 x deletion, 0.55 x context)."
    )
    title: ClassVar[str] = "Sent items deleted after a surge"
    stage: ClassVar[str] = "spread"
    kinds: ClassVar[frozenset[str]] = frozenset({"mail-delete"})
    repeat_hours: ClassVar[float] = 6.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="Items were deleted from Sent Items, or many at once, hours after the account "
        "mailed unusually many people or a rare link: an attacker covering their tracks.",
        check=(
            "Recover the deleted items (Recoverable Items) and read their subjects and links.",
            "Compare the deleting client and address with the unusual sign-in.",
        ),
        false_positives=("A user cleaning up after sending an announcement to a large list.",),
        response=(
            "Revoke the account's sessions and block sending; restore the deleted items.",
            "Warn the recipients of the sent lure.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, MailboxItemsDeleted):
            return None
        sent_folder = is_sent_folder(event.folder)
        if not sent_folder and event.item_count < MANY_ITEMS:
            return None
        context = self._context(state, event)
        if context is None:
            return None
        context_p, context_reason, context_event = context

        deletion = noisy_or(SENT_FOLDER_WEIGHT if sent_folder else 0.0, event.item_count / 40)
        value = noisy_or(0.55 * deletion, 0.55 * context_p)
        subjects = "; ".join(event.subjects[:3])
        by = f" by {event.user}" if event.user != event.mailbox else ""
        return self.make(
            event,
            account=event.mailbox,
            score=100 * value,
            summary=f"{event.operation} of {event.item_count} items from "
            f"{event.folder or 'an unnamed folder'} in {event.mailbox}{by}",
            explanation=[
                f"{event.item_count} items deleted from {event.folder or '?'}"
                f" (deletion {deletion:.2f})" + (f": {subjects}" if subjects else ""),
                context_reason,
            ],
            entities=[
                ("account", event.mailbox),
                ("account", event.user),
                *([("ip", event.ip)] if event.ip else []),
            ],
            event_ids=(event.event_id, *([context_event] if context_event else [])),
        )

    def _context(
        self, state: BaselineBook, event: MailboxItemsDeleted
    ) -> tuple[float, str, str | None] | None:
        """Return (strength, reason, event id) of the strongest preceding context, if any."""
        found: list[tuple[float, str, str | None]] = []
        for account in dict.fromkeys((event.mailbox, event.user)):
            for entry in recall(state, account, "spread", event.time, SPREAD_LOOKBACK):
                found.append(
                    (
                        entry["score"] / 100,
                        f"{entry['model']} (score {entry['score']}) at {entry['time'][:16]}",
                        entry.get("event_id"),
                    )
                )
            for entry in recall(state, account, "rare-link-sent", event.time, SPREAD_LOOKBACK):
                strength = FLAGGED_LINK_CONTEXT if entry.get("flagged") else entry["rarity"]
                found.append(
                    (strength, f"sent a link to {entry['host']} at {entry['time'][:16]}", None)
                )
            for entry in recall(state, account, "unusual-signin", event.time, SIGNIN_LOOKBACK):
                if event.ip and entry.get("ip") == event.ip:
                    found.append(
                        (
                            entry["score"] / 100,
                            f"from {event.ip}, the address of the unusual sign-in at "
                            f"{entry['time'][:16]} (score {entry['score']})",
                            entry.get("event_id"),
                        )
                    )
        shared = flagged(state, "flagged-ip", event.ip)
        if shared and not found:
            found.append(
                (
                    shared.get("score", 50) / 100,
                    f"from {event.ip}, the address of the unusual sign-in of "
                    f"{', '.join(shared.get('accounts', [])[:3])}",
                    None,
                )
            )
        return max(found, key=lambda f: f[0]) if found else None
