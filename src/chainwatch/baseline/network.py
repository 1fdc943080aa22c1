"""Address groups of sign-ins and the organisation's own egress networks.

An address is grouped into its /24 (IPv4) or /64 (IPv6) as an extra sign-in feature: a
carrier hands out a new IPv6 /64 often, so a new group inside a known ASN is not novel.

An egress network is a /24 (IPv4) or /48 (IPv6) through which many distinct accounts
signed in: an office NAT, a corporate VPN or a cloud proxy exit that ``known_networks``
does not list. It counts as the organisation's own network once at least
:data:`EGRESS_MIN_USERS` accounts, or at least :data:`EGRESS_SHARE` of the accounts with
a sign-in baseline (and no fewer than :data:`EGRESS_SHARE_MIN_USERS`), used it.
ASNs never count as egress, because a home ISP that many staff use would then hide a
residential proxy on the same ISP.

NOTE: every successful sign-in counts, whatever it scored, so attacker infrastructure
that takes over :data:`EGRESS_SHARE_MIN_USERS` accounts of a small organisation from
one /24 becomes "egress" and its later sign-ins are scored on the client only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from chainwatch.baseline.book import BaselineBook, State

EGRESS_MIN_USERS = 20
EGRESS_SHARE = 0.10
# Without this floor, 2 accounts of a 20-account organisation would make an egress network.
EGRESS_SHARE_MIN_USERS = 5
MAX_EGRESS_PER_USER = 64


def address_group(ip: str | None) -> str | None:
    """Return the /24 (IPv4) or /64 (IPv6) network of ``ip``, or ``None`` if invalid."""
    groups = _networks(ip) if ip else None
    return groups[0] if groups else None


def egress_network(ip: str | None, asn: str | None = None) -> str | None:
    """Return the /24 (IPv4) or /48 (IPv6) network that egress is counted on.

    With an ASN (``"AS64500"``) the key is ``"203.0.113.0/24 AS64500"``, so an address
    that enrichment places in another ASN is never taken for the organisation's egress.
    """
    groups = _networks(ip) if ip else None
    network = groups[1] if groups else None
    if network is None or not asn:
        return network
    return f"{network} {asn}"


@lru_cache(maxsize=65536)  # the same addresses recur; parsing them was most of scoring time
def _networks(ip: str) -> tuple[str, str] | None:
    """Return the address group and the egress network of ``ip``, parsing it once."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        network = _network_text(address, 24)
        return network, network
    return _network_text(address, 64), _network_text(address, 48)


def _network_text(address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int) -> str:
    """Return ``str(ip_network(f"{address}/{prefix}", strict=False))`` without parsing text."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        # The parsed form keeps a zone when no host bits are set, so take that path.
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    host_bits = address.max_prefixlen - prefix
    network = type(address)(int(address) >> host_bits << host_bits)
    return f"{network}/{prefix}"


@dataclass(frozen=True, slots=True)
class Egress:
    """How many accounts signed in through one network, against the threshold."""

    network: str
    users: int
    active_users: int

    @property
    def is_organisation_network(self) -> bool:
        if self.users >= EGRESS_MIN_USERS:
            return True
        return self.users >= EGRESS_SHARE_MIN_USERS and self.users >= (
            EGRESS_SHARE * self.active_users
        )

    def describe(self) -> str:
        return (
            f"network {self.network} is the organisation's own egress: {self.users} of "
            f"{self.active_users} accounts signed in through it (threshold {EGRESS_MIN_USERS} "
            f"accounts, or {EGRESS_SHARE:.0%} and at least {EGRESS_SHARE_MIN_USERS})"
        )


def learn_egress(user_state: State, org_state: State, ip: str | None, asn: str | None) -> None:
    """Count the account once for the egress network of ``ip`` in ``asn``."""
    network = egress_network(ip, asn)
    if network is None:
        return
    seen = user_state.setdefault("egress", [])
    if network in seen or len(seen) >= MAX_EGRESS_PER_USER:
        return
    seen.append(network)
    counts = org_state.setdefault("egress", {})
    counts[network] = counts.get(network, 0) + 1


def egress_of(book: BaselineBook, ip: str | None, asn: str | None) -> Egress | None:
    """Return the egress count of ``ip``'s network, or ``None`` for an invalid address."""
    network = egress_network(ip, asn)
    if network is None:
        return None
    org_state = book.get("org", "signin") or {}
    return Egress(
        network=network,
        users=org_state.get("egress", {}).get(network, 0),
        active_users=org_state.get("users", 0),
    )
