"""Payment wording and bank accounts in a message's subject and text excerpt.

Three cues, each a regular expression in English and the languages whose reply
prefixes this project reads (German, Nordic, Dutch, French, Spanish):

- payment-details vocabulary: IBAN, account number, bank details;
- a request to change them: new IBAN, update our payment details, we have moved our
  accounts;
- urgency or a deadline: urgent, before the payment run, the old account closes.

IBANs in the text are kept only when their national format and ISO 13616 mod-97 check
digits are valid (``stdnum.iban``), so order and invoice numbers are not taken for
accounts. Each account is identified by a short hash and its last four characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stdnum import iban

from chainwatch.events import EmailMessage

PAYMENT_DETAILS = re.compile(
    r"\biban\b|\bswift\b|\bbic\b|sort code|routing number|account (?:number|details)|"
    r"bank(?:ing)? (?:details|account|information|info)|new bank|changed? (?:our |of )?bank|"
    r"(?:updated?|new|changed?) (?:payment|remittance|wire) (?:instructions|details|information)|"
    r"remittance (?:change|details)|bankverbindung|kontoverbindung|neue bank|"
    r"bankoplysninger|bankgiro|kontonummer|rekeningnummer|coordonn[ée]es bancaires|\brib\b|"
    r"datos bancarios|cuenta bancaria",
    re.IGNORECASE,
)
# Objects of a change request: the account itself or the instructions for paying it.
_ACCOUNT_WORDS = (
    r"(?:iban|bic|swift|sort code|bank(?:ing)?(?: account| details| information| info| "
    r"instructions| partner)?|banks|account (?:number|details)|"
    r"(?:payment|remittance|wire) (?:details|instructions|information|info|account))"
)
CHANGE_REQUEST = re.compile(
    # English: "new IBAN", "update our payment details", "change of bank details". Not
    # "update your payment details", which asks the reader to renew a card or mandate.
    rf"\b(?:new|updated?|changed?|changing|revised|amended|different|alternative)\s+"
    rf"(?:(?:our|the|of|to|in)\s+){{0,2}}{_ACCOUNT_WORDS}\b|"
    # English: "we have moved our accounts", "switched banks".
    r"\b(?:moved|moving|switched|switching|transferred)\s+(?:our\s+|its\s+)?"
    r"(?:accounts?|banks?|banking)\b|"
    # German, French, Spanish, Dutch, Nordic.
    r"\bneue[nrs]?\s+(?:bankverbindung|kontoverbindung|iban|konto(?:nummer)?|bank)\b|"
    r"\b(?:geänderte|geaenderte|aktualisierte)\s+(?:bankverbindung|kontoverbindung|iban)\b|"
    r"\bänderung\s+(?:der|unserer)\s+(?:bankverbindung|kontoverbindung)\b|"
    r"\bnouve(?:au|l|lle)s?\s+(?:rib|iban|coordonn[ée]es\s+bancaires|compte\s+bancaire)\b|"
    r"\bchangement\s+de\s+(?:banque|rib|coordonn[ée]es\s+bancaires|compte)\b|"
    r"\bnuev[oa]s?\s+(?:iban|cuenta(?:\s+bancaria)?|datos\s+bancarios)\b|"
    r"\bcambio\s+de\s+(?:cuenta|banco|datos\s+bancarios)\b|"
    r"\bnieuwe?\s+(?:iban|rekeningnummer|bankrekening|bankgegevens)\b|"
    r"\bgewijzigde\s+(?:iban|rekeningnummer|bankgegevens)\b|"
    r"\bny(?:tt|e|a)?\s+(?:iban|kontonummer|bankkonto|bankoplysninger|bankuppgifter|bankgiro)\b",
    re.IGNORECASE,
)
URGENCY = re.compile(
    r"\burgent(?:ly)?\b|\basap\b|\bas soon as possible\b|\bimmediately\b|\bwithout delay\b|"
    r"\bbefore (?:the |this week's |next |your next |today's )?payment run\b|"
    r"\b(?:old|previous|current|former) account (?:closes|will (?:be )?close|is closing|"
    r"(?:is|will be) (?:closed|no longer))|"
    r"\bdringend\b|\bumgehend\b|\burgente?s?\b|\bspoed\b|\bbrådskande\b|\bhaster\b",
    re.IGNORECASE,
)
# Two letters, two check digits, then 11 to 30 letters or digits, optionally in groups.
# The match may run into the next word, so :func:`find_ibans` tries shorter prefixes.
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")
MIN_IBAN_LENGTH = 15  # Norway's, the shortest in the ISO 13616 registry
MAX_IBAN_LENGTH = 34


@dataclass(frozen=True, slots=True)
class BankAccount:
    """An account named in a message, without its number."""

    digest: str  # short SHA-256 of the compact IBAN, the key the baselines store
    tail: str  # the last four characters, for explanations

    def describe(self) -> str:
        return f"IBAN ending {self.tail}"


@dataclass(frozen=True, slots=True)
class PaymentContent:
    """The payment cues of one message: the words matched and the accounts named."""

    details: str | None  # payment-details words, such as "IBAN"
    change: str | None  # words asking to change them, such as "new IBAN"
    urgency: str | None  # words of urgency or a deadline
    accounts: tuple[BankAccount, ...]

    @property
    def mentions_payment(self) -> bool:
        return self.details is not None or self.change is not None


def account_digest(compact_iban: str) -> str:
    """Return the short hash the baselines keep in place of an account number.

    NOTE: the hash keeps the number out of plain sight in the store, but it is no
    secret. With the bank code, the number can be recovered by hashing every account.
    """
    return hashlib.sha256(f"iban:{compact_iban}".encode()).hexdigest()[:16]


def find_ibans(text: str) -> tuple[BankAccount, ...]:
    """Return the IBANs in ``text`` whose format and check digits are valid, in order."""
    upper = text.upper()
    found: dict[str, BankAccount] = {}
    position = 0
    while (match := _IBAN_CANDIDATE.search(upper, position)) is not None:
        compact = _valid_prefix(match.group(0).replace(" ", ""))
        if compact is None:
            position = match.start() + 1
            continue
        digest = account_digest(compact)
        found.setdefault(digest, BankAccount(digest, compact[-4:]))
        # Go on after the IBAN, not after the match, which may hold the next IBAN.
        position = match.start() + _chars_spanning(match.group(0), len(compact))
    return tuple(found.values())


def _valid_prefix(compact: str) -> str | None:
    """Return the longest valid IBAN at the start of ``compact``, or None."""
    for length in range(min(len(compact), MAX_IBAN_LENGTH), MIN_IBAN_LENGTH - 1, -1):
        if iban.is_valid(compact[:length]):
            return compact[:length]
    return None


def _chars_spanning(written: str, significant: int) -> int:
    """Return how many characters of ``written`` hold its first ``significant`` non-spaces."""
    seen = 0
    for index, char in enumerate(written):
        if char != " ":
            seen += 1
            if seen == significant:
                return index + 1
    return len(written)


def read_payment_content(event: EmailMessage) -> PaymentContent:
    """Return the payment cues in the message's subject and text excerpt."""
    text = f"{event.subject or ''}\n{event.text_excerpt or ''}"
    details = PAYMENT_DETAILS.search(text)
    change = CHANGE_REQUEST.search(text)
    urgency = URGENCY.search(text)
    return PaymentContent(
        details=details.group(0) if details else None,
        change=change.group(0) if change else None,
        urgency=urgency.group(0) if urgency else None,
        accounts=find_ibans(event.text_excerpt or ""),
    )
