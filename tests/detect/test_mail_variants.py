"""Delivery models for link-free and attachment lures: look-alike senders, payment
changes and attached web pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chainwatch.detect.lookalike_sender import fold

from .builders import (
    HISTORY_END,
    HISTORY_START,
    USERS,
    Run,
    email,
    link,
    mail_sent,
    month_of_history,
)

LOOKALIKE = "lookalike-sender-domain"
PAYMENT = "payment-change-request"
HTML = "html-attachment-lure"
VENDOR = "billing@harbor-logistics.example"
MORNING = HISTORY_END + timedelta(hours=9)
BANK_TEXT = "Please note our updated payment instructions: new IBAN GB33 BUKB 2020 1555 5555 55."


def vendor_thread() -> list:
    return [
        email(VENDOR, (USERS[3],), HISTORY_START + timedelta(days=5 * week + 1, hours=10),
              subject=f"Invoice {4400 + week}")
        for week in range(5)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def run() -> Run:
    trained = Run()
    trained.feed([*month_of_history(), *vendor_thread()])
    return trained


def test_fold_cyrillic_and_digits() -> None:
    assert fold("xn--hrbor-logistics-ulm.example") == fold("harbor-logistics.example")
    assert fold("harb0r-logistics.example") == "harbor-logistics.example"


def test_lookalike_of_vendor(run: Run) -> None:
    message = email("billing@harbour-logistics.example", (USERS[3],), MORNING)
    detection = run.score(LOOKALIKE, message)

    assert detection is not None
    assert detection.score >= 70
    assert "imitates vendor domain harbor-logistics.example" in detection.explanation[0]
    assert "edit distance 1" in detection.explanation[0]


def test_lookalike_of_organisation(run: Run) -> None:
    message = email("it@examp1e.com", (USERS[3],), MORNING)
    detection = run.score(LOOKALIKE, message)

    assert detection is not None
    assert "organisation domain example.com" in detection.explanation[0]


def test_known_vendor_not_lookalike(run: Run) -> None:
    assert run.score(LOOKALIKE, email(VENDOR, (USERS[3],), MORNING)) is None


def test_unrelated_new_domain_not_lookalike(run: Run) -> None:
    assert run.score(LOOKALIKE, email("hi@brand-new-shop.example", (USERS[3],), MORNING)) is None


def test_payment_change_reply_to_mismatch(run: Run) -> None:
    message = replace(
        email(VENDOR, (USERS[3],), MORNING, subject="Invoice 4471"),
        text_excerpt=BANK_TEXT,
        reply_to=("accounts@harbor-payments.example",),
    )
    detection = run.score(PAYMENT, message)

    assert detection is not None
    assert detection.score >= 55
    assert any(
        "Reply-To accounts@harbor-payments.example" in line for line in detection.explanation
    )


def test_payment_change_new_in_thread(run: Run) -> None:
    sender = "accounts@harbor-logistics.example"
    message = replace(
        email(sender, (USERS[3],), MORNING, subject="RE: Invoice 4404"), text_excerpt=BANK_TEXT
    )
    detection = run.score(PAYMENT, message)

    assert detection is not None
    assert any("reply in a thread of 1 earlier senders" in line for line in detection.explanation)


def test_payment_details_known_sender_quiet(run: Run) -> None:
    # The established vendor names its bank details without asking to change them.
    message = replace(
        email(VENDOR, (USERS[3],), MORNING, subject="Invoice 4471"),
        text_excerpt="Our bank details are unchanged since the last invoice.",
    )
    assert run.score(PAYMENT, message) is None


def test_payment_words_needed(run: Run) -> None:
    message = replace(
        email("new@harbour-logistics.example", (USERS[3],), MORNING, subject="Hello"),
        text_excerpt="Attached is the delivery schedule for next week.",
    )
    assert run.score(PAYMENT, message) is None


def test_html_attachment_with_form(run: Run) -> None:
    message = replace(
        email("scan@new-sender.example", (USERS[3],), MORNING, subject="Remittance",
              links=(link("https://collect.example.net/p", "form in Remittance.html"),)),
        attachments=("Remittance.html",),
        attachment_types=("text/html",),
    )  # fmt: skip
    detection = run.score(HTML, message)

    assert detection is not None
    assert detection.score >= 55
    assert ("link-host", "collect.example.net") in detection.entities


def test_svg_attachment_brand_words(run: Run) -> None:
    message = replace(
        email("scan@new-sender.example", (USERS[3],), MORNING, subject="Voicemail"),
        attachments=("Microsoft365_Voicemail_login.svg",),
        attachment_types=("image/svg+xml",),
    )
    detection = run.score(HTML, message)

    assert detection is not None
    assert any("names" in line for line in detection.explanation)


def test_plain_html_attachment_quiet(run: Run) -> None:
    message = replace(
        email("bookings@hotel.example", (USERS[3],), MORNING, subject="Your booking"),
        attachments=("confirmation.html",),
        attachment_types=("text/html",),
    )
    assert run.score(HTML, message) is None


def test_payment_reply_by_thread_recipient_quiet() -> None:
    # Finance sends a remittance advice; the vendor's accounts mailbox, a recipient of the
    # thread, replies naming its usual IBAN. The message trace alone shows the send.
    trained = Run()
    accounts = "accounts@harbor-logistics.example"
    advice = mail_sent(USERS[3], (accounts,), MORNING, subject="Remittance advice - May")
    trained.feed([*month_of_history(), *vendor_thread(), advice])
    reply = replace(
        email(
            accounts, (USERS[3],), MORNING + timedelta(hours=20), subject="RE: " + advice.subject
        ),
        text_excerpt="Payment is due into our usual account, IBAN GB33 BUKB 2020 1555 5555 55.",
    )

    assert trained.score(PAYMENT, reply) is None


def test_payment_reply_new_to_broadcast_thread_not_counted() -> None:
    # A thread sent to more addresses than are kept cannot tell a newcomer from a recipient.
    trained = Run()
    many = tuple(f"contact{i}@vendor{i}.example" for i in range(60))
    advice = mail_sent(USERS[3], many, MORNING, subject="Remittance advice - May")
    trained.feed([*month_of_history(), advice])
    reply = replace(
        email("accounts@harbor-logistics.example", (USERS[3],), MORNING + timedelta(hours=20),
              subject="RE: " + advice.subject),
        text_excerpt=BANK_TEXT,
    )  # fmt: skip
    detection = trained.score(PAYMENT, reply)

    reasons = " ".join(detection.explanation) if detection else ""
    assert "reply in a thread" not in reasons
