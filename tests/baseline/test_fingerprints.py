"""Lure fingerprints: copies of a lure are recognised when the URL changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.fingerprints import match_lure, minhash, remember_lure, similarity
from chainwatch.events import EmailMessage, Link, Origin

T0 = datetime(2026, 10, 16, 10, 0, tzinfo=UTC)
LURE_TEXT = (
    "Good morning, please find the remittance advice for the third quarter. View the "
    "document in Microsoft OneDrive with the link below before Friday. Kind regards, "
    "accounts team"
)


def lure() -> EmailMessage:
    return EmailMessage(
        "mail:lure", T0, "mbox", Origin("journal.mbox", "message 1"),
        message_id="lure", sender="accounts@harbor-logistics.example",
        recipients=("dana@example.com",), subject="Remittance advice - Q3",
        links=(Link("https://create.piktochart.example/output/1", "create.piktochart.example"),),
        text_excerpt=LURE_TEXT,
    )  # fmt: skip


def book_with_lure() -> BaselineBook:
    book = BaselineBook()
    remember_lure(book, "det-1", lure())
    return book


def test_signature_is_stable_and_similar_for_edits():
    edited = LURE_TEXT.replace("third quarter", "third quarter of 2026")
    assert minhash(LURE_TEXT) == minhash(LURE_TEXT)
    assert similarity(minhash(LURE_TEXT), minhash(edited)) >= 0.6
    assert similarity(minhash(LURE_TEXT), minhash("lunch on friday at the usual place ok")) < 0.2


def test_copy_with_new_url_matches():
    match = match_lure(
        book_with_lure(), T0 + timedelta(days=5), "FW: Remittance advice - Q3",
        {"create.piktochart.example"}, LURE_TEXT,
    )  # fmt: skip
    assert match is not None
    assert match.detection_id == "det-1"
    assert match.similarity == 1.0
    assert "same subject" in match.describe()


def test_trace_row_matches_on_subject_alone():
    match = match_lure(
        book_with_lure(), T0 + timedelta(days=5), "Remittance advice - Q3", set(), None
    )
    assert match is not None
    assert match.similarity == 0.0


def test_unrelated_mail_does_not_match():
    book = book_with_lure()
    later = T0 + timedelta(days=5)
    assert match_lure(book, later, "Team lunch", {"teams.example.net"}, "see you at noon") is None
    # The same subject with different text and no shared host is not a copy.
    other = (
        "Attached is our statement for the quarter, no action needed, thanks again for the order"
    )
    assert match_lure(book, later, "Remittance advice - Q3", {"portal.example"}, other) is None


def test_lure_forgotten_after_window_and_not_before_it():
    book = book_with_lure()
    assert match_lure(book, T0 + timedelta(days=31), "Remittance advice - Q3", set(), None) is None
    assert match_lure(book, T0 - timedelta(hours=1), "Remittance advice - Q3", set(), None) is None
