"""Mail threads by normalised subject: which senders took part, and since when.

A payment-change request is often a reply slipped into a real thread by a sender who
never wrote in it before (a hijacked mailbox's look-alike, or another address of the
attacker). Earlier recipients are kept too, because a reply by an address the thread was
sent to is ordinary. Subjects are normalised by
:func:`normalise_subject`, so ``RE: Invoice 4471`` and ``Invoice 4472`` share one thread key.
"""

from __future__ import annotations

import hashlib
import re

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import touch_days
from chainwatch.events import EmailMessage, MailSent

# TODO: thread states never expire, so their number grows with distinct subjects.
MAX_THREAD_SENDERS = 20
MAX_THREAD_RECIPIENTS = 50
NAMESPACE = "thread"
# Reply and forward prefixes in English, German, Nordic, Dutch, French and Spanish clients.
_PREFIXES = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|wg|fw|fwd|tr|rv|res)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|antw|res)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def normalise_subject(subject: str | None) -> str:
    """Return the subject without reply and forward prefixes, digits and case."""
    if not subject:
        return ""
    text = _PREFIXES.sub("", subject)
    text = _DIGITS.sub("", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def is_reply(subject: str | None) -> bool:
    return bool(subject) and _REPLY_PREFIX.match(subject) is not None


def thread_key(subject: str | None) -> str | None:
    normalised = normalise_subject(subject)
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode()).hexdigest()[:20]


def learn_thread(book: BaselineBook, event: EmailMessage | MailSent) -> None:
    """Add the message's sender and recipients to its thread.

    Message trace rows count too: the trace lists every message, while the mail files hold
    only the mailboxes and journals that were exported.
    """
    key = thread_key(event.subject)
    if key is None or not event.sender:
        return
    if isinstance(event, EmailMessage) and event.nested_depth > 0:
        return
    state = book.edit(NAMESPACE, key)
    touch_days(state, event.time)
    state["messages"] = state.get("messages", 0) + 1
    senders = state.setdefault("senders", [])
    if event.sender not in senders and len(senders) < MAX_THREAD_SENDERS:
        senders.append(event.sender)
    recipients = state.setdefault("recipients", [])
    for address in event.recipients:
        if address in recipients:
            continue
        if len(recipients) >= MAX_THREAD_RECIPIENTS:
            state["many_recipients"] = True
            break
        recipients.append(address)


def thread_recipients(book: BaselineBook, subject: str | None) -> list[str] | None:
    """Return the addresses the subject's thread was sent to before.

    ``None`` means the thread went to more addresses than are kept, so any reply may come
    from one of them.
    """
    key = thread_key(subject)
    state = book.get(NAMESPACE, key) if key else None
    if not state:
        return []
    if state.get("many_recipients"):
        return None
    return list(state.get("recipients", []))


def thread_senders(book: BaselineBook, subject: str | None) -> list[str] | None:
    """Return the earlier senders of the subject's thread, or None for a new thread."""
    key = thread_key(subject)
    state = book.get(NAMESPACE, key) if key else None
    return list(state.get("senders", [])) if state else None
