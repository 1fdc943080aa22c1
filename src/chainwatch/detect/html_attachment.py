"""HTML attachment lure: an attached web page with a form, a rare link or brand words.

An attached HTML, SHTML or SVG file opens in the browser from the local disk, out of
reach of link scanners, and typically shows a fake sign-in page that posts the password
to the attacker's host. Readers mark form targets of attached pages with the link text
``form in <file name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.impersonation_link import BRAND_WORDS, LOGIN_WORDS, is_microsoft
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, is_org_link, link_rarity
from chainwatch.events import Direction, EmailMessage, Event
from chainwatch.read.mail_attachments import FORM_TEXT_PREFIX, is_web_page

PAGE_WEIGHT = 0.15
FORM_WEIGHT = 0.55
RARE_LINK_WEIGHT = 0.45
BRAND_WEIGHT = 0.3
LOGIN_WEIGHT = 0.15


def web_page_attachments(event: EmailMessage) -> list[str]:
    """Return the names of attachments that a browser renders."""
    types = list(event.attachment_types) + [None] * len(event.attachments)
    return [
        name
        for name, content_type in zip(event.attachments, types, strict=False)
        if is_web_page(content_type, name)
    ]


@dataclass
class HtmlAttachmentLure(Model):
    name: ClassVar[str] = "html-attachment-lure"
    scoring: ClassVar[str] = (
        "An inbound or internal message with an HTML, SHTML or SVG attachment (by content type "
        "or file name), 0.15. Adds: a form in the attached page posting outside the "
        "organisation and Microsoft 0.55; a link to a host with organisation-wide rarity of at "
        "least 0.25, 0.45 x rarity (abused services weighted 1.25 x); Microsoft 365 brand "
        "words in the file name, subject, link texts or text excerpt 0.3, sign-in words 0.15. "
        "Needs a form, a rare link or brand words. Score = noisy-OR of these."
    )
    title: ClassVar[str] = "HTML attachment lure"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="An attached web page carries a form or a rare link, or names Microsoft: a "
        "local fake sign-in page that link scanners do not see.",
        check=(
            "Open the attachment as text, never in a browser, and read the form's target.",
            "Find recipients who opened it and their sign-ins in the following days.",
        ),
        false_positives=(
            "Booking confirmations and e-fax or voicemail notices sent as HTML files.",
        ),
        response=(
            "Remove the message from every mailbox and block the form's host.",
            "Reset credentials of users who opened the page and entered a password.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        hosts = ",".join(sorted(detection.entity_values("link-host")))
        return f"{self.name}|{detection.account}|{hosts}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage) or event.nested_depth > 0:
            return None
        if event.direction not in (Direction.INBOUND, Direction.INTERNAL):
            return None
        pages = web_page_attachments(event)
        if not pages:
            return None

        terms = [PAGE_WEIGHT]
        explanation = [f"web page attachment(s): {', '.join(pages[:3])}"]
        hosts: list[str] = []
        strong = False
        org_domains = frozenset(self.settings.org_domains)
        for link in event.links:
            if is_org_link(link, org_domains) or is_microsoft(link):
                continue
            text = link.display_text or ""
            if text.startswith(FORM_TEXT_PREFIX) and text[len(FORM_TEXT_PREFIX) :] in pages:
                terms.append(FORM_WEIGHT)
                explanation.append(f"{text} posts to {link.host}")
                hosts.append(link.host)
                strong = True
                continue
            rarity = link_rarity(state, link, event.time)
            if rarity.rarity >= RARE_LINK_THRESHOLD:
                terms.append(RARE_LINK_WEIGHT * rarity.weighted_rarity)
                explanation.append(rarity.describe())
                hosts.append(link.host)
                strong = True

        words = " ".join(
            [*pages, event.subject or "", event.text_excerpt or ""]
            + [link.display_text or "" for link in event.links]
        )
        brand = BRAND_WORDS.search(words)
        if brand:
            terms.append(BRAND_WEIGHT)
            explanation.append(f"names {brand.group(0)!r} in the file name, subject or text")
            strong = True
            if LOGIN_WORDS.search(words):
                terms.append(LOGIN_WEIGHT)
                explanation.append("sign-in or account words in the file name, subject or text")
        if not strong:
            return None

        account = event.sender or "unknown sender"
        return self.make(
            event,
            account=account,
            score=100 * noisy_or(*terms),
            summary=f"attached web page {pages[0]} from {account} is a likely sign-in lure",
            explanation=explanation,
            entities=[
                ("sender", account),
                *(("link-host", h) for h in dict.fromkeys(hosts)),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )
