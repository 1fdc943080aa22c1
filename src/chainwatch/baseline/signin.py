"""Per-account, peer-group and organisation-wide sign-in baselines.

Features: country, network (ASN, or AS name when the number is unknown), address group
(/24 or /64, see :mod:`chainwatch.baseline.network`), client family, operating system
and application. A successful sign-in teaches the account's baseline; failures are not
learned. Sign-ins from a ``known_networks`` label (office, corporate VPN, relay) are
never scored as unusual and teach only the client features.

Each account state keeps, per feature, the raw count of every remembered value
(``features``) and a count that decays by ``2 ** (-age / half_life)`` (``weights``,
decayed lazily to ``decayed_at`` on every learn and on every read). A value whose
decayed count falls below :data:`FORGET_BELOW` is forgotten, so a network the account
left long ago is novel again. The peer group (``peer-signin``, keyed by the directory
department) and the organisation (``org``/``signin``) count the accounts that currently
remember each value.
"""

from __future__ import annotations

from datetime import datetime

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import (
    MAX_VALUES,
    Rarity,
    decay_factor,
    iso_time,
    org_prior,
    smoothed_probability,
    touch_days,
)
from chainwatch.baseline.network import address_group, learn_egress
from chainwatch.events import Location, SignIn

FEATURES = ("country", "network", "address_group", "client", "os", "app")
# Not learned from a ``known_networks`` sign-in: a relay or VPN exit tells nothing about
# where the account usually is, and must not make the next home sign-in look far away.
LOCATION_FEATURES = frozenset({"country", "network", "address_group"})
FORGET_BELOW = 0.25  # a value seen once is forgotten after two half-lives
# Other accounts a peer group needs before its share, not the organisation's, is the prior.
PEER_MIN_MEMBERS = 3
DEFAULT_HALF_LIFE_DAYS = 30.0


def signin_features(event: SignIn) -> dict[str, str | None]:
    """Return the scored features of a sign-in; ``None`` means unknown, never novel."""
    return dict(_cached_features(event))


# The last sign-in whose features were extracted, and its features. The engine passes
# one event object to the egress baseline, the account baseline and the rarity model,
# so the features are kept until another object is passed. The cache is keyed on the object
# itself (``is``) and holds a reference to it, so a new event can never reuse its slot.
_last_features: tuple[SignIn, tuple[tuple[str, str | None], ...]] | None = None


def _cached_features(event: SignIn) -> tuple[tuple[str, str | None], ...]:
    """Return the ``(feature, value)`` pairs of ``event`` in :data:`FEATURES` order."""
    global _last_features
    last = _last_features
    if last is None or last[0] is not event:
        last = (event, tuple(_extract_features(event).items()))
        _last_features = last
    return last[1]


def _extract_features(event: SignIn) -> dict[str, str | None]:
    location = event.location
    network: str | None = None
    if location.asn is not None:
        network = f"AS{location.asn}"
    elif location.as_name:
        network = location.as_name
    return {
        "country": location.country,
        "network": network,
        "address_group": address_group(event.ip),
        "client": event.client.family,
        "os": event.client.os,
        "app": event.client.app,
    }


def peer_group(department: str | None) -> str | None:
    """Return the peer-group key of a directory department: trimmed and lower-cased."""
    if not department or not department.strip():
        return None
    return " ".join(department.split()).lower()


def learn_signin(
    book: BaselineBook,
    event: SignIn,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    peer: str | None = None,
) -> None:
    """Add a successful sign-in to the account's, its peer group's and the org's baselines."""
    if not event.success:
        return
    user_state = book.edit("signin", event.user)
    org_state = book.edit("org", "signin")
    if not user_state:
        org_state["users"] = org_state.get("users", 0) + 1
    _materialise_weights(user_state)
    _move_to_peer(book, user_state, org_state, peer)
    levels = _member_counts(book, user_state, org_state)

    factor = decay_factor(user_state.get("decayed_at"), event.time, half_life_days)
    _decay(user_state, factor, levels)
    time_text = iso_time(event.time)
    if time_text > user_state.get("decayed_at", ""):
        user_state["decayed_at"] = time_text

    touch_days(user_state, event.time)
    user_state["n"] = user_state.get("n", 0) + 1
    labelled = event.location.network_label is not None
    features = _cached_features(event)
    # Created on the first counted value, not before, so a sign-in with nothing to
    # count leaves the state's keys as they were.
    weights_by_feature: dict[str, dict[str, float]] | None = None
    counts_by_feature: dict[str, dict[str, int]] = {}
    for feature, value in features:
        if value is None or (labelled and feature in LOCATION_FEATURES):
            continue
        if weights_by_feature is None:
            weights_by_feature = user_state.setdefault("weights", {})
            counts_by_feature = user_state.setdefault("features", {})
        _count_value(
            user_state,
            weights_by_feature.setdefault(feature, {}),
            counts_by_feature.setdefault(feature, {}),
            feature,
            value,
            levels,
        )
    if not labelled and event.location.country:
        user_state["last_trusted"] = {
            "time": time_text,
            "country": event.location.country,
            "network": dict(features)["network"],
        }


