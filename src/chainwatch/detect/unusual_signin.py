"""Unusual sign-in: a successful sign-in whose country, network or client is new.

Context for the composite models rather than an alarm on its own: travel and new
phones look the same at this level, so the incident severity weighs it lightly unless
later steps of a chain follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import CONTEXT_DAYS, flagged, recall
from chainwatch.baseline.counts import Rarity
from chainwatch.baseline.learning import learning_state
from chainwatch.baseline.network import egress_of
from chainwatch.baseline.signin import LOCATION_FEATURES, signin_history, signin_rarities
from chainwatch.baseline.travel import trip_between
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import Event, SignIn

# The evidence of a takeover that a never-seen value of each feature gives. The address group
# counts only when the sign-in has no ASN, because the ASN is the main network feature.
FEATURE_WEIGHTS = {
    "country": 0.75,
    "network": 0.65,
    "address_group": 0.35,
    "client": 0.35,
    "os": 0.25,
    "app": 0.1,
}
FLAGGED_NETWORK_WEIGHT = 0.85
OWN_CONTEXT = timedelta(days=CONTEXT_DAYS)
# Alone it stays below the context floor (50): a VPN that is not in known_networks also
# jumps between countries.
IMPOSSIBLE_TRAVEL_WEIGHT = 0.45
# A new country reached by a plausible flight is weaker evidence. Most takeovers come
# hours or days after the user's last sign-in and so are plausible trips too, which is
# why the reduction is small.
PLAUSIBLE_TRIP_FACTOR = 0.8
# A travelling owner: a plausible flight and an interactive sign-in (or the country and
# network of the last trusted sign-in), with a client family and OS the account already
# uses. A new country then brings its new network and address with it, so the location
# features count once (the largest term) and times this factor.
# Even a never-seen country (0.75 x 0.5) stays below the context floor (50), so the
# sign-in feeds no composite model and ties no other traveller on the same network.
TRAVELLING_OWNER_FACTOR = 0.5


@dataclass
class UnusualSignIn(Model):
    name: ClassVar[str] = "unusual-sign-in"
    scoring: ClassVar[str] = (
        "Each feature (country, network, address group, client, OS, app) gets the probability "
        "of its value for this account. Counts decay by 2^(-age/half-life) "
        "(`detection.half_life_days`, default 30) and a value whose decayed count falls below "
        "0.25 is forgotten. A remembered value has p = (w + 2 x prior) / (W + 2), w its decayed "
        "count and W all decayed counts. The prior is the share of the peer group's other "
        "accounts (directory department, at least 3 of them) with that value, else the "
        "organisation's share, both (k + 0.5) / (m + 1). A value below 5% contributes weight x "
        "(1 - p) x 1/(1 + others/2), where others counts the other users who have used it. A "
        "value the account does not remember contributes weight x (1 - P0) x 1/(1 + others/2), "
        "where P0 = (N1 + 1) / (N + 2) is the Good-Turing probability of any new value: N1 "
        "remembered values seen exactly once, N their sign-ins. Weights: country 0.75, network "
        "0.65, address group (/24 or /64, only when the ASN is unknown) 0.35, client 0.35, OS "
        "0.25, app 0.1. Travel from the country of the last trusted sign-in: the distance "
        "between country centres less both countries' radii, over the hours between them; "
        "above 900 km/h adds 0.45, and a new country reachable by a flight plus 3 hours "
        "has its weight x 0.8. A travelling owner (a plausible flight, an interactive sign-in, "
        "a client family and OS each with p >= 5% for the account, a network no other "
        "account's unusual sign-in used and no unusual sign-in of this account from it with "
        "another client) has its country, network and address group counted once, the "
        "largest of the three, x 0.5. So has a sign-in, interactive or not, with such a "
        "client from the country and network of the last trusted sign-in. A network or "
        "address that another account's unusual sign-in used adds 0.85. Contributions "
        "combine by noisy-OR, 1 - prod(1 - w). Accounts with "
        "fewer than `detection.min_history` successful sign-ins, failed sign-ins, sign-ins "
        "from a `known_networks` label are not scored; sign-ins through the organisation's "
        "egress (a /24 or /48 used by at least 20 accounts, or by 10% of them and at least "
        "5) are scored on the client features only and not compared with other accounts' "
        "unusual sign-ins."
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

        half_life = self.settings.half_life_days
        user_state = state.get("signin", event.user) or {}
        egress = egress_of(state, event.ip, _network_key(event))
        own_network = egress is not None and egress.is_organisation_network
        trip = None
        if not own_network:
            trip = trip_between(user_state.get("last_trusted"), event.location.country, event.time)
        rarities = signin_rarities(state, event, half_life)
        has_asn = any(r.feature == "network" for r in rarities)

        network = _network_key(event)
        shared = None
        if not own_network:
            shared = flagged(state, "flagged-network", network) or flagged(
                state, "flagged-ip", event.ip
            )
        shared_by_others = shared is not None and event.user not in shared.get("accounts", [])
        last = user_state.get("last_trusted") or {}
        arrived = trip is not None and trip.plausible_flight and event.interactive
        staying = not own_network and _staying(last, event.location.country, network)
        # NOTE: SignIn carries no device id or MFA detail, so an attacker who copies the
        # victim's client family and OS after a plausible interval gets this discount too.
        owner = (
            (arrived or staying)
            and not shared_by_others
            and _familiar_client(rarities)
            and not _other_client_from(state, event, network)
        )

        terms: list[float] = []
        reasons: list[str] = []
        location_terms: list[float] = []
        for rarity in rarities:
            if own_network and rarity.feature in LOCATION_FEATURES:
                continue
            if rarity.feature == "address_group" and has_asn:
                continue
            term = _feature_term(rarity)
            if term is None:
                continue
            reasons.append(rarity.describe())
            if owner and rarity.feature in LOCATION_FEATURES:
                location_terms.append(term)
                continue
            if rarity.feature == "country" and rarity.novel and trip and trip.plausible_flight:
                term *= PLAUSIBLE_TRIP_FACTOR
                reasons.append(f"plausible trip, country weight x {PLAUSIBLE_TRIP_FACTOR}: "
                               + trip.describe())  # fmt: skip
            terms.append(term)
        if location_terms:
            largest = max(location_terms)
            terms.append(largest * TRAVELLING_OWNER_FACTOR)
            basis = (
                f"after a plausible trip: {trip.describe()}"
                if trip is not None and arrived
                else f"where its last trusted sign-in was, at {last['time'][:16]}"
            )
            reasons.append(
                f"travelling owner: the account's usual client ({event.client.family}, "
                f"{event.client.os or 'OS unknown'}) {basis}; country, network and address count "
                f"once, the largest ({largest:.2f}) x {TRAVELLING_OWNER_FACTOR}"
            )
        if trip is not None and trip.impossible:
            terms.append(IMPOSSIBLE_TRAVEL_WEIGHT)
            reasons.append("impossible travel: " + trip.describe())

        if shared is not None and shared_by_others:
            terms.append(FLAGGED_NETWORK_WEIGHT)
            reasons.append(
                f"same {'network ' + network if network else 'address'} as the unusual "
                f"sign-in of {', '.join(shared.get('accounts', [])[:3])} on {shared['first'][:16]}"
            )
        if not terms:
            return None
        if own_network and egress is not None:
            reasons.append(egress.describe() + "; location not scored")
        baseline = learning_state(user_state, event.time, self.settings.min_history, half_life)
        reasons.append(
            f"baseline {baseline}, half-life {half_life:g} days"
            + (f", peer group {user_state['peer']!r}" if user_state.get("peer") else "")
        )

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


def _feature_term(rarity: Rarity) -> float | None:
    """Return a feature's contribution, or ``None`` when its value is not unusual."""
    org_factor = 1.0 / (1.0 + rarity.org_count / 2.0)
    weight = FEATURE_WEIGHTS[rarity.feature]
    if rarity.novel:
        unseen = rarity.unseen_probability or 0.0
        return weight * (1.0 - unseen) * org_factor
    if rarity.probability < 0.05:
        return weight * (1.0 - rarity.probability) * org_factor
    return None


