"""Settings, declared once with their defaults, units and help text.

Settings come from a TOML file (``--config``) and from command-line options, which win.
Every setting is listed in :data:`SETTINGS`; ``docs/settings.md`` is checked against it
by a test, so an undocumented setting fails the build.

Example ``chainwatch.toml``::

    [organisation]
    domains = ["example.com"]

    [known_networks]
    "203.0.113.0/26" = "office"
    "203.0.113.192/27" = "corporate-vpn"

    [enrichment]
    mmdb = "/var/lib/GeoIP/GeoLite2-City.mmdb"
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chainwatch.errors import SettingsError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """One setting: its TOML path, default and help text."""

    path: str
    default: Any
    help: str


SETTINGS: tuple[SettingInfo, ...] = (
    SettingInfo(
        "organisation.domains",
        [],
        "The organisation's accepted domains. Mail between two of them is internal. "
        "When empty, the domains are inferred from the sign-in accounts in the data.",
    ),
    SettingInfo(
        "known_networks",
        {},
        'CIDR networks mapped to a label such as "office" or "corporate-vpn". Sign-ins '
        "from a labelled network are never scored as an unusual location.",
    ),
    SettingInfo(
        "enrichment.mmdb",
        None,
        "Path of a MaxMind-format .mmdb database (City, Country or ASN). It is consulted "
        "before the bundled geoip2fast data, after locations present in the record.",
    ),
    SettingInfo(
        "enrichment.tenant_suffixes",
        ["sharepoint.com", "onmicrosoft.com", "my.salesforce.com", "zendesk.com"],
        "Hosting suffixes where every subdomain is its own customer's site, in addition to "
        "the private section of the public suffix list.",
    ),
    SettingInfo(
        "detection.alert_severity",
        50,
        "Incident severity (0-100) at or above which an analyst should look now.",
    ),
    SettingInfo(
        "detection.min_history",
        5,
        "Observations (sign-ins, messages) an entity needs before its baseline is trusted; "
        "below it, scores are neutral.",
    ),
    SettingInfo(
        "detection.half_life_days",
        30,
        "Days after which a learned sign-in count weighs half as much (exponential decay). "
        "A network or country an account stopped using fades out of its baseline and is "
        "novel again.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The resolved settings for one run."""

    org_domains: tuple[str, ...] = ()
    known_networks: tuple[tuple[IPNetwork, str], ...] = ()
    mmdb: Path | None = None
    tenant_suffixes: tuple[str, ...] = tuple(SETTINGS[3].default)
    alert_severity: int = 50
    min_history: int = 5
    half_life_days: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)

    def with_org_domains(self, domains: tuple[str, ...]) -> Settings:
        """Return a copy with these organisation domains, validated and lower-cased."""
        return replace(self, org_domains=normalise_domains(list(domains), "--org-domain"))


def load_settings(path: Path | None) -> Settings:
    """Read a TOML settings file; ``None`` gives the defaults.

    Raises :class:`SettingsError` naming the file and the setting for invalid values.
    """
    if path is None:
        return Settings()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    try:
        text = _decode_settings(raw)
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"settings file {path} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"invalid TOML in settings file {path}: {exc}") from exc
    return settings_from_mapping(data, source=str(path))