def learn_signin_egress(book: BaselineBook, event: SignIn) -> None:
    """Count the account for the egress network of a successful, unlabelled sign-in.

    The account is counted whatever the sign-in scored, like the location of an address,
    because which accounts use a network is a fact about the network. The first
    sign-ins through a new proxy exit score high until it is known as the organisation's.
    """
    if not event.success or event.location.network_label is not None:
        return
    user_state = book.edit("egress-user", event.user)
    network = dict(_cached_features(event))["network"]
    learn_egress(user_state, book.edit("org", "signin"), event.ip, network)


def _materialise_weights(user_state: State) -> None:
    """Give a state saved before decay existed its decayed counts, equal to the raw ones."""
    if "weights" in user_state or not user_state.get("features"):
        return
    user_state["weights"] = {
        feature: {value: float(count) for value, count in counts.items()}
        for feature, counts in user_state["features"].items()
    }
    user_state["decayed_at"] = user_state.get("last", "")


def _member_counts(book: BaselineBook, user_state: State, org_state: State) -> list[dict]:
    """Return the per-feature member counts the account contributes to (org, peer)."""
    levels = [org_state.setdefault("features", {})]
    peer = user_state.get("peer")
    if peer:
        levels.append(book.edit("peer-signin", peer).setdefault("features", {}))
    return levels


def _move_to_peer(
    book: BaselineBook, user_state: State, org_state: State, peer: str | None
) -> None:
    """Move the account's remembered values from its old peer group to ``peer``."""
    old = user_state.get("peer")
    if peer is None or peer == old:
        return
    remembered = {
        feature: list(values) for feature, values in user_state.get("weights", {}).items()
    }
    if old:
        old_state = book.edit("peer-signin", old)
        old_state["users"] = max(0, old_state.get("users", 0) - 1)
        for feature, values in remembered.items():
            for value in values:
                _add_member(old_state.setdefault("features", {}), feature, value, -1)
    new_state = book.edit("peer-signin", peer)
    new_state["users"] = new_state.get("users", 0) + 1
    for feature, values in remembered.items():
        for value in values:
            _add_member(new_state.setdefault("features", {}), feature, value, 1)
    user_state["peer"] = peer


def _add_member(level: dict, feature: str, value: str, by: int) -> None:
    counts = level.setdefault(feature, {})
    after = counts.get(value, 0) + by
    if after > 0:
        counts[value] = after
    else:
        counts.pop(value, None)


def _decay(user_state: State, factor: float, levels: list[dict]) -> None:
    """Multiply every decayed count by ``factor`` and forget values below the floor."""
    if factor >= 1.0:
        return
    weights = user_state.get("weights", {})
    for feature, values in weights.items():
        for value in list(values):
            values[value] *= factor
            if values[value] < FORGET_BELOW:
                _forget(user_state, feature, value, levels)


def _forget(user_state: State, feature: str, value: str, levels: list[dict]) -> None:
    user_state["weights"][feature].pop(value, None)
    user_state.get("features", {}).get(feature, {}).pop(value, None)
    for level in levels:
        _add_member(level, feature, value, -1)


def _count_value(
    user_state: State,
    weights: dict[str, float],
    counts: dict[str, int],
    feature: str,
    value: str,
    levels: list[dict],
) -> None:
    """Count one observation of ``value`` in the account's ``feature`` dicts."""
    if value not in weights:
        for level in levels:  # _add_member(level, feature, value, 1), inlined
            members = level.setdefault(feature, {})
            members[value] = members.get(value, 0) + 1
    weights[value] = weights.get(value, 0.0) + 1.0
    counts[value] = counts.get(value, 0) + 1
    if len(weights) > MAX_VALUES:
        faintest = min((v for v in weights if v != value), key=lambda v: weights[v])
        _forget(user_state, feature, faintest, levels)


def learn_ip_location(book: BaselineBook, ip: str, location: Location) -> None:
    """Remember where a sign-in record placed an address, for events that lack it."""
    if not (location.country or location.asn):
        return
    state = book.edit("ip", ip)
    state["country"] = location.country
    state["asn"] = location.asn
    state["as_name"] = location.as_name


def learned_location(book: BaselineBook, ip: str | None) -> Location | None:
    """Return the location a sign-in record gave ``ip``, if any."""
    if not ip:
        return None
    state = book.get("ip", ip)
    if not state:
        return None
    return Location(
        country=state.get("country"),
        asn=state.get("asn"),
        as_name=state.get("as_name"),
        source="sign-in record",
    )


