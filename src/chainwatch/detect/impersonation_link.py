"""Outlook / Microsoft login impersonation link.

A link that presents itself as Microsoft (its text, host or path names Outlook,
OneDrive, SharePoint, Office or a Microsoft sign-in) while pointing at a host outside
Microsoft's domains, or at a host that looks like one of them (a small edit distance or
digit-for-letter swaps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.link_rarity import is_org_link, link_rarity
from chainwatch.events import Direction, EmailMessage, Event, Link

MICROSOFT_DOMAINS = frozenset(
    {
        "microsoft.com",
        "microsoftonline.com",
        "office.com",
        "office.net",
        "office365.com",
        "outlook.com",
        "live.com",
        "sharepoint.com",
        "onedrive.com",
        "1drv.ms",
        "microsoft365.com",
        "windows.net",
        "azure.com",
        "msauth.net",
        "msftauth.net",
        "aka.ms",
        "safelinks.protection.outlook.com",
    }
)
BRAND_WORDS = re.compile(
    r"microsoft|office\s?365|\bo365\b|\bm365\b|outlook|onedrive|one drive|sharepoint|"
    r"\bowa\b|office\.com",
    re.IGNORECASE,
)
LOGIN_WORDS = re.compile(
    r"log[\s_-]?in|sign[\s_-]?in|signon|verify|password|mailbox|account|auth|session|secure",
    re.IGNORECASE,
)
LOOKALIKE_TARGETS = (
    "microsoftonline",
    "microsoft",
    "outlook",
    "office365",
    "sharepoint",
    "onedrive",
)
HOMOGLYPHS = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s", "@": "a", "$": "s"})


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@lru_cache(maxsize=65536)  # hosts recur, and the result depends only on the string
def lookalike_of(host: str) -> str | None:
    """Return the Microsoft name a host's labels imitate, if any."""
    for label in re.split(r"[.\-]", host.lower()):
        folded = label.translate(HOMOGLYPHS).replace("rn", "m").replace("vv", "w")
        for target in LOOKALIKE_TARGETS:
            if folded == target or (len(label) >= 6 and edit_distance(folded, target, 2) <= 2):
                return target
            if target in folded and folded != label.lower():
                return target
    return None


def is_microsoft(link: Link) -> bool:
    domain = link.registered_domain or link.host
    return any(domain == d or domain.endswith("." + d) for d in MICROSOFT_DOMAINS)


@dataclass
class LoginImpersonationLink(Model):
    name: ClassVar[str] = "login-impersonation-link"
    scoring: ClassVar[str] = (
        "For each link outside Microsoft's and the organisation's domains: anchor text naming "
        "Microsoft 365 (Outlook, OneDrive, SharePoint, Office 365) 0.45; a host label within edit "
        "distance 2 of a Microsoft name after folding digit-for-letter swaps 0.6, else the URL "
        "naming Microsoft 0.3; sign-in or account words 0.15; organisation-wide rarity x 0.3. "
        "Combined by noisy-OR; the highest-scoring link is reported."
    )
    title: ClassVar[str] = "Outlook / Microsoft login impersonation link"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A link presents itself as Microsoft 365 (text, host or path) but leads "
        "elsewhere: the usual route to a fake sign-in page that harvests passwords.",
        check=(
            "Compare the link text with the real host in the explanation.",
            "Find recipients who clicked, and their sign-ins in the following days.",
        ),
        false_positives=(
            "Vendors' own portals that mention 'Microsoft Teams' or 'Outlook' in link text.",
            "Training and simulated-phishing platforms.",
        ),
        response=(
            "Remove the message from all mailboxes and block the host.",
            "Reset credentials of users who clicked and entered a password.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        hosts = ",".join(sorted(detection.entity_values("link-host")))
        return f"{self.name}|{detection.account}|{hosts}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage) or not event.links:
            return None
        if event.direction not in (Direction.INBOUND, Direction.INTERNAL, Direction.OUTBOUND):
            return None
        org_domains = frozenset(self.settings.org_domains)
        best: tuple[float, Link, list[str]] | None = None
        for link in event.links:
            if is_microsoft(link) or is_org_link(link, org_domains):
                continue
            weights: list[float] = []
            reasons: list[str] = []
            text = link.display_text or ""
            if BRAND_WORDS.search(text):
                weights.append(0.45)
                reasons.append(f"link text {text[:80]!r} names Microsoft but leads to {link.host}")
            target = lookalike_of(link.host)
            if target:
                weights.append(0.6)
                reasons.append(f"host {link.host} imitates {target!r}")
            elif BRAND_WORDS.search(link.url):
                weights.append(0.3)
                reasons.append(f"URL names Microsoft on a non-Microsoft host {link.host}")
            if not weights:
                continue
            if LOGIN_WORDS.search(link.url) or LOGIN_WORDS.search(text):
                weights.append(0.15)
                reasons.append("sign-in or account words in the link")
            rarity = link_rarity(state, link, event.time)
            if rarity.mature:
                weights.append(0.3 * rarity.rarity)
            reasons.append(rarity.describe())
            value = noisy_or(*weights)
            if best is None or value > best[0]:
                best = (value, link, reasons)
        if best is None:
            return None
        value, link, reasons = best
        account = event.sender or "unknown sender"
        return self.make(
            event,
            account=account,
            score=100 * value,
            summary=f"link to {link.host} impersonates a Microsoft sign-in or document",
            explanation=reasons,
            entities=[
                ("sender", account),
                ("link-host", link.host),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )
