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

import ipaddress
import tomllib
from dataclasses import dataclass, field
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
    extra: dict[str, Any] = field(default_factory=dict)

    def with_org_domains(self, domains: tuple[str, ...]) -> Settings:
        from dataclasses import replace

        return replace(self, org_domains=tuple(sorted({d.lower().strip(".") for d in domains})))


def load_settings(path: Path | None) -> Settings:
    """Read a TOML settings file; ``None`` gives the defaults.

    Raises :class:`SettingsError` naming the file and the setting for invalid values.
    """
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"invalid TOML in settings file {path}: {exc}") from exc
    return settings_from_mapping(data, source=str(path))


def settings_from_mapping(data: dict[str, Any], source: str = "settings") -> Settings:
    """Build :class:`Settings` from parsed TOML, validating every value."""
    org = data.get("organisation", {})
    domains = org.get("domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise SettingsError(f"{source}: organisation.domains must be a list of domain names")

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
    suffixes = enrichment.get("tenant_suffixes", SETTINGS[3].default)
    detection = data.get("detection", {})
    severity = detection.get("alert_severity", 50)
    if not isinstance(severity, int) or not 0 <= severity <= 100:
        raise SettingsError(f"{source}: detection.alert_severity must be an integer 0-100")
    min_history = detection.get("min_history", 5)
    if not isinstance(min_history, int) or min_history < 1:
        raise SettingsError(f"{source}: detection.min_history must be a positive integer")

    return Settings(
        org_domains=tuple(sorted({d.lower().strip(".") for d in domains})),
        known_networks=tuple(sorted(networks, key=lambda n: n[0].prefixlen, reverse=True)),
        mmdb=Path(mmdb) if mmdb else None,
        tenant_suffixes=tuple(s.lower() for s in suffixes),
        alert_severity=severity,
        min_history=min_history,
    )