def signin_history(book: BaselineBook, user: str) -> tuple[int, int]:
    """Return ``(successful sign-ins, distinct days)`` learned for ``user``."""
    state = book.get("signin", user) or {}
    return state.get("n", 0), state.get("days", 0)


def decayed_weights(
    user_state: State, feature: str, now: datetime, half_life_days: float
) -> dict[str, float]:
    """Return the account's remembered values of ``feature`` with counts decayed to ``now``.

    Values that decay below :data:`FORGET_BELOW` by ``now`` are left out. Pure: the state
    is not changed.
    """
    stored, factor = _decay_source(user_state, now, half_life_days)
    return {
        value: weight * factor
        for value, weight in stored.get(feature, {}).items()
        if weight * factor >= FORGET_BELOW
    }


def _decay_source(
    user_state: State, now: datetime, half_life_days: float
) -> tuple[dict[str, dict[str, float]], float]:
    """Return the account's stored decayed counts and the factor that brings them to ``now``."""
    stored = user_state.get("weights")
    if stored is None:  # saved before decay existed
        stored = {f: {v: float(c) for v, c in counts.items()}
                  for f, counts in user_state.get("features", {}).items()}  # fmt: skip
        since = user_state.get("last")
    else:
        since = user_state.get("decayed_at")
    return stored, decay_factor(since, now, half_life_days)


def signin_rarities(
    book: BaselineBook, event: SignIn, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> list[Rarity]:
    """Return how rare each known feature of ``event`` is for the account.

    A value the account remembers has probability ``(w + 2 * prior) / (W + 2)`` with its
    decayed count ``w`` of all decayed counts ``W``. A value it does not remember has the
    Good-Turing probability of any new value, ``P0 = (N1 + 1) / (N + 2)`` with ``N1`` the
    remembered values seen exactly once and ``N`` their observations, times the prior.
    The prior is the share of the peer group's other accounts with the value when the
    group has at least :data:`PEER_MIN_MEMBERS` of them, else the organisation's share.
    """
    user_state = book.get("signin", event.user) or {}
    org_state = book.get("org", "signin") or {}
    total = user_state.get("n", 0)
    days = user_state.get("days", 0)
    stored = user_state.get("weights") or user_state.get("features", {})
    org_members = max(org_state.get("users", 0) - (1 if total else 0), 0)
    peer = user_state.get("peer")
    peer_state = book.get("peer-signin", peer) if peer else None
    peer_members = max(peer_state.get("users", 0) - 1, 0) if peer_state else 0
    peer_features = peer_state.get("features", {}) if peer_state else {}
    org_features = org_state.get("features", {})
    raw_by_feature = user_state.get("features", {})
    decaying, factor = _decay_source(user_state, event.time, half_life_days)
    out: list[Rarity] = []
    for feature, value in _cached_features(event):
        if value is None:
            continue
        raw = raw_by_feature.get(feature, {})
        # One pass gives what decayed_weights() would keep: the values whose decayed
        # count is at least FORGET_BELOW, with their total, observations and singletons.
        decayed_counts: list[float] = []
        weight = 0.0
        remembered = 0
        singletons = 0
        for remembered_value, stored_weight in decaying.get(feature, {}).items():
            decayed = stored_weight * factor
            if decayed < FORGET_BELOW:
                continue
            decayed_counts.append(decayed)
            if remembered_value == value:
                weight = decayed
            observations = raw.get(remembered_value, 0)
            remembered += observations
            if observations == 1:
                singletons += 1
        weight_total = sum(decayed_counts)
        own = 1 if value in stored.get(feature, {}) else 0
        org_others = org_features.get(feature, {}).get(value, 0) - own
        level, prior_count, prior_total = "organisation", org_others, org_members
        if peer_state and peer_members >= PEER_MIN_MEMBERS:
            peer_with = peer_features.get(feature, {}).get(value, 0)
            level = f"peer group {peer!r}"
            prior_count, prior_total = max(peer_with - own, 0), peer_members
        prior = org_prior(max(prior_count, 0), prior_total)
        unseen = (singletons + 1) / (remembered + 2)
        if weight > 0:
            probability = smoothed_probability(weight, weight_total, prior)
            count = raw.get(value, 0)
        else:
            probability = unseen * prior
            count = 0
        out.append(
            Rarity(
                feature=feature,
                value=value,
                entity_count=count,
                entity_total=total,
                entity_days=days,
                org_count=max(org_others, 0),
                org_total=org_members,
                probability=probability,
                entity_weight=weight,
                entity_weight_total=weight_total,
                prior_level=level,
                prior_count=max(prior_count, 0),
                prior_total=prior_total,
                unseen_probability=unseen,
                singletons=singletons,
                remembered=remembered,
            )
        )
    return out
