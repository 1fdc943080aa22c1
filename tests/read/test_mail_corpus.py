"""Email readers over public phishing and ham samples: no exceptions, sensible values.

Every file must be claimed by a mail reader and read without an exception. A
``Rejected`` item is allowed only with a reason. Counts are printed for ``pytest -s``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chainwatch.events import EmailMessage
from chainwatch.read.base import Reader
from chainwatch.read.mail import EmlReader, MaildirMessageReader, MboxReader

from .conftest import corpus_file, corpus_files, events_of, read_all, rejected_of, sniffs

# The dispatcher's order for the mail readers.
MAIL_READERS: list[Reader] = [MboxReader(), MaildirMessageReader(), EmlReader()]


def _reader_for(path: Path) -> Reader | None:
    return next((reader for reader in MAIL_READERS if sniffs(reader, path)), None)


def _only_message(relative: str) -> EmailMessage:
    path = corpus_file(relative)
    reader = _reader_for(path)
    assert reader is not None, f"{path}: no mail reader claims it"
    [message] = events_of(read_all(reader, path))
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize(
    ("folder", "pattern"),
    [
        ("phishing_pot/email", "*.eml"),
        ("spamassassin-public-corpus/hard-ham-1", "*.txt"),
        ("spamassassin-public-corpus/easy-ham-1", "*.txt"),
        ("spamassassin-public-corpus/easy-ham-2", "*.txt"),
    ],
)
def test_corpus_reads_without_exception(folder: str, pattern: str) -> None:
    files = corpus_files(folder, pattern)
    counts: Counter[str] = Counter()
    problems: list[str] = []

    for path in files:
        reader = _reader_for(path)
        if reader is None:
            problems.append(f"{path.name}: no mail reader claims it")
            continue
        counts[f"read as {reader.name}"] += 1
        items = read_all(reader, path)
        events = events_of(items)
        rejected = rejected_of(items)
        counts["events"] += len(events)
        counts["rejected"] += len(rejected)
        counts["forwarded"] += sum(1 for e in events if e.nested_depth > 0)
        counts["links"] += sum(len(e.links) for e in events)
        problems.extend(r.describe() for r in rejected if not r.reason)
        if not events:
            problems.append(f"{path.name}: no message read")
        for event in events:
            if event.time.tzinfo is None or event.time.utcoffset() != UTC.utcoffset(None):
                problems.append(f"{path.name}: time {event.time!r} is not aware UTC")

    print(f"\n{folder}: {len(files)} files, {dict(counts)}")
    assert files, f"no {pattern} files in {folder}"
    assert problems == []


def test_spamassassin_envelope_line_read_as_one_message() -> None:
    path = corpus_file(
        "spamassassin-public-corpus/easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt"
    )

    items = read_all(MboxReader(), path)

    assert sniffs(MboxReader(), path)
    assert len(events_of(items)) == 1
    assert rejected_of(items) == []


def test_spamassassin_spot_check_values() -> None:
    message = _only_message(
        "spamassassin-public-corpus/easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt"
    )

    assert message.sender == "kre@munnari.oz.au"
    assert message.sender_name == "Robert Elz"
    assert message.subject == "Re: New Sequences Window"
    assert message.recipients == (
        "cwg-dated-1030377287.06fa6d@deepeddy.com",
        "exmh-workers@spamassassin.taint.org",
    )
    assert message.message_id == "13258.1030015585@munnari.oz.au"
    assert message.time == datetime(2002, 8, 22, 11, 26, 25, tzinfo=UTC)
    assert message.date_source == "date"


def test_spamassassin_bounce_forwards_original() -> None:
    path = corpus_file(
        "spamassassin-public-corpus/easy-ham-1/01542.ed72bf2cd81ccd4c076533fb0af004e5.txt"
    )
    reader = _reader_for(path)
    assert reader is not None

    events = events_of(read_all(reader, path))

    assert [e.nested_depth for e in events] == [0, 1]
    assert events[0].attachments == ("forwarded-1.eml",)
    assert events[1].attachments == ("smime.p7s",)


def test_phishing_malformed_from_still_gives_address() -> None:
    # "From: Name   ,_<addr>" breaks RFC 5322 but every mail client shows the address.
    message = _only_message("phishing_pot/email/sample-1863.eml")

    assert message.sender == "jx6mt@116j0g0lia.com"
    assert message.sender_name == "Macys - Black Friday! - Todays Winner!"


def test_phishing_numeric_date_falls_back_to_received() -> None:
    message = _only_message("phishing_pot/email/sample-1863.eml")

    assert message.date_source == "received"
    assert "invalid-date" in message.defects


def test_phishing_unknown_transfer_encoding_recorded() -> None:
    files = corpus_files("phishing_pot/email", "*.eml")
    defects: Counter[str] = Counter()

    for path in files:
        for event in events_of(read_all(EmlReader(), path)):
            defects.update(d for d in event.defects if d.startswith("transfer-encoding:"))

    assert defects["transfer-encoding:8bit+"] >= 1
    assert defects["transfer-encoding:hexa"] >= 1
