"""Link models: hijacked vendor mailboxes and Microsoft sign-in impersonation.

The messages under test are written as .eml files and read by the real mail reader, so
link extraction, anchor text and tracking-redirect unwrapping are part of the test.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from chainwatch.events import EmailMessage
from chainwatch.read import read_file, registered_readers

from .builders import (
    HISTORY_END,
    HISTORY_START,
    USERS,
    Run,
    by_model,
    email,
    link,
    month_of_history,
)

HIJACK = "account-hijack-link"
IMPERSONATION = "login-impersonation-link"
VENDOR = "billing@acme-supplies.example"
NEWSLETTER = "news@acme-supplies.example"
MORNING = HISTORY_END + timedelta(hours=9)


def vendor_history() -> list[EmailMessage]:
    """Four invoices over three weeks, each linking only to the vendor's own portal."""
    return [
        email(
            VENDOR,
            (USERS[2],),
            HISTORY_START + timedelta(days=7 * week + 2, hours=10),
            links=(link(f"https://portal.acme-supplies.example/invoice/{week}"),),
            subject=f"Invoice {week}",
        )
        for week in range(4)
    ]


def newsletter_history() -> list[EmailMessage]:
    return [
        email(
            NEWSLETTER,
            USERS,
            HISTORY_START + timedelta(days=7 * week, hours=7),
            links=(link(f"https://www.acme-supplies.example/news/{week}", "read more"),),
            subject=f"News {week}",
            is_bulk=True,
        )
        for week in range(4)
    ]


@pytest.fixture(scope="module")
def trained_book() -> Run:
    run = Run()
    run.feed([*month_of_history(), *vendor_history(), *newsletter_history()])
    return run


@pytest.fixture
def run(trained_book: Run) -> Run:
    # Scoring never changes the book, so tests share one trained run and only score.
    return trained_book


def write_eml(
    folder: Path,
    sender: str,
    html: str,
    *,
    time: datetime = MORNING,
    subject: str = "Document",
    bulk: bool = False,
) -> EmailMessage:
    """Write one HTML message as an .eml file and read it back with the real reader."""
    headers = [
        f"From: {sender}",
        f"To: {USERS[2]}",
        f"Subject: {subject}",
        f"Date: {format_datetime(time)}",
        f"Message-ID: <{hashlib.sha256(html.encode()).hexdigest()[:12]}@{sender.split('@')[1]}>",
        "Authentication-Results: mx.example.com; spf=pass; dkim=pass; dmarc=pass",
    ]
    if bulk:
        headers += ["Precedence: bulk", "List-Unsubscribe: <mailto:unsub@acme-supplies.example>"]
    headers += ["MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8"]
    path = folder / "message.eml"
    path.write_text("\r\n".join(headers) + "\r\n\r\n<html><body>" + html + "</body></html>\r\n")
    reader, items = read_file(path, registered_readers())
    [message] = [item for item in items if isinstance(item, EmailMessage)]
    assert reader == "eml"
    return message


def test_vendor_history_is_established(run: Run) -> None:
    state = run.book.get("sender", VENDOR)

    assert state["messages"] == 4
    assert state["days"] == 4
    assert list(state["link_domains"]) == ["acme-supplies.example"]


def test_known_vendor_new_host(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path,
        VENDOR,
        '<a href="https://files-portal.example/d/8841">Remittance advice</a>',
    )
    detection = run.score(HIJACK, message)

    assert detection is not None
    assert detection.score >= 70
    assert ("link-host", "files-portal.example") in detection.entities


def test_hijack_explanation_counts(run: Run, tmp_path: Path) -> None:
    message = write_eml(tmp_path, VENDOR, '<a href="https://files-portal.example/d/1">x</a>')
    text = " ".join(run.score(HIJACK, message).explanation)

    assert "4 messages on 4 days" in text
    assert "link domain files-portal.example: 0 of 4 earlier messages" in text


def test_known_vendor_own_domain(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path, VENDOR, '<a href="https://www.acme-supplies.example/terms">terms</a>'
    )
    assert run.score(HIJACK, message) is None


def test_newsletter_tracking_link_unwraps(run: Run, tmp_path: Path) -> None:
    tracked = (
        "https://click.mailer.example.net/c/eJx1?u="
        "https%3A%2F%2Fwww.acme-supplies.example%2Fnews%2Fjune"
    )
    message = write_eml(
        tmp_path, NEWSLETTER, f'<a href="{tracked}">read more</a>', subject="June", bulk=True
    )

    assert message.is_bulk
    assert [item.host for item in message.links] == ["www.acme-supplies.example"]
    assert run.score(HIJACK, message) is None


def test_unknown_sender_not_hijack(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path, "hello@new-startup.example", '<a href="https://files-portal.example/d/2">x</a>'
    )
    assert run.score(HIJACK, message) is None


def test_young_sender_not_hijack(tmp_path: Path) -> None:
    # Four messages, but all in the last four days: not yet an established relationship.
    run = Run()
    recent = [
        email(VENDOR, (USERS[2],), MORNING - timedelta(days=4 - day),
              links=(link("https://portal.acme-supplies.example/i"),))
        for day in range(4)
    ]  # fmt: skip
    run.feed([*month_of_history(), *recent])
    message = write_eml(tmp_path, VENDOR, '<a href="https://files-portal.example/d/3">x</a>')

    assert run.score(HIJACK, message) is None


def test_impersonating_anchor_text(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path,
        "hello@new-startup.example",
        '<a href="https://share-files.example/view?id=77">Open in Microsoft OneDrive</a>',
    )
    detection = run.score(IMPERSONATION, message)

    assert detection is not None
    assert ("link-host", "share-files.example") in detection.entities
    assert "names Microsoft" in detection.explanation[0]


def test_real_microsoft_login_link(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path,
        "it-support@example.com",
        '<a href="https://login.microsoftonline.com/common/oauth2/v2.0/authorize">'
        "Sign in to Microsoft 365</a>",
    )
    assert run.score(IMPERSONATION, message) is None


def test_lookalike_host_flagged(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path,
        "hello@new-startup.example",
        '<a href="https://rnicrosoft-login.example/owa/">Read message</a>',
    )
    detection = run.score(IMPERSONATION, message)

    assert detection is not None
    assert any("imitates 'microsoft'" in line for line in detection.explanation)


def test_plain_link_not_impersonation(run: Run, tmp_path: Path) -> None:
    message = write_eml(
        tmp_path, "hello@new-startup.example", '<a href="https://new-startup.example/">home</a>'
    )
    assert run.score(IMPERSONATION, message) is None


def test_hijack_flags_host_for_spread() -> None:
    """After a hijack link is detected, an internal account resending it is tied to it."""
    run = Run()
    run.feed([*month_of_history(), *vendor_history()])
    lure = link("https://files-portal.example/d/9", "Remittance advice")
    found = run.feed([email(VENDOR, (USERS[2],), MORNING, links=(lure,))])

    assert by_model(found, HIJACK)
    assert run.book.get("flagged-host", "files-portal.example")["model"] == HIJACK
