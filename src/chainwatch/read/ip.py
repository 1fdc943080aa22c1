"""Client IP parsing for the shapes Microsoft 365 logs use.

Exchange admin records send ``IP:port`` and ``[IP]:port``, sign-in records send bare
IPv6, and some records send an empty string or an IPv4-mapped IPv6 address. Splitting
on the last colon would break bare IPv6, so every shape is matched explicitly.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\](?::(?P<port>\d{1,5}))?$")
_IPV4_WITH_PORT = re.compile(r"^(?P<host>\d{1,3}(?:\.\d{1,3}){3}):(?P<port>\d{1,5})$")


# Exports repeat the same few addresses across many records, and parsing dominates.
@lru_cache(maxsize=65536)
def parse_ip(text: str | None) -> tuple[str | None, int | None]:
    """Split a client address into ``(ip, port)``.

    The IP is in its canonical text form, and an IPv4-mapped IPv6 address becomes
    plain IPv4. Empty or unparseable input gives ``(None, None)``, so callers keep
    the record and store the original string themselves.
    """
    if not text:
        return None, None
    value = text.strip()
    if not value:
        return None, None

    host, port_text = value, None
    bracketed = _BRACKETED.match(value)
    ipv4_with_port = _IPV4_WITH_PORT.match(value)
    if bracketed:
        host, port_text = bracketed["host"], bracketed["port"]
    elif ipv4_with_port:
        host, port_text = ipv4_with_port["host"], ipv4_with_port["port"]

    ip = _canonical_ip(host)
    if ip is None:
        return None, None
    port = int(port_text) if port_text is not None else None
    if port is not None and port > 65535:
        port = None
    return ip, port


def _canonical_ip(host: str) -> str | None:
    # A zone index (fe80::1%eth0) names the local interface and is not part of the address.
    host = host.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