def _decode_settings(raw: bytes) -> str:
    """Decode UTF-8, with or without a BOM, or UTF-16 with a BOM (PowerShell's default)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


SECTION_EXAMPLES = {
    "known_networks": '[known_networks] with lines such as "203.0.113.0/24" = "office"',
    "organisation": '[organisation] with domains = ["example.com"]',
    "enrichment": '[enrichment] with mmdb = "/path/GeoLite2-City.mmdb"',
    "detection": "[detection] with alert_severity = 50",
}
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "organisation": frozenset({"domains"}),
    "known_networks": frozenset(),  # any CIDR key
    "enrichment": frozenset({"mmdb", "tenant_suffixes"}),
    "detection": frozenset({"alert_severity", "min_history", "half_life_days"}),
}
DOMAIN_NAME = re.compile(
    r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$"
)


def _check_keys(data: dict[str, Any], source: str) -> None:
    """Reject unknown sections and keys, suggesting the closest known name."""
    for section, value in data.items():
        if section not in KNOWN_KEYS:
            what = f"section [{section}]" if isinstance(value, dict) else f"setting '{section}'"
            raise SettingsError(f"{source}: unknown {what}{_suggest(section, KNOWN_KEYS)}")
        if not isinstance(value, dict):
            example = SECTION_EXAMPLES.get(section, f"[{section}]")
            raise SettingsError(
                f"{source}: '{section}' must be a table, not a {type(value).__name__}; "
                f"write it as {example}"
            )
        if section == "known_networks":
            continue
        for key in value:
            if key not in KNOWN_KEYS[section]:
                raise SettingsError(
                    f"{source}: unknown setting '{section}.{key}'"
                    f"{_suggest(key, KNOWN_KEYS[section])}"
                )


def _suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(sorted(choices))}"


def normalise_domains(domains: Any, source: str) -> tuple[str, ...]:
    """Lower-case and validate organisation domains, or raise :class:`SettingsError`."""
    if not isinstance(domains, list | tuple) or not all(isinstance(d, str) for d in domains):
        raise SettingsError(f"{source}: organisation.domains must be a list of domain names")
    cleaned: set[str] = set()
    for domain in domains:
        value = domain.strip().strip(".").lower()
        if not DOMAIN_NAME.match(value):
            raise SettingsError(
                f"{source}: {domain!r} is not a domain name; give the domain alone, such as "
                "example.com"
            )
        cleaned.add(value)
    return tuple(sorted(cleaned))


def settings_from_mapping(data: dict[str, Any], source: str = "settings") -> Settings:
    """Build :class:`Settings` from parsed TOML, validating every value."""
    _check_keys(data, source)
    org = data.get("organisation", {})
    domains = normalise_domains(org.get("domains", []), source)

    networks: list[tuple[IPNetwork, str]] = []
    for cidr, label in data.get("known_networks", {}).items():
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise SettingsError(
                f"{source}: known_networks key {cidr!r} is not a CIDR network (e.g. 203.0.113.0/24)"
            ) from exc
        if not isinstance(label, str) or not label:
            raise SettingsError(f"{source}: known_networks {cidr!r} needs a non-empty label")
        networks.append((network, label))

    enrichment = data.get("enrichment", {})
    mmdb = enrichment.get("mmdb")
    if mmdb is not None and (not isinstance(mmdb, str) or not Path(mmdb).expanduser().is_file()):
        raise SettingsError(
            f"{source}: enrichment.mmdb {mmdb!r} is not a readable file; give the path of a "
            "MaxMind .mmdb file or remove the setting"
        )
    suffixes = enrichment.get("tenant_suffixes", SETTINGS[3].default)
    detection = data.get("detection", {})
    severity = detection.get("alert_severity", 50)
    if not isinstance(severity, int) or not 0 <= severity <= 100:
        raise SettingsError(f"{source}: detection.alert_severity must be an integer 0-100")
    min_history = detection.get("min_history", 5)
    if not isinstance(min_history, int) or min_history < 1:
        raise SettingsError(f"{source}: detection.min_history must be a positive integer")
    half_life = detection.get("half_life_days", 30)
    if isinstance(half_life, bool) or not isinstance(half_life, int | float) or half_life <= 0:
        raise SettingsError(
            f"{source}: detection.half_life_days must be a positive number of days, "
            f"not {half_life!r}"
        )

    return Settings(
        org_domains=domains,
        known_networks=tuple(sorted(networks, key=lambda n: n[0].prefixlen, reverse=True)),
        mmdb=Path(mmdb).expanduser() if mmdb else None,
        tenant_suffixes=tuple(s.lower() for s in suffixes),
        alert_severity=severity,
        min_history=min_history,
        half_life_days=float(half_life),
    )
