"""Per-account and organisation-wide sign-in baselines.

Features: country, network (ASN, or AS name when the number is unknown), client
family, operating system and application. A successful sign-in teaches the account's
baseline; failures are not learned. Sign-ins from a ``known_networks`` label (office,
corporate VPN, relay) are never scored as unusual and teach only the client features.
"""

from __future__ import annotations

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import (
    Rarity,
    increment,
    org_prior,
    smoothed_probability,
    touch_days,
)
from chainwatch.events import Location, SignIn

FEATURES = ("country", "network", "client", "os", "app")
# Not learned from a ``known_networks`` sign-in: a relay or VPN exit says nothing about
# where the account usually is, and must not make the next home sign-in look far away.
LOCATION_FEATURES = frozenset({"country", "network"})


def signin_features(event: SignIn) -> dict[str, str | None]:
    """Return the scored features of a sign-in; ``None`` means unknown, never novel."""
    location = event.location
    network: str | None = None
    if location.asn is not None:
        network = f"AS{location.asn}"
    elif location.as_name:
        network = location.as_name
    return {
        "country": location.country,
        "network": network,
        "client": event.client.family,
        "os": event.client.os,
        "app": event.client.app,
    }


def learn_signin(book: BaselineBook, event: SignIn) -> None:
    """Add a successful sign-in to the account's and the organisation's baselines."""
    if not event.success:
        return
    user_state = book.edit("signin", event.user)
    org_state = book.edit("org", "signin")
    if not user_state:
        org_state["users"] = org_state.get("users", 0) + 1
    touch_days(user_state, event.time)
    user_state["n"] = user_state.get("n", 0) + 1
    user_features = user_state.setdefault("features", {})
    org_features = org_state.setdefault("features", {})
    labelled = event.location.network_label is not None
    for feature, value in signin_features(event).items():
        if value is None or (labelled and feature in LOCATION_FEATURES):
            continue
        before = increment(user_features.setdefault(feature, {}), value)
        if before == 0:
            increment(org_features.setdefault(feature, {}), value)
    if event.ip and event.location.source == "record":
        learn_ip_location(book, event.ip, event.location)


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


def signin_rarities(book: BaselineBook, event: SignIn) -> list[Rarity]:
    """Return how rare each known feature of ``event`` is for the account and the org."""
    user_state = book.get("signin", event.user) or {}
    org_state = book.get("org", "signin") or {}
    total = user_state.get("n", 0)
    days = user_state.get("days", 0)
    members = org_state.get("users", 0)
    out: list[Rarity] = []
    for feature, value in signin_features(event).items():
        if value is None:
            continue
        count = user_state.get("features", {}).get(feature, {}).get(value, 0)
        members_with = org_state.get("features", {}).get(feature, {}).get(value, 0)
        # Other members only: the account's own earlier use is already in ``count``.
        others = members_with - (1 if count else 0)
        prior = org_prior(others, max(members - (1 if total else 0), 0))
        out.append(
            Rarity(
                feature=feature,
                value=value,
                entity_count=count,
                entity_total=total,
                entity_days=days,
                org_count=others,
                org_total=max(members - (1 if total else 0), 0),
                probability=smoothed_probability(count, total, prior),
            )
        )
    return out
