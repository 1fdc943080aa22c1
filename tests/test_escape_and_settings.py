"""Escaping of attacker-controlled text, and settings validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import SettingsError
from chainwatch.report.escape import safe_text
from chainwatch.settings import load_settings, settings_from_mapping


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain rule name", "plain rule name"),
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),  # ANSI escape cannot clear the screen
        ("line1\r\nline2", "line1\\x0d\\x0aline2"),
        ("invoice\u202eexe.pdf", "invoice\\u202eexe.pdf"),  # right-to-left override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("Überweisung 송금", "Überweisung 송금"),
        (None, ""),
    ],
)
def test_safe_text_escapes_controls(raw, expected):
    assert safe_text(raw) == expected


def test_safe_text_caps_length():
    assert len(safe_text("x" * 10_000, limit=50)) == 50


def test_settings_defaults():
    settings = load_settings(None)
    assert settings.alert_severity == 50
    assert settings.org_domains == ()


def test_settings_from_toml(tmp_path: Path):
    path = tmp_path / "chainwatch.toml"
    path.write_text(
        '[organisation]\ndomains = ["Example.COM"]\n'
        '[known_networks]\n"203.0.113.0/24" = "office"\n"203.0.113.0/28" = "vpn"\n'
        "[detection]\nalert_severity = 60\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.org_domains == ("example.com",)
    assert settings.alert_severity == 60
    assert [label for _, label in settings.known_networks] == ["vpn", "office"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"known_networks": {"203.0.113.0/33": "x"}}, "not a CIDR network"),
        ({"known_networks": {"203.0.113.0/24": ""}}, "non-empty label"),
        ({"detection": {"alert_severity": 101}}, "0-100"),
        ({"detection": {"min_history": 0}}, "positive integer"),
        ({"organisation": {"domains": "example.com"}}, "list of domain names"),
    ],
)
def test_settings_reject_invalid_values(data, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping(data, source="chainwatch.toml")


def test_settings_invalid_toml_names_file(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text("[organisation\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"bad\.toml"):
        load_settings(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"detection": {"min_histroy": 5}}, "did you mean 'min_history'"),
        ({"known_network": {"192.0.2.0/24": "office"}}, "did you mean 'known_networks'"),
        ({"organisation": {"domain": ["example.com"]}}, "did you mean 'domains'"),
        ({"organisation": {"domains": ["user@example.com"]}}, "not a domain name"),
        ({"organisation": {"domains": ["not a domain"]}}, "not a domain name"),
        ({"organisation": {"domains": [""]}}, "not a domain name"),
    ],
)
def test_settings_reject_unknown_keys_and_bad_domains(data, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping(data, source="chainwatch.toml")


def test_settings_domains_normalised():
    settings = settings_from_mapping({"organisation": {"domains": ["EXAMPLE.com.", "example.com"]}})
    assert settings.org_domains == ("example.com",)


def test_settings_read_utf16_with_bom(tmp_path: Path):
    path = tmp_path / "powershell.toml"
    path.write_bytes('[organisation]\ndomains = ["example.com"]\n'.encode("utf-16"))
    assert load_settings(path).org_domains == ("example.com",)


def test_settings_not_utf8_is_clear_error(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[organisation]\ndomains = ["m\xfcller.example"]\n')
    with pytest.raises(SettingsError, match=r"not UTF-8 \(byte 0xfc"):
        load_settings(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"known_networks": ["203.0.113.0/24"]}, "must be a table"),
        ({"known_networks": "x"}, "must be a table"),
        ({"organisation": "example.com"}, "must be a table"),
        ({"nonsense_key": 3}, "unknown setting 'nonsense_key'"),
        ({"enrichment": {"mmdb": "/nonexistent/GeoLite2.mmdb"}}, "not a readable file"),
    ],
)
def test_settings_reject_wrong_shapes(data, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping(data, source="chainwatch.toml")
