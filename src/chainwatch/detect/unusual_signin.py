"""Unusual sign-in: a successful sign-in whose country, network or client is new.

Context for the composite models rather than an alarm on its own: travel and new
phones look the same at this level, so the incident severity weighs it lightly unless
later steps of a chain follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged
from chainwatch.baseline.signin import signin_history, signin_rarities
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import Event, SignIn

# How much a never-seen value of each feature says about a takeover.
FEATURE_WEIGHTS = {"country": 0.75, "network": 0.65, "client": 0.35, "os": 0.25, "app": 0.1}
FLAGGED_NETWORK_WEIGHT = 0.85


@dataclass
class UnusualSignIn(Model):
    name: ClassVar[str] = "unusual-sign-in"
    scoring: ClassVar[str] = (
        "Each feature (country, network, client, OS, app) gets the probability of its value for "
        "this account: a Bayesian estimate shrunk towards the share of other users with that "
        "value. A value that is new, or below 5%, contributes weight x (1 - p) x 1/(1 + "
        "others/2), where others counts the other users who have used it. Weights: country 0.75, "
        "network 0.65, client 0.35, OS 0.25, app 0.1. A network or address that another account's "
        "unusual sign-in used adds 0.85. Contributions combine by noisy-OR, 1 - prod(1 - w). "
        "Accounts with fewer than `detection.min_history` successful sign-ins, failed sign-ins, "
        "and sign-ins from a `known_networks` label are not scored."
    )
    title: ClassVar[str] = "Unusual sign-in"
    stage: ClassVar[str] = "sign-in"
    kinds: ClassVar[frozenset[str]] = frozenset({"sign-in"})
    repeat_hours: ClassVar[float] = 12.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="The account signed in successfully with a country, network (ASN) or client "
        "that neither it nor most of the organisation has used before.",
        check=(
            "Ask the user whether they are travelling or using a new device.",
            "Look for later mailbox rules, file reads or mail sent from the same address.",
            "Check whether other accounts signed in from the same network.",
        ),
        false_positives=(
            "Travel, a new phone or browser, a new home ISP.",
            "A VPN or cloud proxy exit not yet listed in known_networks.",
        ),
        response=(
            "If the user did not sign in: revoke sessions, reset the password and MFA methods.",
            "If expected: add the network to known_networks when it is the organisation's own.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, SignIn) or not event.success:
            return None
        if event.location.network_label:
            return None
        total, _days = signin_history(state, event.user)
        if total < self.settings.min_history:
            return None

        terms: list[float] = []
        reasons: list[str] = []
        for rarity in signin_rarities(state, event):
            org_factor = 1.0 / (1.0 + rarity.org_count / 2.0)
            term = FEATURE_WEIGHTS[rarity.feature] * (1.0 - rarity.probability) * org_factor
            if rarity.novel or rarity.probability < 0.05:
                terms.append(term)
                reasons.append(rarity.describe())

        network = _network_key(event)
        shared = flagged(state, "flagged-network", network) or flagged(
            state, "flagged-ip", event.ip
        )
        if shared and event.user not in shared.get("accounts", []):
            terms.append(FLAGGED_NETWORK_WEIGHT)
            reasons.append(
                f"same {'network ' + network if network else 'address'} as the unusual "
                f"sign-in of {', '.join(shared.get('accounts', [])[:3])} on {shared['first'][:16]}"
            )
        if not terms:
            return None

        value = 100 * noisy_or(*terms)
        where = ", ".join(v for v in (event.location.country, network, event.client.family) if v)
        kind = "interactive" if event.interactive else "non-interactive (token)"
        return self.make(
            event,
            account=event.user,
            score=value,
            summary=f"{kind} sign-in from {where or 'an unknown location'} ({event.ip or '-'})",
            explanation=reasons,
            entities=[
                ("account", event.user),
                *([("ip", event.ip)] if event.ip else []),
                *([("network", network)] if network else []),
            ],
        )


def _network_key(event: SignIn) -> str | None:
    if event.location.asn is not None:
        return f"AS{event.location.asn}"
    return event.location.as_name
