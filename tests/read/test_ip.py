from __future__ import annotations

import pytest

from chainwatch.read.ip import parse_ip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.23:40231", ("198.51.100.23", 40231)),
        ("[192.0.2.10]:7972", ("192.0.2.10", 7972)),
        ("2001:db8:4::17", ("2001:db8:4::17", None)),
        ("[2001:db8:4::17]:51234", ("2001:db8:4::17", 51234)),
        ("[2001:db8:4::17]", ("2001:db8:4::17", None)),
        ("", (None, None)),
        (None, (None, None)),
        ("   ", (None, None)),
        ("::ffff:203.0.113.9", ("203.0.113.9", None)),
        ("[::ffff:203.0.113.9]:443", ("203.0.113.9", 443)),
        ("203.0.113.45", ("203.0.113.45", None)),
        (" 203.0.113.45 ", ("203.0.113.45", None)),
        ("2001:DB8:0:0:0:0:0:1", ("2001:db8::1", None)),
        ("fe80::1%eth0", ("fe80::1", None)),
        ("sanitized", (None, None)),
        ("203.0.113.300", (None, None)),
        ("203.0.113.45:99999", ("203.0.113.45", None)),
    ],
)
def test_parse_ip_shapes(text: str | None, expected: tuple[str | None, int | None]) -> None:
    assert parse_ip(text) == expected
