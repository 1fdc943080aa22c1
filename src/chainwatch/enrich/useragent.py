"""User agents and Microsoft client strings to a client family and OS family.

Browser user agents go through ``ua-parser`` (the uap-core rules, maintained for this
purpose). Microsoft 365 logs also carry client strings that are not browser user
agents, such as ``Client=OWA;Action=ViaProxy`` or
``Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)``; the
common ones are recognised before the generic parser runs.
"""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

_KNOWN_CLIENTS = (
    ("microsoft outlook", "Outlook"),
    ("outlook-ios", "Outlook Mobile"),
    ("outlook-android", "Outlook Mobile"),
    ("outlookmobile", "Outlook Mobile"),
    ("msexchangerpc", "Outlook"),
    ("client=owa", "Outlook on the web"),
    ("client=rest", "REST API"),
    ("python-requests", "python-requests"),
    ("python-urllib", "python-urllib"),
    ("curl/", "curl"),
    ("go-http-client", "Go HTTP client"),
    ("axios/", "axios"),
    ("okhttp", "okhttp"),
    ("powershell", "PowerShell"),
)


@lru_cache(maxsize=16384)
def parse_client(user_agent: str | None) -> tuple[str | None, str | None]:
    """Return ``(client family, OS family)``; ``(None, None)`` for an empty string."""
    if not user_agent or not user_agent.strip():
        return None, None
    text = user_agent[:2048]
    lowered = text.lower()
    family: str | None = None
    for needle, name in _KNOWN_CLIENTS:
        if needle in lowered:
            family = name
            break

    result = parse(text)
    os_family = result.os.family if result.os and result.os.family != "Other" else None
    if family is None and result.user_agent and result.user_agent.family != "Other":
        family = result.user_agent.family
    return family or "Other", os_family
