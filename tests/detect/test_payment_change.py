"""The payment-change request from a vendor's own mailbox, judged by its payment history.

The vendor's accounts@ mailbox sends a weekly statement for a month. Then the same
mailbox, hijacked, replies in the statement thread asking to pay into a new IBAN. No
sender sign fits (no look-alike, no Reply-To, not new to the thread), so only the
learned history of what this sender writes about payments can tell.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chainwatch.baseline.payment import payment_history
from chainwatch.baseline.payment_content import account_digest
from chainwatch.correlate.build import build_incidents
from chainwatch.events import EmailMessage

from .builders import HISTORY_END, HISTORY_START, USERS, Run, email, month_of_history, score_of

PAYMENT = "payment-change-request"
VENDOR = "accounts@harbor-logistics.example"
FINANCE = (USERS[3], USERS[4])
KNOWN_IBAN = "DE89 3704 0044 0532 0130 00"
NEW_IBAN = "GB33 BUKB 2020 1555 5555 55"
REQUEST_TIME = HISTORY_END + timedelta(hours=10)
REQUEST_TEXT = (
    "Hello, following our bank's merger we have moved our accounts, so please update our "
    f"payment details. New IBAN: {NEW_IBAN}. Kind regards, Marta"
)
URGENT_TEXT = REQUEST_TEXT + " Please update before this week's payment run."


def statements(weeks: int = 4, footer: str = "") -> list[EmailMessage]:
    """Weekly statements from the vendor's accounts@ mailbox, one a Monday."""
    return [
        replace(
            email(VENDOR, FINANCE, HISTORY_START + timedelta(weeks=week, hours=9),
                  subject=f"Weekly statement - week {14 + week}"),
            text_excerpt=f"Please find this week's statement of account attached. {footer}",
        )
        for week in range(weeks)
    ]  # fmt: skip


def request(text: str = REQUEST_TEXT, *, subject: str = "RE: Weekly statement - week 17"):
    return replace(email(VENDOR, FINANCE, REQUEST_TIME, subject=subject), text_excerpt=text)


def trained(history: list[EmailMessage]) -> Run:
    run = Run()
    run.feed([*month_of_history(), *history])
    return run


@pytest.fixture(scope="module")
def vendor_run() -> Run:
    return trained(statements())


def test_hijacked_vendor_request_scores(vendor_run: Run) -> None:
    detection = vendor_run.score(PAYMENT, request())

    assert detection is not None
    assert detection.score >= 72  # with weight 0.7, an incident of severity 50 alone


def test_request_explains_history(vendor_run: Run) -> None:
    detection = vendor_run.score(PAYMENT, request())

    assert detection is not None
    assert any(
        f"sender {VENDOR} sent 4 earlier messages over 30 days, 0 asked to change" in line
        for line in detection.explanation
    )
    assert any(
        "IBAN ending 5555 (check digits valid) never seen from this sender" in line
        for line in detection.explanation
    )


def test_request_names_no_account_number(vendor_run: Run) -> None:
    detection = vendor_run.score(PAYMENT, request())

    assert detection is not None
    assert "55555555" not in " ".join(detection.explanation)


def test_urgency_adds(vendor_run: Run) -> None:
    calm = vendor_run.score(PAYMENT, request())
    urgent = vendor_run.score(PAYMENT, request(URGENT_TEXT))

    assert calm is not None and urgent is not None
    assert urgent.score > calm.score
    assert any("urgency or deadline" in line for line in urgent.explanation)


def test_request_raises_incident(vendor_run: Run) -> None:
    message = request()
    detection = vendor_run.score(PAYMENT, message)
    assert detection is not None

    incidents = build_incidents([detection], vendor_run.book, ("example.com",))

    assert incidents[0].severity >= 50
    assert incidents[0].origin is not None
    assert incidents[0].origin.message_id == message.message_id
    assert incidents[0].origin.sender == VENDOR


def test_attacker_account_not_learned() -> None:
    run = trained(statements())
    found = run.feed([request()])
    history = payment_history(run.book, VENDOR, REQUEST_TIME + timedelta(hours=1))

    assert [d.model for d in found] == [PAYMENT]
    assert not history.has_seen(account_digest("GB33BUKB20201555555555"))
    assert history.change_requests == 0


def test_known_account_footer_quiet() -> None:
    run = trained(statements(footer=f"Our bank details: IBAN {KNOWN_IBAN}."))
    message = request(f"Statement attached. Our bank details: IBAN {KNOWN_IBAN}.")

    assert run.score(PAYMENT, message) is None


def test_other_account_in_footer_scores() -> None:
    # The sender named one account in every statement; this one names another, unasked.
    run = trained(statements(footer=f"Our bank details: IBAN {KNOWN_IBAN}."))
    detection = run.score(
        PAYMENT, request(f"Statement attached. Our bank details: IBAN {NEW_IBAN}.")
    )

    assert detection is not None
    assert any("the sender named 1 other account in 4" in line for line in detection.explanation)


def test_account_known_from_domain() -> None:
    # billing@ of the same vendor named the IBAN before, so only the request itself counts.
    billing = [
        replace(message, sender="billing@harbor-logistics.example", event_id=message.event_id + "b")
        for message in statements(footer=f"IBAN {NEW_IBAN}")
    ]
    run = trained([*statements(), *billing])
    detection = run.score(PAYMENT, request())

    assert detection is not None
    assert not any("never seen" in line for line in detection.explanation)
    assert detection.score < 72


def test_habitual_change_wording_lower(vendor_run: Run) -> None:
    wording = f"Please note our updated payment instructions: IBAN {KNOWN_IBAN}."
    run = trained(statements(footer=wording))
    habitual = run.score(PAYMENT, request(wording))
    first = vendor_run.score(PAYMENT, request(wording))

    assert first is not None
    assert score_of(habitual) < first.score


def test_single_earlier_message_no_sign() -> None:
    run = trained(statements(weeks=1))
    assert run.score(PAYMENT, request()) is None


def test_two_earlier_messages_enough() -> None:
    run = trained(statements(weeks=2))
    detection = run.score(PAYMENT, request())

    assert detection is not None
    assert any("sent 2 earlier messages over 30 days" in line for line in detection.explanation)


def test_recent_correspondent_no_sign() -> None:
    # Two messages, but the first only three days before the request.
    recent = [
        replace(message, time=REQUEST_TIME - timedelta(days=3 - day))
        for day, message in enumerate(statements(weeks=2))
    ]
    assert trained(recent).score(PAYMENT, request()) is None


def test_invalid_check_digits_not_an_account(vendor_run: Run) -> None:
    text = REQUEST_TEXT.replace(NEW_IBAN, "GB33 BUKB 2020 1555 5555 56")
    detection = vendor_run.score(PAYMENT, request(text))

    assert detection is not None
    assert not any("never seen" in line for line in detection.explanation)


def test_routine_statement_quiet(vendor_run: Run) -> None:
    message = request("Please find this week's statement attached.", subject="Weekly statement")
    assert vendor_run.score(PAYMENT, message) is None
