"""Synthetic events and histories for detection tests.

Everything is on example.com (the organisation), example.org/.net and ``.example``
names (outside parties) and documentation address ranges. Event ids derive from the
event's own fields, so the same call always builds the same event and a stream built
twice is identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chainwatch.baseline.book import BaselineBook
from chainwatch.detect.base import Detection
from chainwatch.detect.engine import Engine
from chainwatch.enrich import Enricher
from chainwatch.events import (
    AuthResults,
    Client,
    EmailMessage,
    Event,
    FileAccess,
    Link,
    Location,
    MailboxRuleChange,
    MailSent,
    Origin,
    SignIn,
)
from chainwatch.settings import Settings, settings_from_mapping

ORG_DOMAIN = "example.com"
# A month of history from Monday 2024-04-01 up to HISTORY_END.
HISTORY_START = datetime(2024, 4, 1, tzinfo=UTC)
HISTORY_DAYS = 30
HISTORY_END = HISTORY_START + timedelta(days=HISTORY_DAYS)
HOME_COUNTRY = "GB"
HOME_ASN = 64496
USERS = tuple(f"user{index:02d}@example.com" for index in range(1, 21))
VENDORS = tuple(f"vendor{index}.example" for index in range(1, 9))
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
FIELD_CASES = SHARED / "field-cases"


def settings(**mapping: object) -> Settings:
    """Settings with example.com as the organisation, plus any extra TOML sections."""
    return settings_from_mapping({"organisation": {"domains": [ORG_DOMAIN]}, **mapping})


def field_case(name: str) -> Path:
    """Return a field-case input, skipping the test when ``../shared`` is absent."""
    path = FIELD_CASES / name
    if not path.exists():
        pytest.skip(f"shared field cases not present: {path}")
    return path


def _event_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{prefix}:{digest}"


def _origin(kind: str) -> Origin:
    return Origin(file=f"synthetic/{kind}", position="")


def sign_in(
    user: str,
    time: datetime,
    *,
    ip: str | None = "198.51.100.10",
    country: str | None = HOME_COUNTRY,
    asn: int | None = HOME_ASN,
    family: str | None = "Chrome",
    os: str | None = "Windows",
    app: str | None = "Office 365 Exchange Online",
    success: bool = True,
    error_code: int | None = None,
    interactive: bool = True,
) -> SignIn:
    """A sign-in record as an Entra export gives it, with its location in the record."""
    if error_code is None:
        error_code = 0 if success else 50126  # 50126: invalid username or password
    location = Location(
        country=country,
        asn=asn,
        as_name=f"Example Net {asn}" if asn is not None else None,
        source="record" if country or asn is not None else None,
    )
    return SignIn(
        event_id=_event_id("signin", user, time.isoformat(), ip, country, asn, family, success),
        time=time,
        source="entra-signin",
        origin=_origin("signin"),
        user=user,
        ip=ip,
        ip_raw=ip,
        location=location,
        client=Client(user_agent=None, family=family, os=os, app=app),
        success=success,
        error_code=error_code,
        interactive=interactive,
    )


def rule_change(
    mailbox: str,
    time: datetime,
    *,
    actor: str | None = None,
    name: str | None = "Rule",
    ip: str | None = "198.51.100.10",
    move_to_folder: str | None = None,
    mark_as_read: bool = False,
    delete: bool = False,
    forward_to: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
    from_addresses: tuple[str, ...] = (),
    stop_processing: bool = False,
    match_all: bool = False,
) -> MailboxRuleChange:
    """A New-InboxRule audit record."""
    return MailboxRuleChange(
        event_id=_event_id("ual", mailbox, time.isoformat(), name, actor),
        time=time,
        source="ual-json",
        origin=_origin("ual"),
        actor=actor or mailbox,
        mailbox=mailbox,
        operation="New-InboxRule",
        rule_name=name,
        ip=ip,
        ip_raw=ip,
        forward_to=forward_to,
        delete=delete,
        move_to_folder=move_to_folder,
        mark_as_read=mark_as_read,
        stop_processing=stop_processing,
        keywords=keywords,
        from_addresses=from_addresses,
        match_all=match_all,
    )


def link(url: str, text: str | None = None) -> Link:
    """A link with its host. The enricher fills in the registered domain."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].lower()
    return Link(url=url, host=host, display_text=text)


def email(
    sender: str,
    recipients: tuple[str, ...],
    time: datetime,
    *,
    links: tuple[Link, ...] = (),
    subject: str = "Hello",
    is_bulk: bool = False,
    auth: AuthResults | None = None,
) -> EmailMessage:
    """A message with its content. The enricher sets its direction."""
    message_id = _event_id("msg", sender, recipients, time.isoformat(), subject).split(":")[1]
    return EmailMessage(
        event_id=f"mail:{message_id}@{sender.rsplit('@', 1)[-1]}",
        time=time,
        source="mail",
        origin=_origin("mail"),
        message_id=f"{message_id}@{sender.rsplit('@', 1)[-1]}",
        sender=sender,
        recipients=recipients,
        subject=subject,
        links=links,
        auth=auth or AuthResults(spf="pass", dkim="pass", dmarc="pass"),
        sending_ip="192.0.2.25",
        is_bulk=is_bulk,
    )


