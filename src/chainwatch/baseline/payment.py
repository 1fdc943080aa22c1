"""Payment history of external senders: change requests and the bank accounts they named.

For each external sender address, and for its domain, the baseline counts messages,
first and last seen and distinct days, and how many messages asked to change bank or
payment details. It keeps the IBANs named in the text as short hashes with their counts,
never the numbers.
A hijacked vendor mailbox that has never asked for a payment change and now names an
account never seen from the vendor is the classic sign of vendor email compromise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import days_known, increment, touch_days
from chainwatch.baseline.payment_content import PaymentContent, read_payment_content
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Direction, EmailMessage

SENDER_NAMESPACE = "payment-sender"
DOMAIN_NAMESPACE = "payment-domain"


@dataclass(frozen=True, slots=True)
class PaymentHistory:
    """Payment history of one sender and its domain, before the message being scored."""

    messages: int
    days: int  # distinct days with a message
    span_days: float  # from the first message to now
    change_requests: int  # messages that asked to change payment details
    accounts: frozenset[str]  # digests of the IBANs the sender named
    domain_messages: int
    domain_accounts: frozenset[str]  # digests of the IBANs any sender of the domain named

    def has_seen(self, digest: str) -> bool:
        return digest in self.accounts or digest in self.domain_accounts


def learn_payment_history(
    book: BaselineBook, event: EmailMessage, content: PaymentContent | None = None
) -> None:
    """Learn an inbound message's payment cues into its sender's and domain's history."""
    if event.direction != Direction.INBOUND or not event.sender or event.nested_depth > 0:
        return
    if content is None:
        content = read_payment_content(event)
    _learn(book.edit(SENDER_NAMESPACE, event.sender), event.time, content)
    domain = domain_of_address(event.sender)
    if domain:
        _learn(book.edit(DOMAIN_NAMESPACE, domain), event.time, content)


def _learn(state: State, time: datetime, content: PaymentContent) -> None:
    touch_days(state, time)
    state["messages"] = state.get("messages", 0) + 1
    if content.change is not None:
        state["change_requests"] = state.get("change_requests", 0) + 1
    if content.accounts:
        accounts = state.setdefault("accounts", {})
        for account in content.accounts:
            increment(accounts, account.digest)


def payment_history(book: BaselineBook, sender: str, now: datetime) -> PaymentHistory:
    """Return the payment history of ``sender`` and its domain as of ``now``."""
    state = book.get(SENDER_NAMESPACE, sender) or {}
    domain = domain_of_address(sender)
    domain_state = (book.get(DOMAIN_NAMESPACE, domain) if domain else None) or {}
    return PaymentHistory(
        messages=state.get("messages", 0),
        days=state.get("days", 0),
        span_days=days_known(state, now),
        change_requests=state.get("change_requests", 0),
        accounts=frozenset(state.get("accounts", {})),
        domain_messages=domain_state.get("messages", 0),
        domain_accounts=frozenset(domain_state.get("accounts", {})),
    )
