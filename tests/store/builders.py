"""Synthetic events of every kind for store tests, on example.com and documentation IPs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.events import (
    AuthResults,
    Client,
    Direction,
    EmailMessage,
    FileAccess,
    Link,
    LinkClick,
    Location,
    MailboxRuleChange,
    MailSent,
    MessageLinks,
    Origin,
    SignIn,
)

BASE_TIME = datetime(2024, 5, 14, 9, 0, 0, tzinfo=UTC)


def origin(line: int = 1) -> Origin:
    return Origin(file="exports/ual.jsonl", position=f"line {line}")


def sign_in(event_id: str, seconds: float = 0, user: str = "dana@example.com") -> SignIn:
    return SignIn(
        event_id=f"entra-signin:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="entra-signin",
        origin=origin(),
        user=user,
        ip="203.0.113.50",
        location=Location(country="NL", city="Amsterdam", asn=64500, source="record"),
        client=Client(user_agent="Mozilla/5.0", family="Chrome", os="Windows"),
        error_code=0,
        session_id="b1f2",
    )


def rule_change(event_id: str, seconds: float = 0) -> MailboxRuleChange:
    return MailboxRuleChange(
        event_id=f"ual:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="ual-json",
        origin=origin(2),
        actor="admin@example.com",
        mailbox="dana@example.com",
        operation="New-InboxRule",
        rule_name="..",
        forward_to=("drop@example.net",),
        delete=True,
        move_to_folder="RSS Subscriptions",
        keywords=("invoice", "\x00"),
        match_all=True,
        parameters=(("Name", ".."), ("SubjectContainsWords", "invoice;\x00")),
    )


def file_access(event_id: str, seconds: float = 0) -> FileAccess:
    return FileAccess(
        event_id=f"ual:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="ual-csv",
        origin=origin(3),
        user="erin@example.com",
        operation="FileDownloaded",
        ip="2001:db8::17",
        object_id="https://contoso.example/sites/finance/Shared Documents/q2.xlsx",
        item_count=3,
    )


def email(event_id: str, seconds: float = 0, sender: str | None = "it@example.org") -> EmailMessage:
    return EmailMessage(
        event_id=f"mail:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="mail",
        origin=Origin(file="inbox.mbox", position="message 2"),
        message_id="abc@example.org",
        sender=sender,
        sender_name="IT Helpdesk \udce9",  # an undecodable byte kept by surrogateescape
        reply_to=("help@example.net",),
        recipients=("dana@example.com", "erin@example.com"),
        subject="Password expiry",
        links=(
            Link(
                url="https://login.example.net/x",
                host="login.example.net",
                registered_domain="example.net",
                display_text="Keep password",
            ),
        ),
        attachments=("invoice.html",),
        auth=AuthResults(spf="fail", dkim="none", dmarc="fail"),
        sending_ip="198.51.100.7",
        defects=("MissingHeaderBodySeparatorDefect",),
        direction=Direction.INBOUND,
    )


def mail_sent(event_id: str, seconds: float = 0) -> MailSent:
    return MailSent(
        event_id=f"trace:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="message-trace",
        origin=Origin(file="trace.csv", position="row 4"),
        sender="dana@example.com",
        recipients=("a@example.net", "b@example.net"),
        subject="Re: Password expiry",
        status="Delivered",
        from_ip="203.0.113.50",
        size=20480,
        direction=Direction.OUTBOUND,
    )


def truncated_rule(event_id: str, seconds: float = 0) -> MailboxRuleChange:
    """Return the copy of :func:`rule_change` whose ``AuditData`` was cut off."""
    full = rule_change(event_id, seconds)
    return MailboxRuleChange(
        event_id=full.event_id,
        time=full.time,
        source="ual-csv",
        origin=Origin(file="exports/ual-search.csv", position="row 9"),
        actor=full.actor,
        mailbox=full.mailbox,
        operation=full.operation,
        rule_name=full.rule_name,
        details_lost=True,
    )


def message_links(event_id: str, seconds: float = 0) -> MessageLinks:
    return MessageLinks(
        event_id=f"defender-url:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="defender-email-url",
        origin=Origin(file="EmailUrlInfo.csv", position="row 2"),
        network_message_id="6f0c1e1a-0000-4000-8000-000000000001",
        links=(
            Link(url="https://login.example.net/x", host="login.example.net"),
            Link(
                url="https://docs.example.org/share?id=1",
                host="docs.example.org",
                registered_domain="example.org",
            ),
        ),
    )


def link_click(event_id: str, seconds: float = 0) -> LinkClick:
    return LinkClick(
        event_id=f"defender-click:{event_id}",
        time=BASE_TIME + timedelta(seconds=seconds),
        source="defender-url-click",
        origin=Origin(file="UrlClickEvents.csv", position="row 3"),
        user="dana@example.com",
        url="https://login.example.net/x",
        host="login.example.net",
        ip="198.51.100.23",
        action="ClickAllowed",
        clicked_through=True,
        network_message_id="6f0c1e1a-0000-4000-8000-000000000001",
        workload="Email",
        registered_domain="example.net",
        location=Location(country="NL", source="record"),
    )
