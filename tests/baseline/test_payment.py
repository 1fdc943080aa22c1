"""Payment cues in message text and the payment history learned per sender and domain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.payment import (
    DOMAIN_NAMESPACE,
    SENDER_NAMESPACE,
    learn_payment_history,
    payment_history,
)
from chainwatch.baseline.payment_content import (
    CHANGE_REQUEST,
    URGENCY,
    account_digest,
    find_ibans,
    read_payment_content,
)
from chainwatch.events import Direction

from ..detect.builders import email

GB_IBAN = "GB33 BUKB 2020 1555 5555 55"  # the ISO 13616 example, check digits valid
DE_IBAN = "DE89 3704 0044 0532 0130 00"
NO_IBAN = "NO93 8601 1117 947"  # Norway's 15 characters, the shortest IBAN
VENDOR = "accounts@harbor-logistics.example"
START = datetime(2024, 4, 1, 9, tzinfo=UTC)


def inbound(text: str, *, sender: str = VENDOR, day: int = 0, subject: str = "Statement"):
    message = email(sender, ("user01@example.com",), START + timedelta(days=day), subject=subject)
    return replace(message, text_excerpt=text, direction=Direction.INBOUND)


# IBANs in text.


def test_iban_spaced_groups() -> None:
    accounts = find_ibans(f"New IBAN: {GB_IBAN}. Our sort code is unchanged.")
    assert [a.tail for a in accounts] == ["5555"]


def test_iban_compact_and_lowercase() -> None:
    assert len(find_ibans("IBAN GB33BUKB20201555555555")) == 1
    assert len(find_ibans(f"iban: {DE_IBAN.lower()}")) == 1


def test_iban_shortest_country() -> None:
    assert [a.tail for a in find_ibans(f"Konto {NO_IBAN} takk")] == ["7947"]


def test_iban_wrong_check_digits_ignored() -> None:
    assert find_ibans("IBAN GB33 BUKB 2020 1555 5555 56") == ()


def test_iban_two_adjacent() -> None:
    accounts = find_ibans(f"EUR {DE_IBAN} GBP {GB_IBAN}")
    assert [a.tail for a in accounts] == ["3000", "5555"]


def test_iban_runs_into_next_word() -> None:
    accounts = find_ibans(f"{GB_IBAN} OK THANKS")
    assert [a.digest for a in accounts] == [account_digest("GB33BUKB20201555555555")]


def test_iban_not_order_numbers() -> None:
    assert find_ibans("Order PO12 3456 7890 1234 5678, invoice INV2024 0001 2345 6789") == ()


def test_iban_same_account_once() -> None:
    assert len(find_ibans(f"{GB_IBAN} and again GB33BUKB20201555555555")) == 1


# Change requests and urgency.


@pytest.mark.parametrize(
    "text",
    [
        "Please update our payment details before the next run.",
        "New IBAN: GB33 BUKB 2020 1555 5555 55.",
        "We have moved our accounts to another bank.",
        "Note the change of bank details below.",
        "Please use our updated payment instructions.",
        "Bitte beachten Sie unsere neue Bankverbindung.",
        "Veuillez noter notre nouveau RIB.",
        "Les informations: changement de coordonnées bancaires.",
        "Por favor use nuestra nueva cuenta bancaria.",
        "Ons nieuwe rekeningnummer staat hieronder.",
        "Vårt nya bankgiro är 5050-1055.",
    ],
)
def test_change_request_found(text: str) -> None:
    assert CHANGE_REQUEST.search(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Our bank details: IBAN GB33 BUKB 2020 1555 5555 55.",
        "Our bank details are unchanged.",
        "Meet Sam, your new account manager.",
        "Please update the delivery schedule.",
        "Your card expired: please update your payment details.",
        "Bankverbindung: DE89 3704 0044 0532 0130 00",
    ],
)
def test_change_request_not_found(text: str) -> None:
    assert CHANGE_REQUEST.search(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Please update before this week's payment run.",
        "The old account closes on Friday.",
        "This is urgent.",
        "Bitte dringend ändern.",
    ],
)
def test_urgency_found(text: str) -> None:
    assert URGENCY.search(text) is not None


def test_urgency_not_in_routine_text() -> None:
    assert URGENCY.search("Please find this week's statement. Kind regards, Marta") is None


def test_content_of_request() -> None:
    content = read_payment_content(
        inbound(f"Please update our payment details. New IBAN: {GB_IBAN}. Old account closes.")
    )
    assert content.change == "update our payment details"
    assert content.details is not None
    assert [a.tail for a in content.accounts] == ["5555"]


def test_content_subject_counts() -> None:
    content = read_payment_content(inbound("See below.", subject="New bank details"))
    assert content.change == "New bank details"


# Learned history.


def test_history_counts_messages_and_requests() -> None:
    book = BaselineBook()
    learn_payment_history(book, inbound("Weekly statement attached.", day=0))
    learn_payment_history(book, inbound(f"Our bank details: IBAN {GB_IBAN}", day=7))
    learn_payment_history(book, inbound(f"Please note our new IBAN {DE_IBAN}", day=14))
    history = payment_history(book, VENDOR, START + timedelta(days=20))

    assert history.messages == 3
    assert history.days == 3
    assert history.span_days == pytest.approx(20.0)
    assert history.change_requests == 1
    assert history.accounts == {
        account_digest("GB33BUKB20201555555555"),
        account_digest("DE89370400440532013000"),
    }


def test_history_domain_shared_by_senders() -> None:
    book = BaselineBook()
    learn_payment_history(
        book, inbound(f"IBAN {GB_IBAN}", sender="billing@harbor-logistics.example")
    )
    history = payment_history(book, VENDOR, START + timedelta(days=1))

    assert history.messages == 0
    assert history.domain_messages == 1
    assert history.has_seen(account_digest("GB33BUKB20201555555555"))


def test_history_stores_no_account_number() -> None:
    book = BaselineBook()
    learn_payment_history(book, inbound(f"IBAN {GB_IBAN}"))
    stored = orjson.dumps([state for _, state in book.all_items()]).decode()
    assert "55555555" not in stored
    assert "BUKB" not in stored


def test_history_skips_outbound() -> None:
    book = BaselineBook()
    learn_payment_history(book, replace(inbound("New IBAN"), direction=Direction.OUTBOUND))
    assert book.get(SENDER_NAMESPACE, VENDOR) is None


def test_history_skips_forwarded_copy() -> None:
    book = BaselineBook()
    learn_payment_history(book, replace(inbound("New IBAN"), nested_depth=1))
    assert book.get(DOMAIN_NAMESPACE, "harbor-logistics.example") is None


def test_history_of_unknown_sender_empty() -> None:
    history = payment_history(BaselineBook(), VENDOR, START)
    assert history.messages == 0
    assert history.accounts == frozenset()
