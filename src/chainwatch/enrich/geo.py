"""IP address to country, ASN and network label, offline.

Order of precedence: a location present in the record itself; a ``known_networks``
label from the settings (the office, the corporate VPN); an optional MaxMind ``.mmdb``
file; the geoip2fast data set that ships inside its PyPI package (country and AS name,
IPv4 and IPv6). Documentation and private ranges resolve to nothing, which scores as
"unknown location", never as a country.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any

from chainwatch.events import Location
from chainwatch.settings import IPNetwork

GEOIP2FAST_DATA = "geoip2fast-asn-ipv6.dat.gz"


class GeoResolver:
    """Resolves addresses; one instance per run, lookups cached."""

    def __init__(
        self,
        known_networks: tuple[tuple[IPNetwork, str], ...] = (),
        mmdb: Path | None = None,
        use_geoip2fast: bool = True,
    ) -> None:
        self._known = known_networks
        self._mmdb: Any = None
        if mmdb is not None:
            import maxminddb

            self._mmdb = maxminddb.open_database(str(mmdb))
        self._use_geoip2fast = use_geoip2fast
        self._geoip2fast: Any = None
        self.lookup = lru_cache(maxsize=65536)(self._lookup)
        # Records repeat the same address with the same record location, so the merged
        # result is cached as well; both arguments are immutable.
        self._merged = lru_cache(maxsize=65536)(self._merge)

    def network_label(self, ip: str | None) -> str | None:
        """Return the ``known_networks`` label of ``ip``, most specific network first."""
        if not ip or not self._known:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        for network, label in self._known:
            if address.version == network.version and address in network:
                return label
        return None

    def resolve(self, ip: str | None, from_record: Location | None = None) -> Location:
        """Merge the record's own location with what the address resolves to."""
        return self._merged(ip, from_record)

    def _merge(self, ip: str | None, from_record: Location | None) -> Location:
        looked_up = self.lookup(ip) if ip else Location()
        record = from_record or Location()
        return Location(
            country=record.country or looked_up.country,
            city=record.city or looked_up.city,
            asn=record.asn if record.asn is not None else looked_up.asn,
            as_name=record.as_name or looked_up.as_name,
            network_label=self.network_label(ip),
            source=record.source if record.country or record.asn else looked_up.source,
        )

    def _lookup(self, ip: str) -> Location:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return Location()
        if not address.is_global:
            return Location()
        if self._mmdb is not None:
            found = self._lookup_mmdb(ip)
            if found.country or found.asn:
                return found
        if self._use_geoip2fast:
            return self._lookup_geoip2fast(ip)
        return Location()

    def _lookup_mmdb(self, ip: str) -> Location:
        record = self._mmdb.get(ip) or {}
        country = (record.get("country") or record.get("registered_country") or {}).get("iso_code")
        city = ((record.get("city") or {}).get("names") or {}).get("en")
        return Location(
            country=country,
            city=city,
            asn=record.get("autonomous_system_number"),
            as_name=record.get("autonomous_system_organization"),
            source="mmdb",
        )

    def _lookup_geoip2fast(self, ip: str) -> Location:
        if self._geoip2fast is None:
            from geoip2fast import GeoIP2Fast

            self._geoip2fast = GeoIP2Fast(geoip2fast_data_file=GEOIP2FAST_DATA, verbose=False)
        result = self._geoip2fast.lookup(ip)
        country = result.country_code if len(result.country_code or "") == 2 else None
        if country is None:
            return Location()
        return Location(country=country, as_name=result.asn_name or None, source="geoip2fast")
