"""Baselines of the identity-side attack variants: interactive sign-ins, app consents, reads.

Namespaces:

- ``signin-interactive`` (per account): networks and countries of successful interactive
  sign-ins, and the interactive sign-ins of the last :data:`RECENT_INTERACTIVE` (also
  suspicious ones, because a token minted by a sign-in explains the refreshes that follow).
- ``app-consent`` (per app id, or ``name:`` + app name): when the organisation first
  consented to the app, and how many accounts did.
- ``known-network`` (per network): networks of ``known_networks`` sign-ins, with the label.
- ``read-network`` (per account): for each network the account read files or mail from
  although it had never signed in from it before, the days it did so, for at most
  :data:`READ_DAYS_KEPT` days after the first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import increment, iso_before, iso_time, parse_iso, touch_days
from chainwatch.events import AppConsent, Event, FileAccess, Location, SignIn

RECENT_INTERACTIVE = timedelta(hours=24)
MAX_RECENT = 50
MAX_CONSENT_USERS = 50
READ_DAYS_KEPT = 10
READ_DAYS_KEPT_SPAN = timedelta(days=READ_DAYS_KEPT)
MAX_READ_NETWORKS = 10


def network_of(location: Location) -> str | None:
    """Return the network key of a location: ``AS64500``, or the AS name without a number."""
    if location.asn is not None:
        return f"AS{location.asn}"
    return location.as_name


def app_key(event: AppConsent) -> str | None:
    """Return the key an app's consent history is kept under, or ``None`` if unnamed."""
    if event.app_id:
        return event.app_id.lower()
    if event.app_name:
        return "name:" + event.app_name.casefold()
    return None


def learn_identity(book: BaselineBook, event: Event, suspicious: bool, min_history: int) -> None:
    """Learn an event into the identity baselines; ``suspicious`` keeps it out of normal.

    Reads are tracked per network only for accounts with at least ``min_history``
    successful sign-ins, so the first days of an export do not make every network new.
    """
    if isinstance(event, SignIn):
        _learn_interactive(book, event, suspicious)
    elif isinstance(event, AppConsent) and not suspicious:
        _learn_consent(book, event)
    elif isinstance(event, FileAccess):
        _learn_read_day(book, event, min_history)


# Interactive sign-ins.


def _learn_interactive(book: BaselineBook, event: SignIn, suspicious: bool) -> None:
    if not event.success:
        return
    labelled = event.location.network_label
    if labelled:
        # The organisation's own networks: reads from them are never "from a new network",
        # even where the read's location lost its label.
        network = network_of(event.location)
        if network and not book.get("known-network", network):
            book.edit("known-network", network)["label"] = labelled
        return
    if not event.interactive:
        return
    state = book.edit("signin-interactive", event.user)
    network = network_of(event.location)
    cutoff = iso_before(event.time, RECENT_INTERACTIVE)
    recent = [r for r in state.get("recent", []) if r[0] >= cutoff][-(MAX_RECENT - 1) :]
    recent.append([iso_time(event.time), network, event.ip])
    state["recent"] = recent
    if suspicious:
        if network:
            _note_unlearned(state, network, event)
        return
    state["n"] = state.get("n", 0) + 1
    if network:
        increment(state.setdefault("networks", {}), network)
    if event.location.country:
        increment(state.setdefault("countries", {}), event.location.country)


def _note_unlearned(state: State, network: str, event: SignIn) -> None:
    """Remember the days and clients of interactive sign-ins kept out of the baseline.

    Slow exfiltration uses them to tell a travelling owner, who signs in on the new network
    with a familiar client every day, from an attacker.
    """
    unlearned = state.setdefault("unlearned", {})
    entry = unlearned.setdefault(network, {"days": [], "clients": []})
    day = event.time.date().isoformat()
    if day not in entry["days"]:
        entry["days"] = [*entry["days"], day][-READ_DAYS_KEPT:]
    family = event.client.family
    if family and family not in entry["clients"] and len(entry["clients"]) < 5:
        entry["clients"].append(family)
    while len(unlearned) > MAX_READ_NETWORKS:
        del unlearned[next(iter(unlearned))]


