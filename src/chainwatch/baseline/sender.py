"""Baselines of external senders and their domains, and organisation-wide link rarity.

For each external sender address and sender domain: first and last seen, distinct
days, messages, distinct recipients, link hosts and registered domains used, and the
sending networks (/24 for IPv4, /48 for IPv6). For every link host and registered
domain in any message: how many messages carried it, since when, and from how many
senders. Messages forwarded as attachments (``nested_depth > 0``) are not learned as
the forwarder's own mail.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from functools import lru_cache

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import increment, iso_time, parse_iso, touch_days
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Direction, EmailMessage

MAX_SENDERS_PER_HOST = 32


@lru_cache(maxsize=65536)  # a mail server sends many messages from one address
def sending_network(ip: str | None) -> str | None:
    """Return the /24 (IPv4) or /48 (IPv6) network of a sending address."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def learn_message(book: BaselineBook, event: EmailMessage) -> None:
    """Learn one message: sender history for inbound mail, link rarity for all mail."""
    if event.nested_depth > 0:
        return
    org = book.edit("org", "mail")
    touch_days(org, event.time)
    org["messages"] = org.get("messages", 0) + 1

    if event.direction == Direction.INBOUND and event.sender:
        _learn_sender(book.edit("sender", event.sender), event)
        domain = domain_of_address(event.sender)
        if domain:
            _learn_sender(book.edit("sender-domain", domain), event)

    for host in {link.host for link in event.links}:
        _learn_link(book.edit("link-host", host), event)
    for domain in {link.registered_domain for link in event.links if link.registered_domain}:
        _learn_link(book.edit("link-domain", domain), event)


def _learn_sender(state: State, event: EmailMessage) -> None:
    touch_days(state, event.time)
    state["messages"] = state.get("messages", 0) + 1
    if event.is_bulk:
        state["bulk"] = state.get("bulk", 0) + 1
    recipients = state.setdefault("recipients", {})
    for recipient in event.recipients:
        if increment(recipients, recipient) == 0:
            state["n_recipients"] = state.get("n_recipients", 0) + 1
    hosts = state.setdefault("link_hosts", {})
    for host in {link.host for link in event.links}:
        increment(hosts, host)
    domains = state.setdefault("link_domains", {})
    for domain in {link.registered_domain for link in event.links if link.registered_domain}:
        increment(domains, domain)
    network = sending_network(event.sending_ip)
    if network:
        increment(state.setdefault("networks", {}), network)


def _learn_link(state: State, event: EmailMessage) -> None:
    touch_days(state, event.time)
    if event.direction == Direction.INBOUND and "first_inbound" not in state:
        state["first_inbound"] = {
            "message_id": event.message_id,
            "sender": event.sender,
            "subject": event.subject,
            "time": iso_time(event.time),
            "recipients": list(event.recipients[:20]),
        }
    state["messages"] = state.get("messages", 0) + 1
    senders = state.setdefault("senders", [])
    if event.sender and event.sender not in senders:
        state["n_senders"] = state.get("n_senders", 0) + 1
        if len(senders) < MAX_SENDERS_PER_HOST:
            senders.append(event.sender)


def link_seen(book: BaselineBook, host: str, domain: str | None) -> tuple[int, int, int]:
    """Return ``(messages with host, messages with domain, senders of host)`` so far."""
    host_state = book.get("link-host", host) or {}
    domain_state = book.get("link-domain", domain) if domain else None
    return (
        host_state.get("messages", 0),
        (domain_state or {}).get("messages", 0),
        host_state.get("n_senders", 0),
    )


def org_mail_history(book: BaselineBook, now: datetime) -> tuple[int, float]:
    """Return ``(messages learned, days since the first)`` for the organisation."""
    state = book.get("org", "mail") or {}
    first = state.get("first")
    span = (now - parse_iso(first)).total_seconds() / 86400.0 if first else 0.0
    return state.get("messages", 0), max(0.0, span)
