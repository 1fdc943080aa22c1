"""Email readers against the mail-parsing field cases and their documented handling."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32

from chainwatch.events import EmailMessage
from chainwatch.read.mail import EmlReader, MaildirMessageReader, MboxReader
from chainwatch.read.mail_charset import decode_bytes, decode_encoded_words
from chainwatch.read.mail_mbox import iter_mbox

from .conftest import events_of, field_case, read_all, rejected_of, sniffs


def _messages(reader, name: str) -> list[EmailMessage]:
    items = read_all(reader, field_case(name))
    assert rejected_of(items) == []
    events = events_of(items)
    assert all(isinstance(event, EmailMessage) for event in events)
    return events  # type: ignore[return-value]


def test_fc26_glued_encoded_word_subject() -> None:
    [message] = _messages(EmlReader(), "FC-26.eml")

    assert message.subject == "[EXTERNAL]Überweisung heute bestätigen"
    assert message.defects == ()


def test_fc26_empty_encoded_word() -> None:
    raw = field_case("FC-26.eml").read_bytes()
    thread_topic = message_from_bytes(raw, policy=compat32)["Thread-Topic"]

    assert decode_encoded_words(thread_topic) == "Re: "


def test_fc26_ids_and_addresses() -> None:
    [message] = _messages(EmlReader(), "FC-26.eml")

    assert message.event_id == "mail:fc26-0001@vendor.example.org"
    assert message.message_id == "fc26-0001@vendor.example.org"
    assert message.sender == "ap@vendor.example.org"
    assert message.sender_name == "Accounts"
    assert message.recipients == ("dana@example.com",)
    assert message.time == datetime(2024, 5, 14, 9, 5, tzinfo=UTC)
    assert message.auth.available is False


def test_fc28_invalid_date_uses_received() -> None:
    [message] = _messages(EmlReader(), "FC-28.eml")

    assert message.time == datetime(2024, 5, 14, 9, 7, 41, tzinfo=UTC)
    assert message.date_source == "received"
    assert "invalid-date" in message.defects
    assert message.message_id == "fc28-0001@vendor.example.org"


def test_fc28_sending_ip_is_first_external_hop() -> None:
    [message] = _messages(EmlReader(), "FC-28.eml")

    # The bottom-most Received names the client's HELO literal 192.0.2.61 and the
    # address the server saw, 198.51.100.61, in parentheses; the latter is trusted.
    assert message.sending_ip == "198.51.100.61"


def test_fc28_missing_date_takes_same_path(tmp_path) -> None:
    raw = (
        field_case("FC-28.eml").read_bytes().replace(b"Date: 2024/05/14 Tue 11:07:30 CEST\r\n", b"")
    )
    path = tmp_path / "no-date.eml"
    path.write_bytes(raw)

    [message] = events_of(read_all(EmlReader(), path))

    assert message.time == datetime(2024, 5, 14, 9, 7, 41, tzinfo=UTC)
    assert message.date_source == "received"
    assert "missing-date" in message.defects


def test_fc29_korean_charset_headers() -> None:
    [message] = _messages(EmlReader(), "FC-29.eml")

    assert message.sender_name == "김 회계"
    assert message.subject == "송금 요청"


def test_fc29_cp949_only_syllable_in_body() -> None:
    parsed = message_from_bytes(field_case("FC-29.eml").read_bytes(), policy=compat32)
    plain = parsed.get_payload()[0]

    text, defect = decode_bytes(plain.get_payload(decode=True), plain.get_content_charset())

    assert text == "똠방각하 송금 요청"
    assert defect is None


def test_fc29_misspelled_charset_link_and_defect() -> None:
    [message] = _messages(EmlReader(), "FC-29.eml")

    assert [link.url for link in message.links] == ["https://pay.example.net/r"]
    assert [link.host for link in message.links] == ["pay.example.net"]
    assert "charset:uft-8" in message.defects


def test_fc30_two_messages() -> None:
    messages = _messages(MboxReader(), "FC-30.mbox")

    assert [m.message_id for m in messages] == [
        "fc30-0001@vendor.example.org",
        "fc30-0002@vendor.example.org",
    ]
    assert [m.origin.position for m in messages] == ["message 1", "message 2"]


def test_fc30_second_message_link() -> None:
    second = _messages(MboxReader(), "FC-30.mbox")[1]

    assert [link.url for link in second.links] == ["https://pay.example.net/new"]
    assert second.subject == "New bank details"


def test_fc30_body_from_lines_kept_and_unescaped() -> None:
    with field_case("FC-30.mbox").open("rb") as handle:
        first = next(iter_mbox(handle))

    assert b"\nFrom the attached statement you can see two open items.\n" in first.data
    assert b"\nFrom our side nothing else is outstanding.\n" in first.data
    assert b">From" not in first.data


def test_fc30_sniffed_as_mbox_only() -> None:
    path = field_case("FC-30.mbox")

    assert sniffs(MboxReader(), path)
    assert not sniffs(MaildirMessageReader(), path)


def test_fc32_outer_message_keeps_only_its_own_content() -> None:
    outer, _ = _messages(EmlReader(), "FC-32.eml")

    assert outer.sender == "dana@example.com"
    assert outer.nested_depth == 0
    assert outer.links == ()
    assert outer.attachments == ("forwarded-1.eml",)


def test_fc32_inner_message_is_its_own_event() -> None:
    _, inner = _messages(EmlReader(), "FC-32.eml")

    assert inner.event_id == "mail:fc32-inner@vendor.example.org"
    assert inner.sender == "ap@vendor.example.org"
    assert inner.time == datetime(2024, 5, 14, 8, 55, tzinfo=UTC)
    assert inner.nested_depth == 1
    assert [link.host for link in inner.links] == ["pay.example.net"]
    assert inner.attachments == ("remittance.pdf",)
    assert inner.origin.position == "forwarded-1.eml"


def test_fc34_graph_json_not_claimed() -> None:
    path = field_case("FC-34.json")

    assert not sniffs(EmlReader(), path)
    assert not sniffs(MboxReader(), path)
    assert not sniffs(MaildirMessageReader(), path)


def test_fc36_newsletter_is_bulk() -> None:
    [message] = _messages(EmlReader(), "FC-36.eml")

    assert message.is_bulk is True


def test_fc36_tracking_redirect_resolved() -> None:
    [message] = _messages(EmlReader(), "FC-36.eml")

    assert message.links[0].url == "https://www.vendor.example.org/may"
    assert message.links[0].host == "www.vendor.example.org"
    # The unsubscribe link carries a token, not a URL, so it stays on the tracker.
    assert message.links[1].host == "click.mailer.example.net"
    assert len(message.links) == 2