def owner_days(book: BaselineBook, user: str, network: str) -> list[str]:
    """Return the days of interactive sign-ins from ``network`` with a client family the
    account used before."""
    entry = interactive_history(book, user).get("unlearned", {}).get(network)
    if not entry:
        return []
    known = (book.get("signin", user) or {}).get("features", {}).get("client", {})
    if not any(family in known for family in entry["clients"]):
        return []
    return list(entry["days"])


def interactive_history(book: BaselineBook, user: str) -> State:
    """Return the account's interactive sign-in state (read only; empty when unknown)."""
    return book.get("signin-interactive", user) or {}


def recent_interactive(
    state: State, now: datetime, network: str | None, ip: str | None
) -> list[list]:
    """Interactive sign-ins of the last day from ``network`` or ``ip``, before ``now``."""
    earliest = iso_before(now, RECENT_INTERACTIVE)
    latest = iso_time(now)
    return [
        r
        for r in state.get("recent", [])
        if earliest <= r[0] <= latest and ((network and r[1] == network) or (ip and r[2] == ip))
    ]


# App consent.


def _learn_consent(book: BaselineBook, event: AppConsent) -> None:
    key = app_key(event)
    if key is None:
        return
    state = book.edit("app-consent", key)
    touch_days(state, event.time)
    state["n"] = state.get("n", 0) + 1
    state["name"] = event.app_name or state.get("name")
    users = state.setdefault("users", [])
    if event.user not in users:
        state["n_users"] = state.get("n_users", 0) + 1
        if len(users) < MAX_CONSENT_USERS:
            users.append(event.user)


def consent_history(book: BaselineBook, event: AppConsent) -> State:
    """Return the organisation's consent history of the event's app (read only)."""
    key = app_key(event)
    return (book.get("app-consent", key) if key else None) or {}


# Reads from networks the account never signed in from.


def network_known(book: BaselineBook, user: str, network: str) -> bool:
    """Return whether ``user`` signed in successfully from ``network`` before (any kind).

    A network of a ``known_networks`` sign-in of any account counts as known to everyone.
    """
    if book.get("known-network", network):
        return True
    interactive = interactive_history(book, user).get("networks", {})
    signin = (book.get("signin", user) or {}).get("features", {}).get("network", {})
    return bool(interactive.get(network) or signin.get(network))


def read_days(book: BaselineBook, event: FileAccess, network: str) -> dict[str, int] | None:
    """Return ``{day: items}`` read from a tracked network within the kept days, or ``None``.

    ``None`` means the network is not tracked for the account: it was known from sign-ins
    when the first read came from it, or the first read is older than the kept days.
    """
    state = book.get("read-network", event.user) or {}
    entry = state.get("networks", {}).get(network)
    if entry is None:
        return None
    first = parse_iso(entry["first"])
    if event.time - first > READ_DAYS_KEPT_SPAN:
        return None
    return dict(entry.get("items", {}))


def _learn_read_day(book: BaselineBook, event: FileAccess, min_history: int) -> None:
    network = network_of(event.location)
    if network is None or event.location.network_label:
        return
    tracked = read_days(book, event, network)
    if tracked is None:
        signins = (book.get("signin", event.user) or {}).get("n", 0)
        if signins < min_history or network_known(book, event.user, network):
            return
    state = book.edit("read-network", event.user)
    networks = state.setdefault("networks", {})
    if tracked is None:
        networks[network] = {"first": iso_time(event.time), "items": {}}
    cutoff = iso_before(event.time, READ_DAYS_KEPT_SPAN)
    for key in [k for k, v in networks.items() if v["first"] < cutoff]:
        del networks[key]
    while len(networks) > MAX_READ_NETWORKS:
        del networks[min(networks, key=lambda k: networks[k]["first"])]
    if network in networks:
        items = networks[network]["items"]
        day = event.time.date().isoformat()
        items[day] = items.get(day, 0) + event.item_count
