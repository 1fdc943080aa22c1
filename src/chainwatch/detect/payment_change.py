"""Payment-change request: a link-free message asking to change bank or payment details.

Invoice fraud needs no link: the attacker asks finance to pay into a new account. The
words alone are common in genuine vendor mail, so the model also needs a sign that the
sender is not who the thread expects: a look-alike or new sender, a Reply-To on another
domain, or a reply slipped into an existing thread by a sender new to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.threads import is_reply, thread_senders
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, is_org_link, link_rarity
from chainwatch.detect.lookalike_sender import find_lookalike, reply_to_mismatch
from chainwatch.events import Direction, EmailMessage, Event

# Phrases of a bank or payment change in English and the languages of the reply
# prefixes this project reads (German, Nordic, Dutch, French, Spanish).
PAYMENT_CHANGE = re.compile(
    r"\biban\b|\bswift\b|\bbic\b|sort code|routing number|account (?:number|details)|"
    r"bank(?:ing)? (?:details|account|information|info)|new bank|changed? (?:our |of )?bank|"
    r"(?:updated?|new|changed?) (?:payment|remittance|wire) (?:instructions|details|information)|"
    r"remittance (?:change|details)|bankverbindung|kontoverbindung|neue bank|"
    r"bankoplysninger|bankgiro|kontonummer|rekeningnummer|coordonn[ée]es bancaires|\brib\b|"
    r"datos bancarios|cuenta bancaria",
    re.IGNORECASE,
)
CONTENT_WEIGHT = 0.3
LOOKALIKE_WEIGHT = 0.6
NEW_SENDER_WEIGHT = 0.35
REPLY_TO_WEIGHT = 0.45
NEW_IN_THREAD_WEIGHT = 0.5


@dataclass
class PaymentChangeRequest(Model):
    name: ClassVar[str] = "payment-change-request"
    scoring: ClassVar[str] = (
        "An inbound message without links rare in the organisation (rarity below 0.25) whose "
        "subject or text excerpt asks to change bank or payment details (IBAN, account number, "
        "new bank, updated payment or remittance instructions, and the same in German, Nordic, "
        "Dutch, French and Spanish). Needs at least one sign: a look-alike sender domain 0.6, a "
        "sender never seen before 0.35, a Reply-To on another registered domain 0.45, or a reply "
        "(RE:, AW:, SV:) in an existing thread by a sender new to it 0.5. Score = noisy-OR(0.3, "
        "signs)."
    )
    title: ClassVar[str] = "Payment-change request"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A message asks to change bank or payment details and something about its "
        "sender does not fit: invoice and payment-redirection fraud.",
        check=(
            "Call the vendor on a number from your records, not from the message.",
            "Compare the sender and Reply-To with the vendor's earlier mail in the thread.",
            "Check whether finance already changed the vendor's bank details.",
        ),
        false_positives=(
            "A vendor that really changed banks and writes from a new address.",
            "Shared mailboxes of the vendor replying in a thread for the first time.",
        ),
        response=(
            "Stop pending payments to the new account and alert the bank if money left.",
            "Treat the vendor's mailbox as compromised and warn the vendor.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage) or event.direction != Direction.INBOUND:
            return None
        if event.nested_depth > 0 or not event.sender:
            return None
        text = f"{event.subject or ''} {event.text_excerpt or ''}"
        match = PAYMENT_CHANGE.search(text)
        if match is None:
            return None
        org_domains = frozenset(self.settings.org_domains)
        for link in event.links:
            if is_org_link(link, org_domains):
                continue
            if link_rarity(state, link, event.time).rarity >= RARE_LINK_THRESHOLD:
                return None  # a lure link: the link models judge this message

        terms: list[float] = []
        explanation = [f"asks to change payment details: {match.group(0)!r}"]
        lookalike = find_lookalike(state, event.sender, event.time, org_domains)
        if lookalike is not None:
            terms.append(LOOKALIKE_WEIGHT)
            explanation.append(lookalike.describe())
        sender_history = state.get("sender", event.sender) or {}
        if sender_history.get("messages", 0) == 0:
            terms.append(NEW_SENDER_WEIGHT)
            explanation.append(f"sender {event.sender}: 0 earlier messages")
        mismatched = reply_to_mismatch(event)
        if mismatched:
            terms.append(REPLY_TO_WEIGHT)
            explanation.append(f"Reply-To {', '.join(mismatched)} differs from the sender")
        if is_reply(event.subject):
            senders = thread_senders(state, event.subject)
            if senders and event.sender not in senders:
                terms.append(NEW_IN_THREAD_WEIGHT)
                explanation.append(
                    f"reply in a thread of {len(senders)} earlier senders "
                    f"({', '.join(senders[:3])}) that never included {event.sender}"
                )
        if not terms:
            return None
        return self.make(
            event,
            account=event.sender,
            score=100 * noisy_or(CONTENT_WEIGHT, *terms),
            summary=f"{event.sender} asks to change payment details",
            explanation=explanation,
            entities=[
                ("sender", event.sender),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )
