"""Enrichment: locations, registered domains, clients and mail direction."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from chainwatch.enrich import Enricher
from chainwatch.enrich.domains import DomainResolver, domain_of_address
from chainwatch.enrich.geo import GeoResolver
from chainwatch.enrich.useragent import parse_client
from chainwatch.events import Direction, EmailMessage, Link, Location, Origin, SignIn
from chainwatch.settings import settings_from_mapping

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
ORIGIN = Origin("test", "line 1")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.example.co.uk", "example.co.uk"),
        ("a.b.piktochart.example", "piktochart.example"),  # unknown suffix: last two labels
        ("fileserver.corp.local", "corp.local"),
        ("contoso.sharepoint.com", "contoso.sharepoint.com"),  # a tenant's own site
        ("contoso-my.sharepoint.com", "contoso-my.sharepoint.com"),
        ("user.github.io", "user.github.io"),  # private section of the public suffix list
        ("WWW.EXAMPLE.COM.", "example.com"),
        ("203.0.113.9", "203.0.113.9"),
        ("", None),
    ],
)
def test_registered_domain(host, expected):
    resolver = DomainResolver(("sharepoint.com",))
    assert resolver.registered_domain(host) == expected


def test_domain_of_address_lowercases():
    assert domain_of_address("Dana@Example.COM") == "example.com"
    assert domain_of_address("no-at-sign") is None
    assert domain_of_address(None) is None


@pytest.mark.parametrize(
    ("agent", "family", "os_family"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36",
            "Chrome",
            "Windows",
        ),
        (
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
            "Outlook",
            "Windows",
        ),
        ("python-requests/2.31.0", "python-requests", None),
        ("Client=OWA;Action=ViaProxy", "Outlook on the web", None),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox",
            "Linux",
        ),
    ],
)
def test_parse_client(agent, family, os_family):
    assert parse_client(agent) == (family, os_family)


def test_parse_client_empty_is_unknown():
    assert parse_client("") == (None, None)
    assert parse_client(None) == (None, None)


def test_known_network_label_most_specific_wins():
    networks = (
        (ipaddress.ip_network("203.0.113.0/28"), "office-floor-2"),
        (ipaddress.ip_network("203.0.113.0/24"), "office"),
    )
    geo = GeoResolver(networks, use_geoip2fast=False)
    assert geo.network_label("203.0.113.5") == "office-floor-2"
    assert geo.network_label("203.0.113.200") == "office"
    assert geo.network_label("198.51.100.1") is None
    assert geo.network_label("not an ip") is None


def test_record_location_wins_over_lookup():
    geo = GeoResolver()
    record = Location(country="NL", city="Amsterdam", asn=64500, source="record")
    resolved = geo.resolve("8.8.8.8", record)
    assert resolved.country == "NL"
    assert resolved.asn == 64500
    assert resolved.source == "record"


def test_geoip2fast_resolves_public_address():
    resolved = GeoResolver().resolve("8.8.8.8")
    assert resolved.country == "US"
    assert resolved.source == "geoip2fast"


def test_documentation_ranges_resolve_to_nothing():
    resolved = GeoResolver().resolve("192.0.2.10")
    assert resolved.country is None
    assert resolved.asn is None


def enricher() -> Enricher:
    return Enricher(settings_from_mapping({"organisation": {"domains": ["example.com"]}}))


@pytest.mark.parametrize(
    ("sender", "recipients", "direction"),
    [
        ("ap@vendor.example.org", ("dana@example.com",), Direction.INBOUND),
        ("dana@example.com", ("lee@example.com",), Direction.INTERNAL),
        ("dana@example.com", ("lee@example.com", "c@client.example"), Direction.OUTBOUND),
        ("dana@sub.example.com", ("lee@example.com",), Direction.INTERNAL),
        ("a@x.example", ("b@y.example",), Direction.EXTERNAL),
        ("a@x.example", (), Direction.INBOUND),
    ],
)
def test_mail_direction(sender, recipients, direction):
    assert enricher().direction(sender, recipients) == direction


def test_enrich_email_fills_link_domains_and_direction():
    message = EmailMessage(
        event_id="mail:1",
        time=T0,
        source="mail",
        origin=ORIGIN,
        message_id="1",
        sender="ap@vendor.example.org",
        recipients=("dana@example.com",),
        links=(Link(url="https://a.files.example/x", host="a.files.example"),),
    )
    enriched = enricher().enrich(message)
    assert enriched.direction == Direction.INBOUND
    assert enriched.links[0].registered_domain == "files.example"
    assert message.direction == Direction.UNKNOWN  # the input is not changed


def test_enrich_sign_in_parses_client_and_label():
    settings = settings_from_mapping(
        {
            "organisation": {"domains": ["example.com"]},
            "known_networks": {"203.0.113.0/26": "office"},
        }
    )
    event = SignIn(
        event_id="signin:1",
        time=T0,
        source="entra-signin",
        origin=ORIGIN,
        user="dana@example.com",
        ip="203.0.113.7",
    )
    from dataclasses import replace

    from chainwatch.events import Client

    event = replace(event, client=Client(user_agent="python-requests/2.31"))
    enriched = Enricher(settings).enrich(event)
    assert enriched.location.network_label == "office"
    assert enriched.client.family == "python-requests"
