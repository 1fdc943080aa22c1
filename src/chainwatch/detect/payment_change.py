"""Payment-change request: a link-free message asking to change bank or payment details.

Invoice fraud needs no link: the attacker asks finance to pay into a new account. The
words alone are common in genuine vendor mail, so the model also needs a sign that the
message does not fit its sender. Signs of the sender: a look-alike or new sender, a
Reply-To on another domain, or a reply slipped into an existing thread by a sender new
to it. Signs of the content, against the sender's learned payment history
(:mod:`chainwatch.baseline.payment`): an established sender that never asked to change
payment details does so now, or names an IBAN never seen from it or its domain. The
second catches a vendor's own hijacked mailbox, which has none of the sender signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.payment import PaymentHistory, payment_history
from chainwatch.baseline.payment_content import PaymentContent, read_payment_content
from chainwatch.baseline.threads import is_reply, thread_recipients, thread_senders
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, is_org_link, link_rarity
from chainwatch.detect.lookalike_sender import find_lookalike, reply_to_mismatch
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Direction, EmailMessage, Event

CONTENT_WEIGHT = 0.3
LOOKALIKE_WEIGHT = 0.6
NEW_SENDER_WEIGHT = 0.35
REPLY_TO_WEIGHT = 0.45
NEW_IN_THREAD_WEIGHT = 0.5
# Weight of a change request from an established sender, times one minus the sender's
# smoothed share of earlier change requests, (requests + 0.5) / (messages + 1).
FIRST_CHANGE_WEIGHT = 0.4
NEW_ACCOUNT_WEIGHT = 0.5
URGENCY_WEIGHT = 0.15
# A sender is an established correspondent, so its content history counts, once it
# wrote on this many distinct days, the first at least this many days ago. The share of
# change requests discounts a short history further.
ESTABLISHED_DAYS_WITH_MAIL = 2
ESTABLISHED_SPAN_DAYS = 7.0


@dataclass
class PaymentChangeRequest(Model):
    name: ClassVar[str] = "payment-change-request"
    scoring: ClassVar[str] = (
        "An inbound message without links rare in the organisation (rarity below 0.25) whose "
        "subject or text excerpt names bank or payment details (IBAN, account number, bank "
        "details, and the same in German, Nordic, Dutch, French and Spanish). Needs at least "
        "one sign. Sender signs: a look-alike sender domain 0.6, a sender never seen before "
        "0.35 (not when it replies in a thread sent to it), a Reply-To on another "
        "registered domain 0.45, a reply (RE:, AW:, SV:) in an "
        "existing thread by a sender that neither wrote in it nor received it 0.5. "
        "Content signs, once the sender wrote on 2 days or more, the first 7 days ago or "
        "more: the message asks to change payment details (new IBAN, update our bank "
        "details, moved our accounts) 0.4 x (1 - (earlier "
        "change requests + 0.5) / (earlier messages + 1)), and it names an IBAN with valid "
        "check digits never seen from the sender or its domain 0.5, when it asks for a "
        "change or the sender named other accounts before. Urgency or a deadline adds 0.15 to a "
        "message with a sign. Score = noisy-OR(0.3, signs). In an incident the detection "
        "weighs 0.7, more than other delivery models, because the request is the whole "
        "attack: no sign-in, rule or surge follows in the tenant, so a request scoring 72 "
        "or more raises an incident of severity 50 on its own."
    )
    title: ClassVar[str] = "Payment-change request"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A message asks to change bank or payment details and something about its "
        "sender or its account does not fit: invoice and payment-redirection fraud.",
        check=(
            "Call the vendor on a number from your records, not from the message.",
            "Compare the sender, Reply-To and bank account with the vendor's earlier mail.",
            "Check whether finance already replied or changed the vendor's bank details.",
        ),
        false_positives=(
            "A vendor that really changed banks, announced from its usual or a new address.",
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
        content = read_payment_content(event)
        if not content.mentions_payment:
            return None
        org_domains = frozenset(self.settings.org_domains)
        for link in event.links:
            if is_org_link(link, org_domains):
                continue
            if link_rarity(state, link, event.time).rarity >= RARE_LINK_THRESHOLD:
                return None  # a lure link: the link models judge this message

        terms: list[float] = []
        if content.change is not None:
            summary = "asks to change payment details"
            explanation = [f"asks to change payment details: {content.change!r}"]
        else:
            summary = "names payment details"
            explanation = [f"names payment details: {content.details!r}"]
        self._add_sender_signs(state, event, org_domains, terms, explanation)
        history = payment_history(state, event.sender, event.time)
        _add_content_signs(history, event.sender, content, terms, explanation)
        if not terms:
            return None
        if content.urgency is not None:
            terms.append(URGENCY_WEIGHT)
            explanation.append(f"urgency or deadline: {content.urgency!r}")
        return self.make(
            event,
            account=event.sender,
            score=100 * noisy_or(CONTENT_WEIGHT, *terms),
            summary=f"{event.sender} {summary}",
            explanation=explanation,
            entities=[
                ("sender", event.sender),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )

    def _add_sender_signs(
        self,
        state: BaselineBook,
        event: EmailMessage,
        org_domains: frozenset[str],
        terms: list[float],
        explanation: list[str],
    ) -> None:
        """Add the signs that the sender is not who the recipients expect."""
        sender = event.sender or ""
        lookalike = find_lookalike(state, sender, event.time, org_domains)
        if lookalike is not None:
            terms.append(LOOKALIKE_WEIGHT)
            explanation.append(lookalike.describe())
        # A thread the organisation sent to this address makes a reply from it expected.
        reply = is_reply(event.subject)
        recipients = thread_recipients(state, event.subject) if reply else []
        answering = recipients is None or sender in recipients
        sender_history = state.get("sender", sender) or {}
        if sender_history.get("messages", 0) == 0 and not answering:
            terms.append(NEW_SENDER_WEIGHT)
            explanation.append(f"sender {sender}: 0 earlier messages")
        mismatched = reply_to_mismatch(event)
        if mismatched:
            terms.append(REPLY_TO_WEIGHT)
            explanation.append(f"Reply-To {', '.join(mismatched)} differs from the sender")
        if reply:
            senders = thread_senders(state, event.subject)
            if senders and sender not in senders and not answering:
                terms.append(NEW_IN_THREAD_WEIGHT)
                explanation.append(
                    f"reply in a thread of {len(senders)} earlier senders "
                    f"({', '.join(senders[:3])}) that never sent to or included {sender}"
                )


def _add_content_signs(
    history: PaymentHistory,
    sender: str,
    content: PaymentContent,
    terms: list[float],
    explanation: list[str],
) -> None:
    """Add the signs that an established sender's message departs from its history."""
    if history.days < ESTABLISHED_DAYS_WITH_MAIL or history.span_days < ESTABLISHED_SPAN_DAYS:
        return
    new_accounts = [a for a in content.accounts if not history.has_seen(a.digest)]
    asks_change = content.change is not None
    account_sign = bool(new_accounts) and (asks_change or bool(history.accounts))
    if not asks_change and not account_sign:
        return

    record = (
        f"sender {sender} sent {history.messages} earlier messages over "
        f"{history.span_days:.0f} days, {history.change_requests} asked to change payment "
        f"details"
    )
    if asks_change:
        share = (history.change_requests + 0.5) / (history.messages + 1)
        terms.append(FIRST_CHANGE_WEIGHT * (1.0 - share))
        record += f" (smoothed share {share:.2f})"
    explanation.append(record)
    if account_sign:
        terms.append(NEW_ACCOUNT_WEIGHT)
        domain = domain_of_address(sender) or "its domain"
        names = ", ".join(a.describe() for a in new_accounts)
        explanation.append(
            f"{names} (check digits valid) never seen from this sender or {domain}: the "
            f"sender named {_count(len(history.accounts), 'other account')} in "
            f"{history.messages} messages, the domain "
            f"{_count(len(history.domain_accounts), 'account')} in "
            f"{history.domain_messages}"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
