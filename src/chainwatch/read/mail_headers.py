"""Header fields of one message: decoded values, addresses, dates, Received and auth results."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from chainwatch.events import AuthResults
from chainwatch.read.mail_charset import decode_encoded_words, decode_raw_header

_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_AUTH_VERDICT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([A-Za-z]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")
_BY_CLAUSE = re.compile(r"\bby\b", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_BRACKETED_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_BARE_ADDRESS = re.compile(r"[^\s<>,;:\"'()\[\]]+@[^\s<>,;\"'()\[\]]+")
_NAME_PUNCTUATION = " \t,;_(\"'"
_TOKEN_SEPARATORS = re.compile(r"[\s\[\]()<>,;=\"']+")

BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
BULK_HEADERS = ("list-unsubscribe", "list-id", "feedback-id")

# Documentation networks (RFC 5737, RFC 3849) stand for outside hosts in synthetic test
# data, so they count as external although Python marks them as not global.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


class HeaderView:
    """Unfolded, decoded header fields of one parsed message, by lower-case name.

    Reads the raw values from the compat32 parser once, so that header bytes outside
    ASCII and unknown charsets never reach the standard library's decoders.
    """

    def __init__(self, message: Message, defects: list[str]) -> None:
        self._fields: dict[str, list[str]] = {}
        self._defects = defects
        for name, value in message.raw_items():
            text = _FOLDING.sub("", decode_raw_header(str(value)))
            self._fields.setdefault(name.strip().lower(), []).append(text)

    def __len__(self) -> int:
        return sum(len(values) for values in self._fields.values())

    def raw(self, name: str) -> str | None:
        """Return the first field's unfolded value, with encoded words left as they are."""
        values = self._fields.get(name)
        return values[0] if values else None

    def raw_all(self, name: str) -> list[str]:
        """Return every field of that name, top to bottom."""
        return list(self._fields.get(name, ()))

    def text(self, name: str) -> str | None:
        """Return the first field's value with encoded words decoded and line breaks removed."""
        value = self.raw(name)
        if value is None:
            return None
        return _LINE_BREAK.sub(" ", decode_encoded_words(value, self._defects)).strip()

    def has(self, name: str) -> bool:
        return name in self._fields


def message_id(value: str | None) -> str | None:
    """Return a Message-ID without angle brackets, lower-cased, or ``None`` if empty."""
    if not value:
        return None
    match = _MESSAGE_ID.search(value)
    text = match.group(1) if match else value
    text = "".join(text.split()).lower()
    return text or None


def addresses(headers: HeaderView, names: Iterable[str]) -> list[tuple[str, str]]:
    """Return ``(display name, address)`` pairs from the named fields, addresses lower-cased.

    Display names are decoded from encoded words. Entries without an address are left out.
    """
    pairs: list[tuple[str, str]] = []
    for name in names:
        for value in headers.raw_all(name):
            pairs.extend(_addresses_in(_LINE_BREAK.sub(" ", value)))
    return pairs


def _addresses_in(value: str) -> list[tuple[str, str]]:
    parsed = getaddresses([value])
    pairs = [
        (decode_encoded_words(display).strip(), address.strip().lower())
        for display, address in parsed
        if "@" in address
    ]
    bracketed_all = _BRACKETED_ADDRESS.findall(value)
    if pairs and (len(pairs) == len(parsed) or len(bracketed_all) != 1):
        return pairs

    # Phishing mail often breaks RFC 5322 (``Name ,_<a@b>``, ``Name,(<a@b>)``) so that
    # getaddresses drops the address or splits off the display name. Fall back to the
    # one address in angle brackets with the text before it, or to bare addresses.
    bracketed = _BRACKETED_ADDRESS.search(value)
    if bracketed is not None:
        display = decode_encoded_words(value[: bracketed.start()]).strip(_NAME_PUNCTUATION)
        return [(display, bracketed.group(1).lower())]
    return [("", match.group(0).lower()) for match in _BARE_ADDRESS.finditer(value)]


def unique_addresses(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Return the addresses of ``pairs`` deduplicated in first-seen order."""
    return tuple(dict.fromkeys(address for _, address in pairs))


def return_path(value: str | None) -> str | None:
    """Return the envelope sender from ``Return-Path``; ``None`` for the null path ``<>``."""
    if not value:
        return None
    pairs = getaddresses([value])
    address = pairs[0][1].strip().lower() if pairs else ""
    return address or None


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 5322 date into aware UTC, or return ``None`` when it is invalid.

    A date without a zone or with ``-0000`` is taken as UTC.
    """
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def received_time(received: Iterable[str]) -> datetime | None:
    """Return the date of the top-most ``Received`` field that has a valid one.

    The top-most field is the last hop, the receiving server's own clock.
    """
    for value in received:
        _, separator, date_text = value.rpartition(";")
        if separator:
            parsed = parse_date(date_text)
            if parsed is not None:
                return parsed
    return None


def is_external_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return whether an address is a public one, counting documentation networks as public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in DOCUMENTATION_NETWORKS):
        return True
    return address.is_global and not address.is_multicast


def _ips_in(text: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for token in _TOKEN_SEPARATORS.split(text):
        candidate = token.removeprefix("IPv6:").removeprefix("ipv6:").rstrip(".")
        if "." not in candidate and ":" not in candidate:
            continue
        try:
            found.append(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return found


def received_ips(value: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Return IPs of the connecting host in one ``Received`` field, most trusted first.

    Only the ``from`` clause counts. Addresses in parentheses come first because the
    receiving server writes the peer it saw there, while the bare HELO name or literal
    is what the client claimed.
    """
    from_clause = _BY_CLAUSE.split(value, maxsplit=1)[0]
    in_parentheses = [ip for part in _PARENTHESISED.findall(from_clause) for ip in _ips_in(part)]
    elsewhere = _ips_in(_PARENTHESISED.sub(" ", from_clause))
    return list(dict.fromkeys(in_parentheses + elsewhere))


def sending_ip(received: list[str]) -> str | None:
    """Return the first external hop: the external IP in the bottom-most ``Received`` having one.

    NOTE: the sender's side writes the bottom-most fields and can forge them. Only the
    hops that the organisation's own servers recorded are trustworthy, but this code
    does not know which servers those are.
    """
    for value in reversed(received):
        for address in received_ips(value):
            if is_external_ip(address):
                if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                    return str(address.ipv4_mapped)
                return str(address)
    return None


def auth_results(values: list[str]) -> AuthResults:
    """Return SPF, DKIM and DMARC verdicts from the top-most ``Authentication-Results``.

    The top-most field was added by the receiving organisation's own server; lower ones
    may come from the sender's side. Comments in parentheses are ignored, and the
    first verdict of each method wins.
    """
    if not values:
        return AuthResults(available=False)
    verdicts: dict[str, str] = {}
    for method, result in _AUTH_VERDICT.findall(_COMMENT.sub(" ", values[0])):
        verdicts.setdefault(method.lower(), result.lower())
    return AuthResults(
        spf=verdicts.get("spf"), dkim=verdicts.get("dkim"), dmarc=verdicts.get("dmarc")
    )


def is_bulk(headers: HeaderView) -> bool:
    """Return whether list or bulk-sender headers mark the message as bulk mail."""
    if any(headers.has(name) for name in BULK_HEADERS):
        return True
    precedence = (headers.raw("precedence") or "").strip().lower()
    return precedence in BULK_PRECEDENCE
