"""Slow exfiltration: reads on several days from a network the account never signed in from.

An attacker who keeps each day's reading small stays under the hourly surge of
``unusual-file-access-after-unusual-login``. Spread over days from a network that the
account had never used before the first of those reads, the pattern still stands out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged, recall
from chainwatch.baseline.identity import (
    READ_DAYS_KEPT,
    network_known,
    network_of,
    owner_days,
    read_days,
)
from chainwatch.baseline.volume import hourly_profile, window_items
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.file_access import MIN_ITEMS
from chainwatch.events import Event, FileAccess

MIN_DAYS = 3
OWNER_PRESENT_FACTOR = 0.25


@dataclass
class SlowExfiltration(Model):
    name: ClassVar[str] = "slow-exfiltration"
    scoring: ClassVar[str] = (
        "Tracks file and mail reads from a network (ASN) the account had not signed in from "
        "before the first of them, for 10 days from that first read, once the account has "
        "`detection.min_history` sign-ins. A network other accounts signed in from counts only "
        "with an unusual sign-in from it (below). Fires when reads from it "
        "fall on at least 3 distinct days and the current 60 minutes stay under the hourly "
        "surge (fewer than max(20, 3 x the 95th percentile + 1) items). Days = 1 - 1/(d - 1) "
        "for d days. An unusual sign-in of the account from that network or address in the "
        "10 days, or the network flagged by another account's, gives login = its score / 100 "
        "(0.85 if flagged). Score = noisy-OR(0.35 + 0.25 x days, 0.6 x login), x 0.25 when the "
        "account signed in interactively from that network with a client family it knows on "
        "all but at most one of the days (a travelling owner)."
    )
    title: ClassVar[str] = "Slow exfiltration"
    stage: ClassVar[str] = "collection"
    kinds: ClassVar[frozenset[str]] = frozenset({"file-access"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="The account read files or mail on several days from a network it had never "
        "signed in from, a little each day: collection paced to stay under volume alarms.",
        check=(
            "List the items read from that network each day and their sensitivity.",
            "Find the sign-in that first used the network: interactive, token, or none logged.",
        ),
        false_positives=(
            "A traveller working from a hotel or a new home network for several days.",
            "A sync client on a new device whose sign-ins the export does not include.",
        ),
        response=(
            "Revoke sessions and app grants; block the network if it is hosting infrastructure.",
            "Assess what data left and notify according to policy.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        networks = ",".join(detection.entity_values("network"))
        return f"{self.name}|{detection.account}|{networks}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, FileAccess) or event.location.network_label:
            return None
        network = network_of(event.location)
        if network is None:
            return None  # NOTE: reads whose address no sign-in or database located are not tracked
        days = read_days(state, event, network)
        if days is None:
            signins = (state.get("signin", event.user) or {}).get("n", 0)
            if signins < self.settings.min_history or network_known(state, event.user, network):
                return None
            days = {}
        today = event.time.date().isoformat()
        days[today] = days.get(today, 0) + event.item_count
        if len(days) < MIN_DAYS:
            return None

        own = state.get("file-volume", event.user)
        _hours, p95, _maximum = hourly_profile(own)
        in_hour = window_items(own, event.time, event.item_count)
        surge_floor = max(MIN_ITEMS, 3 * p95 + 1)
        if in_hour >= surge_floor:
            return None  # a surge: the hourly model's case

        day_count = len(days)
        days_p = 1 - 1 / (day_count - 1)
        login_p, login_reason, login_event = _login(state, event, network)
        org = (state.get("org", "signin") or {}).get("features", {})
        others = org.get("network", {}).get(network, 0)
        if others and not login_p:
            return None  # other accounts use the network and no unusual sign-in came from it
        value = noisy_or(0.35 + 0.25 * days_p, 0.6 * login_p)
        per_day = ", ".join(f"{day} {count}" for day, count in sorted(days.items()))
        explanation = [
            f"reads from {network} on {day_count} days within {READ_DAYS_KEPT} "
            f"(items per day: {per_day}); the account had not signed in from it before, "
            f"{others} other accounts had",
            f"{in_hour} items in the last 60 minutes, under the hourly surge floor {surge_floor}",
        ]
        if login_reason:
            explanation.append(login_reason)
        present = [day for day in owner_days(state, event.user, network) if day in days]
        if len(present) >= day_count - 1:
            value *= OWNER_PRESENT_FACTOR
            explanation.append(
                f"interactive sign-ins from {network} with a familiar client on {len(present)} "
                f"of the {day_count} days, as a travelling owner would: x {OWNER_PRESENT_FACTOR}"
            )
        return self.make(
            event,
            account=event.user,
            score=100 * value,
            summary=f"{event.user} read from {network} on {day_count} days, "
            f"{sum(days.values())} items in all",
            explanation=explanation,
            entities=[
                ("account", event.user),
                ("network", network),
                *([("ip", event.ip)] if event.ip else []),
            ],
            event_ids=(event.event_id, *([login_event] if login_event else [])),
        )


def _login(state: BaselineBook, event: FileAccess, network: str) -> tuple[float, str, str | None]:
    within = timedelta(days=READ_DAYS_KEPT)
    signins = recall(state, event.user, "unusual-signin", event.time, within)
    related = [
        s for s in signins if network in s.get("where", "").split(", ") or s.get("ip") == event.ip
    ]
    if related:
        login = max(related, key=lambda s: s["score"])
        reason = (
            f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
            f"(score {login['score']})"
        )
        return login["score"] / 100, reason, login.get("event_id")
    shared = flagged(state, "flagged-network", network)
    if shared:
        accounts = ", ".join(shared.get("accounts", [])[:3])
        return 0.85, f"{network} was used in the unusual sign-in of {accounts}", None
    return 0.0, "", None
