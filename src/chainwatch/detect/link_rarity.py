"""How rare a link is for the organisation, shared by the link and surge models.

Rarity = 1 / (1 + domain messages/2 + host messages/4 + adoption), where the message
counts are over all learned mail and adoption = max(0, S - 1) + R/10 with S distinct
senders and R distinct recipients of learned messages linking the registered domain in
the last 7 days. One sender mailing one colleague adds nothing, while a tool that 3
senders sent to 20 people within a week (adoption 4) is no longer rare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chainwatch.baseline.adoption import ADOPTION_DAYS, recent_spread
from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged
from chainwatch.baseline.sender import link_seen, org_mail_history
from chainwatch.enrich.abused_services import abused_service
from chainwatch.events import Link

# The organisation's link baseline is trusted after this much mail and time.
MIN_ORG_MESSAGES = 300
MIN_ORG_DAYS = 7.0
# Rarity at or above which a link counts as rare in the organisation.
RARE_LINK_THRESHOLD = 0.25
# A rare link to a service in the abused-services catalogue counts this much more.
ABUSED_SERVICE_BOOST = 0.25


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
    recent_senders: int = 0  # distinct senders linking the domain in the last 7 days
    recent_recipients: int = 0  # distinct recipients of those messages
    service: str | None = None  # abused-services catalogue entry, e.g. "forms.gle"
    service_category: str | None = None  # e.g. "form builder"

    @property
    def mature(self) -> bool:
        return self.org_messages >= MIN_ORG_MESSAGES and self.org_days >= MIN_ORG_DAYS

    @property
    def adoption(self) -> float:
        """Recent spread: max(0, senders - 1) + recipients / 10."""
        return max(0, self.recent_senders - 1) + self.recent_recipients / 10.0

    @property
    def rarity(self) -> float:
        """1.0 for a host and domain never seen, falling as either becomes common."""
        if not self.mature:
            return 0.0
        return 1.0 / (1.0 + self.domain_messages / 2.0 + self.host_messages / 4.0 + self.adoption)

    @property
    def weighted_rarity(self) -> float:
        """Rarity, raised by :data:`ABUSED_SERVICE_BOOST` for a rare link to an abused service.

        Returns ``min(1, rarity x (1 + boost))`` when the link is rare and hosted on a
        catalogued service, else the rarity.
        """
        rarity = self.rarity
        if self.service and rarity >= RARE_LINK_THRESHOLD:
            return min(1.0, rarity * (1.0 + ABUSED_SERVICE_BOOST))
        return rarity

    def describe(self) -> str:
        share = self.domain_messages / self.org_messages if self.org_messages else 0.0
        text = (
            f"link host {self.host}: in {self.host_messages} earlier unflagged messages, "
            f"registered domain {self.domain or '-'} in {self.domain_messages} of "
            f"{self.org_messages} over {self.org_days:.0f} days ({share:.2%}), from "
            f"{self.host_senders} senders"
        )
        if self.recent_senders or self.recent_recipients:
            text += (
                f"; {self.recent_senders} senders to {self.recent_recipients} recipients in "
                f"the last {ADOPTION_DAYS} days (adoption {self.adoption:.1f})"
            )
        if self.service:
            text += (
                f"; hosted on {self.service}, {_article(self.service_category)} "
                f"{self.service_category} service attackers "
                f"use for lures"
            )
            if self.rarity >= RARE_LINK_THRESHOLD:
                text += f" (rarity {self.rarity:.2f} weighted to {self.weighted_rarity:.2f})"
        if self.flagged_by:
            text += f"; flagged earlier by {self.flagged_by}"
        return text


def link_rarity(book: BaselineBook, link: Link, now: datetime) -> LinkRarity:
    host_messages, domain_messages, senders = link_seen(book, link.host, link.registered_domain)
    org_messages, org_days = org_mail_history(book, now)
    flag = flagged(book, "flagged-host", link.host)
    senders_7d, recipients_7d = recent_spread(book, link.registered_domain or link.host, now)
    service = abused_service(link)
    return LinkRarity(
        host=link.host,
        domain=link.registered_domain,
        host_messages=host_messages,
        domain_messages=domain_messages,
        host_senders=senders,
        org_messages=org_messages,
        org_days=org_days,
        flagged_by=flag.get("model") if flag else None,
        recent_senders=senders_7d,
        recent_recipients=recipients_7d,
        service=service.label if service else None,
        service_category=service.category if service else None,
    )


def is_org_link(link: Link, org_domains: frozenset[str]) -> bool:
    """Return True for links into the organisation's own domains."""
    domain = link.registered_domain or link.host
    return any(domain == d or domain.endswith("." + d) for d in org_domains)


def _article(word: str) -> str:
    """Return "an" before a vowel sound written with a vowel, else "a"."""
    return "an" if word[:1].lower() in "aeiou" else "a"