def _familiar_client(rarities: list[Rarity]) -> bool:
    """Return whether the client family, and the OS when known, are usual for the account."""
    by_feature = {rarity.feature: rarity for rarity in rarities}
    family = by_feature.get("client")
    if family is None or _feature_term(family) is not None:
        return False
    system = by_feature.get("os")
    return system is None or _feature_term(system) is None


def _staying(last: dict, country: str | None, network: str | None) -> bool:
    """Return whether the last trusted sign-in was from this country and network.

    The account then already moved here and the move was accepted, so a location it has
    seen only once or twice is not new evidence.
    """
    return bool(country and network) and (last.get("country"), last.get("network")) == (
        country,
        network,
    )


def _other_client_from(state: BaselineBook, event: SignIn, network: str | None) -> bool:
    """Return whether an unusual sign-in of the account from this network or address, in
    the context kept, used a client family other than this one."""
    family = event.client.family
    for entry in recall(state, event.user, "unusual-signin", event.time, OWN_CONTEXT):
        where = entry.get("where", "").split(", ")
        if (network in where or entry.get("ip") == event.ip) and family not in where:
            return True
    return False


def _network_key(event: SignIn) -> str | None:
    if event.location.asn is not None:
        return f"AS{event.location.asn}"
    return event.location.as_name
