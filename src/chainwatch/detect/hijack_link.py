"""Account hijack link: a known sender suddenly links to a host rare for it and for us.

A hijacked vendor mailbox passes SPF, DKIM and DMARC and comes from the vendor's usual
servers, so only a change within the relationship gives it away: a link to a host the
sender never used and that almost nobody in the organisation has seen. Links to the
sender's own registered domain (its site, its newsletter's tracking redirects once
unwrapped) are never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import days_known
from chainwatch.detect.base import Detection, Model, TriageGuide
from chainwatch.detect.link_rarity import is_org_link, link_rarity
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Direction, EmailMessage, Event, Link

UNSUBSCRIBE_WORDS = ("unsubscribe", "optout", "opt-out", "opt_out", "preferences", "abmelden")
MIN_SENDER_MESSAGES = 3
MIN_SENDER_DAYS = 7.0
FULL_TRUST_DAYS = 30.0
FULL_TRUST_MESSAGES = 8.0


def is_unsubscribe_link(link: Link) -> bool:
    """Return True for a bulk mail's unsubscribe or preferences link."""
    text = f"{link.url} {link.display_text or ''}".lower()
    return any(word in text for word in UNSUBSCRIBE_WORDS)


@dataclass
class AccountHijackLink(Model):
    name: ClassVar[str] = "account-hijack-link"
    scoring: ClassVar[str] = (
        "Needs an inbound message from a sender with at least 3 earlier messages over at least 7 "
        "days. For each link outside the sender's and the organisation's own domains whose "
        "registered domain the sender never linked to, rarity = 1 / (1 + domain messages/2 + host "
        "messages/4) over all mail the organisation has seen (0 until the organisation baseline "
        "holds 300 messages over 7 days), minus adoption: the link-rarity module's count of "
        "distinct senders and recipients in the last 7 days; a rare link to a catalogued "
        "abused service (form, infographic and site builders, file shares, IPFS gateways, URL "
        "shorteners) counts 1.25 x, at most 1. Score = rarity x (0.55 + 0.45 x trust), where "
        "trust = sqrt(min(1, days known / 30) x min(1, messages / 8))."
        " Unsubscribe and preferences links of bulk mail are skipped."
    )
    title: ClassVar[str] = "Account hijack link"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="An established external sender sent a link to a host it never used before "
        "and that is rare in the organisation: the pattern of a hijacked vendor mailbox.",
        check=(
            "Look at the link host without opening it: a form, infographic or file-sharing "
            "service hosting a 'document' is the usual lure.",
            "Call the sender on a known number to confirm they sent it.",
            "Find who clicked (UrlClickEvents) and whether recipients then signed in from "
            "unusual places.",
        ),
        false_positives=(
            "A vendor moving to a new file-sharing or e-signature service.",
            "A one-off link to a public site in a personal note.",
        ),
        response=(
            "Hold or remove the message from every mailbox that received it; lock the link.",
            "Warn the vendor that their mailbox is probably compromised.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        hosts = ",".join(sorted(detection.entity_values("link-host")))
        return f"{self.name}|{detection.account}|{hosts}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage) or event.nested_depth > 0:
            return None
        if event.direction != Direction.INBOUND or not event.sender or not event.links:
            return None
        sender = state.get("sender", event.sender)
        if not sender:
            return None
        messages = sender.get("messages", 0)
        known_days = days_known(sender, event.time)
        if messages < MIN_SENDER_MESSAGES or known_days < MIN_SENDER_DAYS:
            return None

        sender_domain = domain_of_address(event.sender)
        org_domains = frozenset(self.settings.org_domains)
        best = None
        for link in event.links:
            if is_org_link(link, org_domains):
                continue
            if event.is_bulk and is_unsubscribe_link(link):
                continue
            if (
                link.registered_domain
                and sender_domain
                and (
                    sender_domain == link.registered_domain
                    or sender_domain.endswith("." + link.registered_domain)
                )
            ):
                continue
            if sender.get("link_domains", {}).get(link.registered_domain or link.host, 0) > 0:
                continue
            rarity = link_rarity(state, link, event.time)
            if best is None or rarity.weighted_rarity > best[1].weighted_rarity:
                best = (link, rarity)
        if best is None or best[1].weighted_rarity <= 0.0:
            return None

        link, rarity = best
        trust = (
            min(1.0, known_days / FULL_TRUST_DAYS) ** 0.5
            * min(1.0, messages / FULL_TRUST_MESSAGES) ** 0.5
        )
        value = 100 * rarity.weighted_rarity * (0.55 + 0.45 * trust)
        used = sender.get("link_domains", {})
        explanation = [
            f"sender {event.sender}: known {known_days:.0f} days, {messages} messages on "
            f"{sender.get('days', 0)} days to {sender.get('n_recipients', 0)} recipients",
            f"link domain {link.registered_domain or link.host}: 0 of {messages} earlier messages "
            f"from this sender (other linked domains: {len(used)}, "
            f"{', '.join(sorted(used)[:4]) or 'none'})",
            rarity.describe(),
        ]
        if event.auth.dmarc:
            explanation.append(
                f"authentication spf={event.auth.spf} dkim={event.auth.dkim} "
                f"dmarc={event.auth.dmarc}: a real mailbox of the sender, not a spoof"
            )
        return self.make(
            event,
            account=event.sender,
            score=value,
            summary=f"{event.sender} linked to {link.host}, new for this sender and rare here",
            explanation=explanation,
            entities=[
                ("sender", event.sender),
                ("link-host", link.host),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )
