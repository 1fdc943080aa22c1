"""How rare a link is for the organisation, shared by the link and surge models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged
from chainwatch.baseline.sender import link_seen, org_mail_history
from chainwatch.events import Link

# The organisation's link baseline is trusted after this much mail and time.
MIN_ORG_MESSAGES = 300
MIN_ORG_DAYS = 7.0
# Rarity at or above which a link counts as rare in the organisation.
RARE_LINK_THRESHOLD = 0.25


@dataclass(frozen=True, slots=True)
class LinkRarity:
    """Organisation-wide rarity of one link at one moment."""

    host: str
    domain: str | None
    host_messages: int
    domain_messages: int
    host_senders: int
    org_messages: int
    org_days: float
    flagged_by: str | None  # detection model that flagged this host earlier

    @property
    def mature(self) -> bool:
        return self.org_messages >= MIN_ORG_MESSAGES and self.org_days >= MIN_ORG_DAYS

    @property
    def rarity(self) -> float:
        """1.0 for a host and domain never seen, falling as either becomes common."""
        if not self.mature:
            return 0.0
        return 1.0 / (1.0 + self.domain_messages / 2.0 + self.host_messages / 4.0)

    def describe(self) -> str:
        share = self.domain_messages / self.org_messages if self.org_messages else 0.0
        text = (
            f"link host {self.host}: in {self.host_messages} earlier unflagged messages, "
            f"registered domain {self.domain or '-'} in {self.domain_messages} of "
            f"{self.org_messages} over {self.org_days:.0f} days ({share:.2%}), from "
            f"{self.host_senders} senders"
        )
        if self.flagged_by:
            text += f"; flagged earlier by {self.flagged_by}"
        return text


def link_rarity(book: BaselineBook, link: Link, now: datetime) -> LinkRarity:
    host_messages, domain_messages, senders = link_seen(book, link.host, link.registered_domain)
    org_messages, org_days = org_mail_history(book, now)
    flag = flagged(book, "flagged-host", link.host)
    return LinkRarity(
        host=link.host,
        domain=link.registered_domain,
        host_messages=host_messages,
        domain_messages=domain_messages,
        host_senders=senders,
        org_messages=org_messages,
        org_days=org_days,
        flagged_by=flag.get("model") if flag else None,
    )


def is_org_link(link: Link, org_domains: frozenset[str]) -> bool:
    """Return True for links into the organisation's own domains."""
    domain = link.registered_domain or link.host
    return any(domain == d or domain.endswith("." + d) for d in org_domains)
