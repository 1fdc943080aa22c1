"""Enrichment: offline facts added to normalised events before scoring.

:class:`Enricher` returns a copy of each event with location, client, registered
domains and mail direction filled in. It holds no per-event state, so it can run in
any worker of a distributed engine.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from chainwatch.enrich.copying import field_setter
from chainwatch.enrich.domains import DomainResolver, domain_of_address
from chainwatch.enrich.geo import GeoResolver
from chainwatch.enrich.useragent import parse_client
from chainwatch.events import (
    Client,
    Direction,
    EmailMessage,
    Event,
    FileAccess,
    Link,
    LinkClick,
    MailboxRuleChange,
    MailSent,
    SignIn,
)
from chainwatch.settings import Settings

_sign_in_with = field_setter(SignIn, "location", "client")
_file_access_with = field_setter(FileAccess, "location", "client")
_rule_change_with = field_setter(MailboxRuleChange, "location")
_message_with = field_setter(EmailMessage, "links", "direction")
_mail_sent_with = field_setter(MailSent, "direction")


class Enricher:
    """Adds location, client, registered-domain and direction facts to events."""

    def __init__(self, settings: Settings, geo: GeoResolver | None = None) -> None:
        self.settings = settings
        self.org_domains = frozenset(settings.org_domains)
        self.geo = geo or GeoResolver(settings.known_networks, settings.mmdb)
        self.domains = DomainResolver(settings.tenant_suffixes)
        # Few distinct clients appear per tenant; Client is frozen, so results are shared.
        self._client = lru_cache(maxsize=4096)(self._parse_client)
        # Links and addresses recur across messages, and both are immutable. The
        # organisation's domains are fixed when the enricher is made.
        self._link = lru_cache(maxsize=65536)(self._with_registered_domain)
        self._is_internal = lru_cache(maxsize=65536)(self._is_internal_uncached)

    def is_internal_address(self, address: str | None) -> bool:
        """Return True when ``address`` belongs to one of the organisation's domains."""
        return self._is_internal(address)

    def _is_internal_uncached(self, address: str | None) -> bool:
        domain = domain_of_address(address)
        if domain is None:
            return False
        return any(domain == d or domain.endswith("." + d) for d in self.org_domains)

    def direction(self, sender: str | None, recipients: tuple[str, ...]) -> Direction:
        """Classify a message as inbound, outbound, internal or external."""
        if not self.org_domains or not sender:
            return Direction.UNKNOWN
        is_internal = self._is_internal
        sender_internal = is_internal(sender)
        any_external = any(not is_internal(r) for r in recipients)
        any_internal = any(is_internal(r) for r in recipients)
        if sender_internal:
            return Direction.OUTBOUND if any_external else Direction.INTERNAL
        return Direction.INBOUND if any_internal or not recipients else Direction.EXTERNAL

    def enrich(self, event: Event) -> Event:
        """Return ``event`` with enrichment fields filled in."""
        if isinstance(event, SignIn):
            return _sign_in_with(
                event, self.geo.resolve(event.ip, event.location), self._client(event.client)
            )
        if isinstance(event, FileAccess):
            return _file_access_with(
                event, self.geo.resolve(event.ip, event.location), self._client(event.client)
            )
        if isinstance(event, MailboxRuleChange):
            return _rule_change_with(event, self.geo.resolve(event.ip, event.location))
        if isinstance(event, EmailMessage):
            links = tuple(
                self._link(link) if link.registered_domain is None else link for link in event.links
            )
            return _message_with(event, links, self.direction(event.sender, event.recipients))
        if isinstance(event, LinkClick):
            domain = event.registered_domain or self.domains.registered_domain(event.host)
            return replace(
                event,
                registered_domain=domain,
                location=self.geo.resolve(event.ip, event.location),
            )
        if isinstance(event, MailSent):
            return _mail_sent_with(event, self.direction(event.sender, event.recipients))
        return event

    def _with_registered_domain(self, link: Link) -> Link:
        return replace(link, registered_domain=self.domains.registered_domain(link.host))

    def _parse_client(self, client: Client) -> Client:
        if client.family is not None:
            return client
        family, os_family = parse_client(client.user_agent)
        return replace(client, family=family, os=client.os or os_family)


def link_domains(links: tuple[Link, ...]) -> tuple[str, ...]:
    """Return the distinct registered domains of ``links`` in order."""
    seen: dict[str, None] = {}
    for link in links:
        if link.registered_domain:
            seen.setdefault(link.registered_domain, None)
    return tuple(seen)
