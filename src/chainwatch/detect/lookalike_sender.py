"""Look-alike sender domain: mail from a young domain that imitates a vendor's or ours.

Attackers who cannot take over the vendor's mailbox register a domain one or two
characters away (``harbour-logistics.example`` for ``harbor-logistics.example``) or one
that is equal once its characters are folded (Cyrillic ``а`` for Latin ``a``, ``rn`` for
``m``, ``0`` for ``o``). The imitated domain is one the organisation has mailed with for
a while, or one of its own.
"""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from encodings import idna
from functools import lru_cache
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import days_known, parse_iso
from chainwatch.baseline.near_names import NearNames
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.impersonation_link import HOMOGLYPHS, edit_distance
from chainwatch.enrich.domains import DomainResolver, domain_of_address
from chainwatch.events import Direction, EmailMessage, Event

YOUNG_DAYS = 30.0
MIN_VENDOR_MESSAGES = 3
MIN_VENDOR_DAYS = 7.0
MIN_NAME_LENGTH = 5  # shorter names are too often one or two edits apart by chance
# Non-Latin letters that render like Latin ones, as in Unicode's confusables list.
CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ս": "u",
        "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "ρ": "p",
    }
)  # fmt: skip
_RESOLVER = DomainResolver()


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A sender domain that imitates a known domain."""

    domain: str
    target: str
    distance: int  # 0 when equal after folding
    target_kind: str  # "vendor" or "organisation"
    domain_days: float | None  # days the sender domain is known, None if never seen
    target_messages: int

    @property
    def similarity(self) -> float:
        return 0.75 if self.distance <= 1 else 0.55

    def describe(self) -> str:
        how = (
            "equal after folding look-alike characters"
            if self.distance == 0
            else f"edit distance {self.distance}"
        )
        age = (
            "never seen before"
            if self.domain_days is None
            else f"first seen {self.domain_days:.0f} days ago"
        )
        return (
            f"sender domain {self.domain} imitates {self.target_kind} domain {self.target} "
            f"({how}; {self.target} in {self.target_messages} earlier messages); "
            f"{self.domain} {age}"
        )


@lru_cache(maxsize=65536)  # domains recur, and the result depends only on the string
def fold(domain: str) -> str:
    """Return the domain in Unicode, with look-alike characters folded to Latin ones."""
    labels = []
    for label in domain.lower().split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = idna.ToUnicode(label)
        labels.append(label)
    text = unicodedata.normalize("NFKC", ".".join(labels)).translate(CONFUSABLES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.translate(HOMOGLYPHS).replace("rn", "m").replace("vv", "w")


def registered(domain: str) -> str:
    return _RESOLVER.registered_domain(domain) or domain


class SenderDomainIndex:
    """Sender-domain keys grouped by registered domain, with a near-name index of those.

    Kept in the book (:meth:`BaselineBook.key_index`) and given each new key of the
    ``sender-domain`` namespace, so a look-up costs the near matches, not the number
    of domains seen. Message counts and first-seen times are read from the states at
    look-up time, because they change after a key is added.
    """

    def __init__(self) -> None:
        self.added = 0
        self.keys: dict[str, list[tuple[int, str]]] = {}  # registered -> (order, key)
        self.by_folded: dict[str, list[str]] = {}  # folded registered -> registered
        self.near = NearNames()  # folded registered domains

    def add(self, key: str, state: State) -> None:
        order = self.added
        self.added += 1
        domain = registered(key)
        entries = self.keys.get(domain)
        if entries is None:
            entries = self.keys[domain] = []
            if len(domain.split(".")[0]) >= MIN_NAME_LENGTH:
                folded = fold(domain)
                self.by_folded.setdefault(folded, []).append(domain)
                self.near.add(folded)
        entries.append((order, key))


def _near_vendor_domains(
    state: BaselineBook, folded: str, before: datetime
) -> list[tuple[int, str, int]]:
    """Return ``(order, registered domain, messages)`` of established vendor domains
    whose folded name may be within edit distance 2 of ``folded``.

    A registered domain is established by ``before`` when one of its sender domains had
    at least :data:`MIN_VENDOR_MESSAGES` messages and was first seen at least
    :data:`MIN_VENDOR_DAYS` before it; its messages are those of all such sender
    domains, and its order that of the first of them to be created.
    """
    index = state.key_index("sender-domain", SenderDomainIndex)
    found = []
    for near in index.near.candidates(folded):
        for domain in index.by_folded[near]:
            messages = 0
            first: int | None = None
            for order, key in index.keys[domain]:
                history = state.get("sender-domain", key) or {}
                count = history.get("messages", 0)
                if count >= MIN_VENDOR_MESSAGES and days_known(history, before) >= MIN_VENDOR_DAYS:
                    messages += count
                    if first is None:
                        first = order
            if first is not None:
                found.append((first, domain, messages))
    return sorted(found)


def find_lookalike(
    state: BaselineBook, sender: str | None, now: datetime, org_domains: frozenset[str]
) -> Lookalike | None:
    """Return what a young sender domain imitates, or None."""
    address_domain = domain_of_address(sender)
    if not address_domain:
        return None
    domain = registered(address_domain)
    history = state.get("sender-domain", address_domain)
    age = days_known(history, now) if history else None
    if age is not None and age >= YOUNG_DAYS:
        return None
    if domain in org_domains:
        return None
    # Organisation domains first, then vendor domains in the order they were first seen,
    # because the first of equally good matches is reported.
    targets = {d: ("organisation", 0) for d in org_domains}
    # A vendor domain is imitated only if it was established before the sender's domain
    # appeared, so similarly named vendors first seen together never match each other.
    first_seen = parse_iso(history["first"]) if history else now
    folded = fold(domain)
    for _, known, messages in _near_vendor_domains(state, folded, first_seen):
        targets.setdefault(known, ("vendor", messages))
    targets.pop(domain, None)

    best: Lookalike | None = None
    for target, (kind, messages) in targets.items():
        if len(target.split(".")[0]) < MIN_NAME_LENGTH:
            continue
        folded_target = fold(target)
        distance = 0 if folded == folded_target else edit_distance(folded, folded_target, 2)
        if distance > 2:
            continue
        if best is None or (distance, -messages) < (best.distance, -best.target_messages):
            best = Lookalike(domain, target, distance, kind, age, messages)
    return best


@dataclass
class LookalikeSenderDomain(Model):
    name: ClassVar[str] = "lookalike-sender-domain"
    scoring: ClassVar[str] = (
        "An inbound sender whose registered domain is new, or known for less than 30 days, "
        "and is within edit distance 2 of, or equal after folding IDN, Cyrillic and Greek "
        "look-alike letters and digit swaps to, an organisation domain or a vendor domain "
        "that had at least 3 messages over 7 days before the sender's domain first appeared. "
        "Names shorter than 5 characters are not compared. Similarity 0.75 for distance 0 or "
        "1, 0.55 for 2; a never-seen domain adds 0.3, a Reply-To on another domain 0.3. "
        "Score = noisy-OR of these."
    )
    title: ClassVar[str] = "Look-alike sender domain"
    stage: ClassVar[str] = "delivery"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="Mail came from a young domain that imitates a vendor's domain or the "
        "organisation's own: the usual start of invoice and payment fraud.",
        check=(
            "Compare the sender domain with the imitated one in the explanation, letter by letter.",
            "Look for a payment or bank-detail change request in the message or thread.",
            "Find other recipients of mail from the domain.",
        ),
        false_positives=(
            "A vendor's new, similarly named brand or regional domain.",
            "Two unrelated companies with similar names.",
        ),
        response=(
            "Block the sender domain and remove its messages.",
            "Warn the vendor and confirm any payment changes by phone on a known number.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage) or event.direction != Direction.INBOUND:
            return None
        if event.nested_depth > 0:
            return None
        org_domains = frozenset(self.settings.org_domains)
        found = find_lookalike(state, event.sender, event.time, org_domains)
        if found is None:
            return None

        terms = [found.similarity]
        explanation = [found.describe()]
        if found.domain_days is None:
            terms.append(0.3)
        mismatched = reply_to_mismatch(event)
        if mismatched:
            terms.append(0.3)
            explanation.append(f"Reply-To {', '.join(mismatched)} differs from the sender")
        account = event.sender or found.domain
        return self.make(
            event,
            account=account,
            score=100 * noisy_or(*terms),
            summary=f"{found.domain} imitates {found.target}",
            explanation=explanation,
            entities=[
                ("sender", account),
                ("sender-domain", found.domain),
                *(("message-id", m) for m in [event.message_id] if m),
                *(("subject", s) for s in [event.subject] if s),
                *(("recipient", r) for r in event.recipients),
            ],
        )


def reply_to_mismatch(event: EmailMessage) -> list[str]:
    """Return Reply-To addresses whose registered domain differs from the sender's."""
    sender_domain = domain_of_address(event.sender)
    if not sender_domain:
        return []
    own = registered(sender_domain)
    return [
        address
        for address in event.reply_to
        if (domain := domain_of_address(address)) and registered(domain) != own
    ]
