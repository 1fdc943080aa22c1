"""Unusual file access after an unusual login.

Counts files and mail items read in a sliding hour and compares them with the account's
busiest hours; with too little history for the account, with the organisation's. It
fires only within hours of an unusual sign-in of the same account, or from its address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import recall
from chainwatch.baseline.volume import exceedance_probability, hourly_profile, window_items
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import Event, FileAccess

LOGIN_LOOKBACK = timedelta(hours=12)
MIN_ITEMS = 20


@dataclass
class UnusualFileAccessAfterUnusualLogin(Model):
    name: ClassVar[str] = "unusual-file-access-after-unusual-login"
    scoring: ClassVar[str] = (
        "Counts items read (FileAccessed, FileDownloaded, MailItemsAccessed and similar) in a "
        "sliding 60 minutes. Unusual means at least 20 items, more than 3 x the 95th percentile "
        "plus one and more than the maximum of the account's busiest hours, or of all accounts' "
        "hours while the account has fewer than `detection.min_history` active hours. Fires "
        "within 12 hours of an unusual sign-in of the account, or from its address within 2 days. "
        "Score = noisy-OR(0.55 x (1 - p), 0.55 x login)."
    )
    title: ClassVar[str] = "Unusual file access after an unusual login"
    stage: ClassVar[str] = "collection"
    kinds: ClassVar[frozenset[str]] = frozenset({"file-access"})
    repeat_hours: ClassVar[float] = 6.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="Within hours of an unusual sign-in the account read or downloaded many more "
        "files or mail items than it usually does in an hour.",
        check=(
            "List the files read (SharePoint/OneDrive paths) and their sensitivity.",
            "Compare the address and client with the unusual sign-in.",
        ),
        false_positives=(
            "A sync client re-downloading a library on a new laptop while travelling.",
        ),
        response=(
            "Revoke sessions; review sharing links created by the account.",
            "Assess what data left and notify according to policy.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, FileAccess):
            return None
        signins = recall(state, event.user, "unusual-signin", event.time, timedelta(days=2))
        related = [
            s
            for s in signins
            if s.get("ip") == event.ip or s["time"] >= (event.time - LOGIN_LOOKBACK).isoformat()
        ]
        if not related:
            return None
        login = max(related, key=lambda s: s["score"])

        own = state.get("file-volume", event.user)
        hours, p95, maximum = hourly_profile(own)
        basis = "this account"
        profile_state = own
        if hours < self.settings.min_history:
            profile_state = state.get("file-volume-org", "all")
            hours, p95, maximum = hourly_profile(profile_state)
            basis = "all accounts"
        count = window_items(own, event.time, event.item_count)
        if count < max(MIN_ITEMS, 3 * p95 + 1) or count <= maximum:
            return None
        if hours:
            probability = exceedance_probability(profile_state, count)
        else:
            probability = math.exp(-count / 30.0)
        value = 100 * noisy_or(0.55 * (1 - probability), 0.55 * login["score"] / 100)
        return self.make(
            event,
            account=event.user,
            score=value,
            summary=f"{event.user} read {count} items in an hour after an unusual sign-in",
            explanation=[
                f"{count} items read in 60 minutes; over {hours} active hours of {basis} the "
                f"95th percentile was {p95} and the maximum {maximum} (p={probability:.3f})",
                f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
                f"(score {login['score']})",
            ],
            entities=[("account", event.user), *([("ip", event.ip)] if event.ip else [])],
            event_ids=(event.event_id, login["event_id"]),
        )
