"""Lure link clicked: a user clicked a link that a delivery model flagged, or a rare one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, link_rarity
from chainwatch.events import Event, Link, LinkClick

BLOCKED_ACTIONS = ("clickblocked", "clickblockedbytenantpolicy", "blocked")


@dataclass
class LureLinkClicked(Model):
    name: ClassVar[str] = "lure-link-clicked"
    scoring: ClassVar[str] = (
        "A click (Defender UrlClickEvents) on a host that a delivery model flagged scores "
        "0.75, on a host with organisation-wide rarity of at least 0.25 scores 0.5 x rarity; "
        "going on past a Safe Links warning adds 0.3 by noisy-OR. A click that Safe Links "
        "blocked is multiplied by 0.4."
    )
    title: ClassVar[str] = "Lure link clicked"
    stage: ClassVar[str] = "click"
    kinds: ClassVar[frozenset[str]] = frozenset({"link-click"})
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A user clicked a link that was flagged as a lure, or that is rare in the "
        "organisation: the step between the phishing email and a stolen password.",
        check=(
            "Ask the user whether they entered their password or approved an MFA prompt.",
            "Look for sign-ins of the user from new places in the following days.",
        ),
        false_positives=("A click on a new but legitimate vendor portal.",),
        response=(
            "If a password may have been entered: reset it, revoke sessions, re-register MFA.",
            "Block the host for the whole organisation.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        hosts = ",".join(sorted(detection.entity_values("link-host")))
        return f"{self.name}|{detection.account}|{hosts}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, LinkClick):
            return None
        reasons: list[str] = []
        weights: list[float] = []
        flag = flagged(state, "flagged-host", event.host)
        link = Link(url=event.url, host=event.host, registered_domain=event.registered_domain)
        rarity = link_rarity(state, link, event.time)
        if flag:
            weights.append(0.75)
            reasons.append(
                f"host {event.host} was flagged by {flag.get('model')} at {flag['first'][:16]}"
            )
        elif rarity.rarity >= RARE_LINK_THRESHOLD:
            weights.append(0.5 * rarity.rarity)
        else:
            return None
        reasons.append(rarity.describe())
        if event.clicked_through:
            weights.append(0.3)
            reasons.append("the user went on past the Safe Links warning page")
        value = noisy_or(*weights)
        action = (event.action or "").lower()
        if action in BLOCKED_ACTIONS:
            value *= 0.4
            reasons.append(f"the click was blocked ({event.action})")
        return self.make(
            event,
            account=event.user,
            score=100 * value,
            summary=f"{event.user} clicked a link to {event.host}",
            explanation=reasons,
            entities=[
                ("account", event.user),
                ("link-host", event.host),
                *([("ip", event.ip)] if event.ip else []),
            ],
        )