def mail_sent(
    sender: str, recipients: tuple[str, ...], time: datetime, subject: str = "Re: update"
) -> MailSent:
    """A message trace row. The enricher sets its direction."""
    return MailSent(
        event_id=_event_id("trace", sender, recipients, time.isoformat(), subject),
        time=time,
        source="message-trace",
        origin=_origin("trace"),
        sender=sender,
        recipients=recipients,
        subject=subject,
        status="Delivered",
    )


def file_access(user: str, time: datetime, *, items: int = 1, ip: str | None = None) -> FileAccess:
    return FileAccess(
        event_id=_event_id("ual", user, time.isoformat(), items, ip),
        time=time,
        source="ual-json",
        origin=_origin("ual"),
        user=user,
        operation="FileAccessed",
        ip=ip,
        ip_raw=ip,
        object_id="https://example.sharepoint.com/sites/finance/plan.xlsx",
        workload="SharePoint",
        item_count=items,
    )


def user_ip(user: str) -> str:
    """The home address of a synthetic user: one per user in 198.51.100.0/24."""
    return f"198.51.100.{USERS.index(user) + 10 if user in USERS else 9}"


def signin_history(
    users: Iterable[str] = USERS,
    *,
    days: int = HISTORY_DAYS,
    per_day: int = 3,
    country: str | None = HOME_COUNTRY,
    asn: int | None = HOME_ASN,
    family: str | None = "Chrome",
    os: str | None = "Windows",
    app: str | None = "Office 365 Exchange Online",
    start: datetime = HISTORY_START,
    ip: str | None = None,
) -> list[SignIn]:
    """Sign-ins at 08:00, 12:00 and 16:00 on every day, from ``ip`` or each user's own."""
    events = []
    for user in users:
        for day in range(days):
            for slot in range(per_day):
                time = start + timedelta(days=day, hours=8 + 4 * slot, minutes=_minute_of(user))
                events.append(
                    sign_in(
                        user,
                        time,
                        ip=ip or user_ip(user),
                        country=country,
                        asn=asn,
                        family=family,
                        os=os,
                        app=app,
                    )
                )
    return events


def _minute_of(user: str) -> int:
    """Spread users' sign-ins over the hour so no two share a timestamp."""
    return (sum(user.encode()) % 50) + 1


def vendor_mail_history(
    *, days: int = HISTORY_DAYS, start: datetime = HISTORY_START
) -> list[EmailMessage]:
    """Inbound mail from eight vendors, each linking only to its own site: 16 a day."""
    events = []
    for day in range(days):
        for index, vendor in enumerate(VENDORS):
            for repeat in range(2):
                recipient = USERS[(day + index + repeat) % len(USERS)]
                time = start + timedelta(days=day, hours=9 + repeat * 4, minutes=index * 3)
                events.append(
                    email(
                        f"sales@{vendor}",
                        (recipient,),
                        time,
                        links=(link(f"https://www.{vendor}/offers/{day}"),),
                        subject=f"Offer {day}-{repeat}",
                    )
                )
    return events


def outbound_history(
    users: Iterable[str] = USERS, *, days: int = HISTORY_DAYS, start: datetime = HISTORY_START
) -> list[MailSent]:
    """Two message-trace rows a working day per user, to at most 3 recipients each."""
    events = []
    for user in users:
        base = USERS.index(user) if user in USERS else 0
        for day in range(days):
            for slot in range(2):
                recipients = tuple(
                    f"contact{(base + day + slot + n) % 9}@partner{n}.example.org"
                    for n in range(1 + (day + slot) % 3)
                )
                time = start + timedelta(days=day, hours=10 + slot * 5, minutes=base)
                events.append(mail_sent(user, recipients, time))
    return events


def month_of_history(
    users: Iterable[str] = USERS, *, start: datetime = HISTORY_START
) -> list[Event]:
    """Sign-ins, vendor mail and outbound mail for a month: a trained organisation."""
    users = tuple(users)
    return [
        *signin_history(users, start=start),
        *vendor_mail_history(start=start),
        *outbound_history(users, start=start),
    ]


class Run:
    """An engine with an enricher in front: feed raw events, read the detections."""

    def __init__(self, run_settings: Settings | None = None) -> None:
        self.settings = run_settings or settings()
        self.enricher = Enricher(self.settings)
        self.engine = Engine(self.settings, BaselineBook())

    @property
    def book(self) -> BaselineBook:
        return self.engine.book

    def feed(self, events: Iterable[Event]) -> list[Detection]:
        """Enrich and process events in time order; return the new detections."""
        found: list[Detection] = []
        for event in sorted(events, key=lambda e: (e.time, e.event_id)):
            found.extend(self.engine.process(self.enricher.enrich(event)))
        return found

    def score(self, model_name: str, event: Event) -> Detection | None:
        """Score one enriched event with one model, without learning it."""
        model = next(m for m in self.engine.models if m.name == model_name)
        return model.score(self.book, self.enricher.enrich(event))

    def detections(self, model_name: str | None = None) -> list[Detection]:
        kept = sorted(self.engine.detections.values(), key=lambda d: (d.time, d.detection_id))
        return [d for d in kept if model_name is None or d.model == model_name]


def by_model(detections: Iterable[Detection], model_name: str) -> list[Detection]:
    return [d for d in detections if d.model == model_name]


def score_of(detection: Detection | None) -> int:
    """A missing detection counts as score 0."""
    return detection.score if detection is not None else 0


ATTACKER = {
    "ip": "203.0.113.50",
    "country": "NL",
    "asn": 64511,
    "family": "python-requests",
    "os": "Linux",
}
