"""Token replay sign-in: a session stolen by an adversary-in-the-middle proxy, used elsewhere.

A phishing proxy captures the session cookie or refresh token of a real sign-in, and the
attacker then uses it from their own network. Entra logs that use as a non-interactive
sign-in, with no interactive sign-in from that network to explain it.

Overlap with ``unusual-sign-in``: that model also scores non-interactive sign-ins. So one
sign-in does not count twice towards an incident, this model stays silent whenever
``unusual-sign-in`` scores the same event 50 or more. It covers what that model misses:
replays from a network that non-interactive sign-ins already taught the account's general
baseline (a replay scored below 60 is learned, so the next one looks usual), but that the
account never used interactively. Its detections at 50 or more are remembered as unusual
sign-ins, so composite models treat both alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged
from chainwatch.baseline.identity import interactive_history, network_of, recent_interactive
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.unusual_signin import UnusualSignIn
from chainwatch.events import Event, SignIn

COUNTRY_WEIGHT = 0.6
NETWORK_WEIGHT = 0.5
FLAGGED_WEIGHT = 0.85
UNUSUAL_SIGNIN_OWNS = 50  # unusual-sign-in at or above this already reports the event
# A network with this many learned sign-ins of the account (a mobile app refreshing over
# a carrier, say) is the account's own non-interactive pattern, not a fresh replay.
ESTABLISHED_SIGNINS = 5


@dataclass
class TokenReplaySignIn(Model):
    name: ClassVar[str] = "token-replay-sign-in"
    scoring: ClassVar[str] = (
        "A successful non-interactive sign-in, outside `known_networks`, of an account with at "
        "least `detection.min_history` interactive sign-ins, with no interactive sign-in from "
        "the same network or address in the 24 hours before, from a network with fewer than 5 "
        "learned sign-ins of the account. A country never used "
        "interactively adds 0.6 and a network (ASN) never used interactively 0.5, each x 1/(1 "
        "+ others/2), where others counts the other accounts that signed in from it; a network "
        "or address of another account's unusual sign-in adds 0.85. Combined by noisy-OR. "
        "Silent when unusual-sign-in scores the same sign-in 50 or more, so one sign-in counts "
        "once."
    )
    title: ClassVar[str] = "Token replay sign-in"
    stage: ClassVar[str] = "sign-in"
    kinds: ClassVar[frozenset[str]] = frozenset({"sign-in"})
    repeat_hours: ClassVar[float] = 12.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A session token was used from a network or country where the account never "
        "signed in interactively, and no sign-in there minted it: the mark of a session "
        "stolen by a phishing proxy.",
        check=(
            "Compare the session id and correlation id with the user's last interactive "
            "sign-in: a shared session from two countries is a replay.",
            "Look for a lure or a click on a sign-in page shortly before.",
            "Check the application used: Microsoft Graph or Exchange from a hosting network.",
        ),
        false_positives=(
            "A laptop resuming on a new home or hotel network and refreshing tokens silently.",
            "Mobile apps refreshing tokens over a roaming carrier network.",
        ),
        response=(
            "Revoke all refresh tokens and sessions (Revoke-MgUserSignInSession), then reset "
            "the password and MFA methods.",
            "Require compliant devices or token protection for the account's sign-ins.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, SignIn) or event.interactive or not event.success:
            return None
        if event.location.network_label:
            return None
        history = interactive_history(state, event.user)
        if history.get("n", 0) < self.settings.min_history:
            return None
        network = network_of(event.location)
        country = event.location.country
        if recent_interactive(history, event.time, network, event.ip):
            return None
        learned = (state.get("signin", event.user) or {}).get("features", {}).get("network", {})
        if network and learned.get(network, 0) >= ESTABLISHED_SIGNINS:
            return None

        org = (state.get("org", "signin") or {}).get("features", {})
        terms: list[float] = []
        reasons: list[str] = []
        total = history.get("n", 0)
        if country and not history.get("countries", {}).get(country):
            others = org.get("country", {}).get(country, 0)
            terms.append(COUNTRY_WEIGHT / (1 + others / 2))
            reasons.append(
                f"country {country}: 0 of {total} interactive sign-ins, {others} other users"
            )
        if network and not history.get("networks", {}).get(network):
            others = org.get("network", {}).get(network, 0)
            terms.append(NETWORK_WEIGHT / (1 + others / 2))
            reasons.append(
                f"network {network}: 0 of {total} interactive sign-ins, {others} other users"
            )
        if not terms:
            return None
        shared = flagged(state, "flagged-network", network) or flagged(
            state, "flagged-ip", event.ip
        )
        if shared and event.user not in shared.get("accounts", []):
            terms.append(FLAGGED_WEIGHT)
            reasons.append(
                f"same network or address as the unusual sign-in of "
                f"{', '.join(shared.get('accounts', [])[:3])} on {shared['first'][:16]}"
            )
        reasons.append("no interactive sign-in from this network or address in the 24 hours before")

        unusual = UnusualSignIn(settings=self.settings).score(state, event)
        if unusual is not None and unusual.score >= UNUSUAL_SIGNIN_OWNS:
            return None
        where = ", ".join(v for v in (country, network, event.client.app) if v)
        return self.make(
            event,
            account=event.user,
            score=100 * noisy_or(*terms),
            summary=f"non-interactive sign-in from {where or 'an unknown location'} "
            f"({event.ip or '-'}) without an interactive sign-in there",
            explanation=reasons,
            entities=[
                ("account", event.user),
                *([("ip", event.ip)] if event.ip else []),
                *([("network", network)] if network else []),
            ],
        )
