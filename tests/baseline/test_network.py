"""Address groups and the organisation's own egress networks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainwatch.baseline.network import Egress, address_group, egress_network

from ..detect.builders import Run, sign_in
from .helpers import daily_signins

START = datetime(2024, 4, 1, tzinfo=UTC)
LATER = START + timedelta(days=15)
PROXY_IP = "203.0.113.161"
PROXY_ASN = 64506
MODEL = "unusual-sign-in"


@pytest.mark.parametrize(
    ("ip", "group"),
    [
        ("198.51.100.77", "198.51.100.0/24"),
        ("2001:db8:2000:1a:9::5", "2001:db8:2000:1a::/64"),
        ("::ffff:198.51.100.77", "198.51.100.0/24"),
        ("not-an-address", None),
        (None, None),
    ],
)
def test_address_group(ip: str | None, group: str | None) -> None:
    assert address_group(ip) == group


def test_egress_network_ipv6_is_48() -> None:
    assert egress_network("2001:db8:2000:1a:9::5") == "2001:db8:2000::/48"


def test_egress_network_carries_asn() -> None:
    assert egress_network("203.0.113.161", "AS64506") == "203.0.113.0/24 AS64506"


@pytest.mark.parametrize(
    ("users", "active", "expected"),
    [
        (20, 5000, True),  # the absolute count
        (19, 5000, False),
        (5, 50, True),  # 10% and at least 5
        (4, 20, False),  # 20% but below the floor of 5
        (5, 51, False),  # below 10%
    ],
)
def test_egress_threshold(users: int, active: int, expected: bool) -> None:
    assert Egress("203.0.113.0/24", users, active).is_organisation_network is expected


def users(count: int) -> list[str]:
    return [f"user{i:02d}@example.com" for i in range(count)]


def proxy_run(proxy_users: int, total: int = 20) -> Run:
    """Everyone at home in GB on separate /24s; some also through a proxy exit in DE."""
    run = Run()
    for index, user in enumerate(users(total)):
        home = f"198.51.{index}.10"
        run.feed(daily_signins(user, START, 14, ip=home))
    for user in users(total)[1 : 1 + proxy_users]:
        run.feed([sign_in(user, START + timedelta(days=14, hours=10), ip=PROXY_IP,
                          country="DE", asn=PROXY_ASN)])  # fmt: skip
    return run


def test_egress_network_not_scored() -> None:
    run = proxy_run(proxy_users=6)
    event = sign_in(users(20)[0], LATER, ip=PROXY_IP, country="DE", asn=PROXY_ASN)

    assert run.score(MODEL, event) is None


def test_egress_control_scores() -> None:
    # Below the threshold the same proxy exit is a new country and network.
    run = proxy_run(proxy_users=3)
    event = sign_in(users(20)[0], LATER, ip=PROXY_IP, country="DE", asn=PROXY_ASN)

    assert run.score(MODEL, event) is not None


def test_egress_explained_when_client_is_new() -> None:
    run = proxy_run(proxy_users=6)
    event = sign_in(
        users(20)[0], LATER, ip=PROXY_IP, country="DE", asn=PROXY_ASN, family="python-requests"
    )
    detection = run.score(MODEL, event)

    assert detection is not None
    text = " ".join(detection.explanation)
    assert "203.0.113.0/24 AS64506 is the organisation's own egress: 6 of 20" in text
    assert "country DE" not in text


def test_egress_needs_same_asn() -> None:
    run = proxy_run(proxy_users=6)
    event = sign_in(users(20)[0], LATER, ip=PROXY_IP, country="DE", asn=64511)

    assert run.score(MODEL, event) is not None


def test_new_ipv6_group_in_known_asn_not_scored() -> None:
    run = Run()
    user = "mobile@example.com"
    run.feed(daily_signins(user, START, 14, ip="2001:db8:2000:1::7", asn=64500))

    event = sign_in(user, LATER, ip="2001:db8:2000:99::7", asn=64500)

    assert run.score(MODEL, event) is None


def test_new_group_scored_without_asn() -> None:
    run = Run()
    user = "noasn@example.com"
    run.feed(daily_signins(user, START, 14, ip="198.51.100.20", asn=None))

    detection = run.score(MODEL, sign_in(user, LATER, ip="192.0.2.20", asn=None))

    assert detection is not None
    assert "address_group 192.0.2.0/24: 0 of 28" in " ".join(detection.explanation)
