"""Account aliases, links reported apart from their message, and coverage gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.coverage import coverage_gaps, observe
from chainwatch.directory import Directory
from chainwatch.enrich.link_join import HOLD, LinkJoiner
from chainwatch.events import (
    DirectoryEntry,
    EmailMessage,
    FileAccess,
    Link,
    MailboxRuleChange,
    MailSent,
    MessageLinks,
    Origin,
    SignIn,
)

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # a Monday
ORIGIN = Origin("test", "")
ORG = frozenset({"example.com"})
DANA_ID = "3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e"


def dana_directory() -> Directory:
    return Directory(
        [
            DirectoryEntry(
                upn="dana@example.com",
                origin=ORIGIN,
                aliases=(DANA_ID, "dana.old@example.com"),
                is_vip=True,
            )
        ]
    )


def test_object_id_user_becomes_upn():
    event = SignIn("signin:1", T0, "ual-json", ORIGIN, user=DANA_ID, ip="203.0.113.5")
    assert dana_directory().canonicalise(event).user == "dana@example.com"


def test_rule_actor_and_mailbox_canonicalised():
    rule = MailboxRuleChange(
        "ual:1",
        T0,
        "ual-json",
        ORIGIN,
        actor=DANA_ID.upper(),
        mailbox="dana.old@example.com",
        operation="New-InboxRule",
    )
    canonical = dana_directory().canonicalise(rule)
    assert canonical.actor == "dana@example.com"
    assert canonical.mailbox == "dana@example.com"


def test_recipients_canonicalised_and_deduplicated():
    sent = MailSent(
        "trace:1",
        T0,
        "message-trace",
        ORIGIN,
        sender="lee@example.com",
        recipients=("dana.old@example.com", "dana@example.com", "x@example.org"),
    )
    canonical = dana_directory().canonicalise(sent)
    assert canonical.recipients == ("dana@example.com", "x@example.org")
    assert canonical.sender == "lee@example.com"


def test_unknown_names_pass_through():
    event = SignIn("signin:1", T0, "entra-signin", ORIGIN, user="lee@example.com", ip=None)
    assert dana_directory().canonicalise(event) is event
    assert Directory().canonicalise(event) is event


def message(network_id: str | None, time: datetime = T0) -> EmailMessage:
    return EmailMessage(
        "mail:m1",
        time,
        "defender",
        ORIGIN,
        message_id="m1",
        sender="a@vendor.example",
        recipients=("dana@example.com",),
        network_message_id=network_id,
    )


def links(network_id: str, url: str, time: datetime = T0) -> MessageLinks:
    return MessageLinks(
        f"defender-links:{network_id}:{url}",
        time,
        "defender",
        ORIGIN,
        network_message_id=network_id,
        links=(Link(url=url, host=url.split("/")[2]),),
    )


def test_links_join_their_message():
    joiner = LinkJoiner()
    joiner.add(links("NET-1", "https://a.example/x"))
    joiner.add(links("net-1", "https://b.example/y"))
    joined = joiner.attach(message("Net-1"))
    assert [link.host for link in joined.links] == ["a.example", "b.example"]
    assert joiner.attach(message("net-1")).links == ()  # consumed once


def test_links_expire_after_hold():
    joiner = LinkJoiner()
    joiner.add(links("net-2", "https://a.example/x"))
    late = message("net-2", T0 + HOLD + timedelta(minutes=1))
    assert joiner.attach(late).links == ()
    assert joiner.unmatched == 1


def test_message_without_network_id_unchanged():
    joiner = LinkJoiner()
    joiner.add(links("net-3", "https://a.example/x"))
    plain = message(None)
    assert joiner.attach(plain) is plain


def signin(day: int, user: str = "dana@example.com") -> SignIn:
    return SignIn(
        f"signin:{day}:{user}",
        T0 + timedelta(days=day),
        "entra-signin",
        ORIGIN,
        user=user,
        ip="203.0.113.5",
    )


def test_missing_channels_reported():
    book = BaselineBook()
    for day in range(3):
        observe(book, signin(day), ORG)
    kinds = {gap.kind for gap in coverage_gaps(book, [])}
    messages = " ".join(gap.message for gap in coverage_gaps(book, []))
    assert kinds == {"missing-channel"}
    assert "no audit log" in messages
    assert "no message trace" in messages


def test_silent_weekday_is_a_gap_but_quiet_weekend_is_not():
    book = BaselineBook()
    for week in range(3):
        for weekday in range(5):
            if week == 1 and weekday == 2:
                continue  # Wednesday of the second week is missing
            for n in range(12):
                observe(book, signin(week * 7 + weekday, f"u{n}@example.com"), ORG)
    gaps = [g for g in coverage_gaps(book, []) if g.kind == "silent-day"]
    assert [g.start.date().isoformat() for g in gaps] == ["2026-10-14"]
    assert "Wednesday usually has 12" in gaps[0].message


def test_unaudited_mailbox_and_throttling_reported():
    book = BaselineBook()
    rule = MailboxRuleChange(
        "ual:1",
        T0,
        "ual-json",
        ORIGIN,
        actor="dana@example.com",
        mailbox="dana@example.com",
        operation="New-InboxRule",
    )
    read = FileAccess(
        "ual:2",
        T0,
        "ual-json",
        ORIGIN,
        user="dana@example.com",
        operation="MailItemsAccessed",
        throttled=True,
    )
    sent = MailSent(
        "trace:1",
        T0,
        "message-trace",
        ORIGIN,
        sender="lee@example.com",
        recipients=("x@example.org",),
    )
    for event in (rule, read, sent):
        observe(book, event, ORG)
    gaps = {g.kind: g for g in coverage_gaps(book, [])}
    assert "lee@example.com" in gaps["unaudited-mailboxes"].message
    assert "dana@example.com" not in gaps["unaudited-mailboxes"].message
    assert gaps["throttled"].overlaps(T0 + timedelta(days=1), T0 + timedelta(days=1))


def test_export_notice_window_overlaps_incident():
    notice = {
        "file": "audit.csv",
        "message": "incomplete export",
        "start": T0,
        "end": T0 + timedelta(days=1),
    }
    [gap] = [g for g in coverage_gaps(BaselineBook(), [notice]) if g.kind == "export"]
    assert gap.overlaps(T0 + timedelta(days=10), T0 + timedelta(days=11))
    assert not gap.overlaps(T0 + timedelta(days=20), T0 + timedelta(days=21))
