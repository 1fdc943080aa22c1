"""Registered domains from the public suffix list, private section included.

``publicsuffixlist`` ships a recent copy of the list, so no network access is needed.
A host under a suffix the list does not know (``.example``, ``.local``, a brand-new
gTLD) falls back to its last two labels. Hosting suffixes where every subdomain belongs
to a different customer (``contoso.sharepoint.com``) come from the settings and keep
one more label.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList(accept_unknown=True)


class DomainResolver:
    """Maps hosts to registered domains; one per run because tenant suffixes are settings."""

    def __init__(self, tenant_suffixes: tuple[str, ...] = ()) -> None:
        self._tenant_suffixes = tuple(sorted(tenant_suffixes, key=len, reverse=True))
        self.registered_domain = lru_cache(maxsize=262144)(self._registered_domain)

    def _registered_domain(self, host: str) -> str | None:
        host = host.strip().strip(".").lower()
        if not host:
            return None
        if _is_ip_literal(host):
            return host
        for suffix in self._tenant_suffixes:
            if host.endswith("." + suffix):
                labels = host[: -len(suffix) - 1].split(".")
                return f"{labels[-1]}.{suffix}"
        found = _PSL.privatesuffix(host)
        if found:
            return found
        labels = host.split(".")
        return ".".join(labels[-2:]) if len(labels) >= 2 else host


def domain_of_address(address: str | None) -> str | None:
    """Return the lower-cased domain part of an email address."""
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower() or None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
