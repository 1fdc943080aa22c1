"""Variants of the injected chain, built from interchangeable steps.

An :class:`AttackStyle` picks the lure, the attacker's sign-in infrastructure, the kind of
collection, the persistence and whether the chain spreads. The timing follows the default
chain in :mod:`chainwatch.simulate.storyline`: the lure on D0, first access on D0+4, the
hiding rule and the internal surge on D0+5, two colleagues' outside surges on D0+5 and D0+6.
The default scenario does not run through here, so its output stays exactly as before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from chainwatch.simulate import content
from chainwatch.simulate.lures import (
    OAUTH_APP_ID,
    OAUTH_APP_NAME,
    OAUTH_SCOPE,
    LureKind,
    lure_content,
    lure_host,
)
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import deliver
from chainwatch.simulate.storyline import (
    ATTACKER_FILES,
    ATTACKER_NG_IP,
    ATTACKER_US_IP,
    HIDING_WORDS,
    LURE_SUBJECT,
    MIN_INTERNAL_SURGE,
    MIN_TOTAL_SURGE,
    ChainPlan,
    ChainRecord,
)
from chainwatch.simulate.tenant import (
    ATTACKER_NG,
    ATTACKER_US,
    CLIENTS,
    ClientProfile,
    Mailbox,
    Network,
    Person,
    Vendor,
)
from chainwatch.simulate.world import World

Access = Literal["foreign", "foreign-outlook", "residential-proxy", "cookie-replay", "oauth-app"]
Collection = Literal["burst", "slow", "app-mail-read", "none"]
Persistence = Literal[
    "hiding-rule",
    "outlook-rule",
    "forward-rule",
    "redirect-rule",
    "mailbox-forwarding",
    "consent",
    "none",
]

EXFILTRATION_ADDRESS = "ledger.sync.2291@inbox.example.org"
RESIDENTIAL_IPS = ("192.0.2.77", "192.0.2.78", "192.0.2.79", "192.0.2.80")
HOSTING = Network("hosting", 64508, "DE", "Hesse", "Frankfurt am Main")
HOSTING_IPS = ("192.0.2.90", "192.0.2.91", "192.0.2.92", "192.0.2.93")
OAUTH_APP_NETWORK = Network("hosting", 64509, "US", "Oregon", "Boardman")
OAUTH_APP_IP = "192.0.2.120"
SLOW_DAYS = 10


@dataclass(frozen=True, slots=True)
class AttackStyle:
    """The steps one attack scenario takes; the defaults reproduce the default chain's steps."""

    lure: LureKind = "link"
    lookalike_sender: bool = False
    access: Access = "foreign"
    collection: Collection = "burst"
    persistence: Persistence = "hiding-rule"
    spread: bool = True
    delete_sent: bool = False
    d0_share: float = 0.6  # D0 as a share of the period


ATTACK_STYLES: dict[str, AttackStyle] = {
    "residential-proxy": AttackStyle(access="residential-proxy", collection="none"),
    "cookie-replay": AttackStyle(lure="aitm", access="cookie-replay", persistence="none"),
    "oauth-consent": AttackStyle(
        lure="oauth",
        access="oauth-app",
        collection="app-mail-read",
        persistence="consent",
        spread=False,
    ),
    "external-forwarding-rule": AttackStyle(persistence="forward-rule", spread=False),
    "external-redirect-rule": AttackStyle(persistence="redirect-rule", spread=False),
    "mailbox-forwarding": AttackStyle(persistence="mailbox-forwarding", spread=False),
    "outlook-rule": AttackStyle(access="foreign-outlook", persistence="outlook-rule"),
    "sent-items-deleted": AttackStyle(delete_sent=True),
    "qr-code-lure": AttackStyle(lure="qr-code"),
    "html-attachment": AttackStyle(lure="html-attachment"),
    "lookalike-vendor-domain": AttackStyle(lookalike_sender=True),
    "slow-exfiltration": AttackStyle(
        collection="slow", persistence="none", spread=False, d0_share=0.45
    ),
}


@dataclass(frozen=True, slots=True)
class Foothold:
    """One attacker sign-in place: an address, its network and the clients used from it."""

    ip: str
    network: Network
    client: ClientProfile
    refresh_client: ClientProfile
    interactive: bool = True
    resource: str = "Office 365 Exchange Online"


@dataclass
class AttackRecord(ChainRecord):
    """Every id an attack variant produced, beyond those of the default chain."""

    consent_ids: list[str] = field(default_factory=list)
    directory_audit_ids: list[str] = field(default_factory=list)
    deletion_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)  # other messages, e.g. replies
    other_audit_ids: list[str] = field(default_factory=list)
    attacker_ips: list[str] = field(default_factory=list)
    attacker_asns: list[int] = field(default_factory=list)
    compromised: list[str] = field(default_factory=list)
    lure_host: str | None = None

    def attacker_address(self, ip: str, network: Network) -> None:
        """Note an address the attacker used, once, in order of first use."""
        if ip not in self.attacker_ips:
            self.attacker_ips.append(ip)
        if network.asn not in self.attacker_asns:
            self.attacker_asns.append(network.asn)


def footholds(world: World, access: Access) -> tuple[Foothold, Foothold, Foothold, Foothold]:
    """Return where patient zero's two sign-ins and the two colleagues' sign-ins come from."""
    firefox, requests = CLIENTS["linux-firefox"], CLIENTS["python-requests"]
    if access == "residential-proxy":
        network = _residential_network(world)
        first, second, third, fourth = (
            Foothold(ip, network, firefox, firefox) for ip in RESIDENTIAL_IPS
        )
        return first, second, third, fourth
    if access == "cookie-replay":
        chrome = CLIENTS["windows-chrome"]
        first, second, third, fourth = (
            Foothold(ip, HOSTING, chrome, chrome, interactive=False, resource="Microsoft Graph")
            for ip in HOSTING_IPS
        )
        return first, second, third, fourth
    client = CLIENTS["windows-outlook"] if access == "foreign-outlook" else firefox
    ng = Foothold(ATTACKER_NG_IP, ATTACKER_NG, client, requests)
    us = Foothold(ATTACKER_US_IP, ATTACKER_US, client, requests)
    return ng, us, ng, us


def _residential_network(world: World) -> Network:
    """Return a home ISP network in Manchester on the ASN most staff use at home."""
    counts: dict[int, int] = {}
    for person in world.tenant.people:
        counts[person.home_asn] = counts.get(person.home_asn, 0) + 1
    asn = max(sorted(counts), key=lambda a: counts[a])
    return Network("home", asn, "GB", "Greater Manchester", "Manchester")


def run_attack(world: World, plan: ChainPlan, style: AttackStyle) -> AttackRecord:
    """Inject one attack variant into the timeline and return what it produced."""
    rng = world.rng("attack")
    record = AttackRecord()
    person = plan.patient_zero
    first, second, third_hold, fourth_hold = footholds(world, style.access)
    _send_lure(world, plan, rng, record, style)

    access_day = plan.d0 + timedelta(days=4)
    start = world.utc(access_day, 15, 5, 12)
    if style.access == "oauth-app":
        consent_time = world.utc(plan.d0, 13, 41, 9)
        _consent(world, person, consent_time, record)
        record.compromised.append(person.address)
        start = consent_time + timedelta(hours=2)
    else:
        attacker_sign_in(world, person, start, first, record)
        record.compromised.append(person.address)

    _collect(world, plan, rng, record, style, start, first)
    if style.access == "oauth-app":
        return record

    day = plan.d0 + timedelta(days=5)
    start = world.utc(day, 9, 2, 45)
    attacker_sign_in(world, person, start, second, record)
    rule_time = start + timedelta(minutes=6, seconds=18)
    _persist(world, person, rule_time, second, ".", record, style)
    if not style.spread:
        return record

    internal = _internal_surge(world, plan, rng, record, style, rule_time, second)
    _colleagues_surge(world, plan, rng, record, style, internal, (third_hold, fourth_hold))
    return record


def _send_lure(
    world: World, plan: ChainPlan, rng: random.Random, record: AttackRecord, style: AttackStyle
) -> None:
    established = world.tenant.vendors[0]
    vendor = lookalike_vendor(established) if style.lookalike_sender else established
    real_sender = next(c for c in established.contacts if c.address.startswith("accounts@"))
    sender = Mailbox(real_sender.name, f"accounts@{vendor.domain}")
    moment = world.utc(plan.d0, 11, 14, 27)
    lure = lure_content(style.lure, rng, "Hello,", sender.name)
    message = content.inbound_message(
        rng,
        moment,
        vendor,
        sender,
        tuple(p.mailbox for p in plan.lure_recipients),
        LURE_SUBJECT,
        lure.links,
        text=lure.paragraphs,
    )
    message.attachments = lure.attachments
    deliver(world, message)
    record.origin = message
    record.lure_host = lure_host(style.lure)
    record.step(moment, sender.address, f"{style.lure} lure delivered to 3 finance staff")


def lookalike_vendor(vendor: Vendor) -> Vendor:
    """Return a look-alike of ``vendor``: one letter added to its name, its own mail server.

    ``harbor-logistics`` becomes ``harbour-logistics``: British spelling where the name
    has "or", else the first vowel doubled.
    """
    name = vendor.name.replace("or", "our", 1) if "or" in vendor.name else vendor.name
    if name == vendor.name:
        index = next(i for i, ch in enumerate(name) if ch in "aeiou")
        name = name[: index + 1] + name[index:]
    return Vendor(
        name=name,
        domain=f"{name}.example",
        display=vendor.display,
        sending_ip="198.51.100.44",
        utc_offset_minutes=vendor.utc_offset_minutes,
        contacts=[],
        portal_host=f"portal.{name}.example",
    )


def attacker_sign_in(
    world: World, person: Person, moment: datetime, hold: Foothold, record: AttackRecord
) -> None:
    """Write an attacker's sign-in and two token refreshes 7 and 41 minutes later."""
    if hold.interactive:
        first = world.factory.sign_in(
            moment, person.mailbox, person.user_id, hold.ip, hold.network, hold.client
        )
        record.sign_in_ids.append(first["id"])
    minutes = (7, 41) if hold.interactive else (0, 7, 41)
    for offset in minutes:
        refresh = world.factory.sign_in(
            moment + timedelta(minutes=offset),
            person.mailbox,
            person.user_id,
            hold.ip,
            hold.network,
            hold.refresh_client,
            interactive=False,
            resource=hold.resource,
        )
        record.sign_in_ids.append(refresh["id"])
    record.attacker_address(hold.ip, hold.network)
    kind = "sign-in" if hold.interactive else "non-interactive sign-ins only"
    where = f"{hold.network.country} {hold.ip} (AS{hold.network.asn})"
    record.step(moment, person.address, f"{kind} from {where}")


def _consent(world: World, person: Person, moment: datetime, record: AttackRecord) -> None:
    session = world.main_session(person.address, moment.date())
    ip = session.ip if session else person.home_ip
    ual, audit = world.factory.consent(
        moment, person.mailbox, person.user_id, ip, OAUTH_APP_NAME, OAUTH_APP_ID, OAUTH_SCOPE
    )
    record.consent_ids.append(ual["Id"])
    record.directory_audit_ids.append(audit["id"])
    record.step(moment, person.address, f"consent to {OAUTH_APP_NAME} for {OAUTH_SCOPE}")


def _collect(
    world: World,
    plan: ChainPlan,
    rng: random.Random,
    record: AttackRecord,
    style: AttackStyle,
    start: datetime,
    hold: Foothold,
) -> None:
    person = plan.patient_zero
    if style.collection == "burst":
        _file_reads(world, person, rng, record, start, hold, 45)
        _mail_binds(world, person, rng, record, start, hold.ip, 6)
    elif style.collection == "slow":
        _slow_reads(world, person, rng, record, start, hold)
    elif style.collection == "app-mail-read":
        _app_mail_reads(world, person, rng, record, start)


def _file_reads(
    world: World,
    person: Person,
    rng: random.Random,
    record: AttackRecord,
    start: datetime,
    hold: Foothold,
    count: int,
) -> None:
    files = rng.sample(ATTACKER_FILES, k=count)
    for index, (site, name) in enumerate(files):
        moment = start + timedelta(minutes=3, seconds=index * 70 + rng.randint(0, 30))
        access = world.factory.file_access(
            moment, person.address, hold.ip, hold.client, site, name, download=index % 3 == 0
        )
        record.file_access_ids.append(access["Id"])
    record.step(start + timedelta(minutes=3), person.address, f"{count} SharePoint files read")


def _mail_binds(
    world: World,
    person: Person,
    rng: random.Random,
    record: AttackRecord,
    start: datetime,
    ip: str,
    count: int,
) -> None:
    for index in range(count):
        moment = start + timedelta(minutes=6 + index * 8, seconds=rng.randint(0, 59))
        read = world.received_before(person.address, moment, 12)
        bind = world.factory.mail_items_accessed(
            moment, person.address, ip, read, "Client=OWA;Action=ViaProxy"
        )
        record.mail_items_accessed_ids.append(bind["Id"])


def _slow_reads(
    world: World,
    person: Person,
    rng: random.Random,
    record: AttackRecord,
    start: datetime,
    hold: Foothold,
) -> None:
    """Read 5-10 files a day for up to 10 days, each day after a token refresh."""
    total = 0
    for day_index in range(SLOW_DAYS):
        day = start.date() + timedelta(days=day_index)
        if day > world.end:
            break
        morning = world.utc(day, rng.randint(9, 15), rng.randint(0, 59), rng.randint(0, 59))
        if day_index > 0:
            refresh = world.factory.sign_in(
                morning,
                person.mailbox,
                person.user_id,
                hold.ip,
                hold.network,
                hold.refresh_client,
                interactive=False,
            )
            record.sign_in_ids.append(refresh["id"])
        moment = max(morning, start) + timedelta(minutes=2)
        for site, name in rng.sample(ATTACKER_FILES, k=rng.randint(5, 10)):
            moment += timedelta(minutes=rng.randint(3, 25), seconds=rng.randint(0, 59))
            access = world.factory.file_access(
                moment, person.address, hold.ip, hold.client, site, name, download=True
            )
            record.file_access_ids.append(access["Id"])
            total += 1
    record.step(start, person.address, f"{total} SharePoint files read over {SLOW_DAYS} days")


def _app_mail_reads(
    world: World, person: Person, rng: random.Random, record: AttackRecord, start: datetime
) -> None:
    """Let the consented app read the newest Inbox items 3-5 times a day for five days."""
    record.attacker_address(OAUTH_APP_IP, OAUTH_APP_NETWORK)
    for day_index in range(5):
        day = start.date() + timedelta(days=day_index)
        if day > world.end:
            break
        for _ in range(rng.randint(3, 5)):
            moment = max(world.utc(day, rng.randint(0, 23), rng.randint(0, 59)), start)
            read = world.received_before(person.address, moment, 20)
            bind = world.factory.mail_items_accessed(
                moment,
                person.address,
                OAUTH_APP_IP,
                read,
                "Client=REST;Client=RESTSystem;;",
                client_app_id=OAUTH_APP_ID,
            )
            record.mail_items_accessed_ids.append(bind["Id"])
    record.step(start, person.address, f"{OAUTH_APP_NAME} reads mail from {OAUTH_APP_IP}")


def _persist(
    world: World,
    person: Person,
    moment: datetime,
    hold: Foothold,
    rule_name: str,
    record: AttackRecord,
    style: AttackStyle,
) -> None:
    factory = world.factory
    address = person.address
    if style.persistence == "hiding-rule":
        rule = factory.inbox_rule(
            moment,
            address,
            hold.ip,
            rule_name,
            [("SubjectOrBodyContainsWords", HIDING_WORDS)],
            [
                ("MoveToFolder", "RSS Feeds"),
                ("MarkAsRead", "True"),
                ("StopProcessingRules", "True"),
            ],
        )
        summary = f"inbox rule {rule_name!r} hides replies in RSS Feeds"
    elif style.persistence == "outlook-rule":
        condition = (
            "{(|("
            + "".join(
                f"(Subject SubString {word})(Body SubString {word})"
                for word in HIDING_WORDS.split(";")
            )
            + "))}"
        )
        actions = [
            {"ActionType": "MoveToFolder", "FolderName": "RSS Feeds"},
            {"ActionType": "MarkAsRead"},
        ]
        rule = factory.update_inbox_rules(moment, address, hold.ip, rule_name, condition, actions)
        summary = f"Outlook rule {rule_name!r} hides replies in RSS Feeds"
    elif style.persistence in ("forward-rule", "redirect-rule"):
        parameter = "ForwardTo" if style.persistence == "forward-rule" else "RedirectTo"
        conditions = (
            [] if parameter == "ForwardTo" else [("SubjectOrBodyContainsWords", HIDING_WORDS)]
        )
        rule = factory.inbox_rule(
            moment,
            address,
            hold.ip,
            "Sync",
            conditions,
            [(parameter, EXFILTRATION_ADDRESS), ("StopProcessingRules", "False")],
        )
        summary = f"inbox rule {parameter} {EXFILTRATION_ADDRESS}"
    elif style.persistence == "mailbox-forwarding":
        rule = factory.exchange_cmdlet(
            moment,
            address,
            hold.ip,
            "Set-Mailbox",
            f"{address.split('@')[1]}/{address.split('@')[0]}",
            [
                ("Identity", address),
                ("ForwardingSmtpAddress", f"smtp:{EXFILTRATION_ADDRESS}"),
                ("DeliverToMailboxAndForward", "False"),
            ],
        )
        summary = f"mailbox forwarding to {EXFILTRATION_ADDRESS}, no copy kept"
    else:
        return
    record.inbox_rule_ids.append(rule["Id"])
    record.step(moment, address, summary)


def _surge_message(
    rng: random.Random,
    style: AttackStyle,
    sender: Mailbox,
    recipient: Mailbox,
    moment: datetime,
    ip: str,
    direction: str,
) -> Message:
    greeting = f"Hi {content.first_name(recipient)},"
    lure = lure_content(style.lure, rng, greeting, sender.name)
    return Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=sender,
        to=(recipient,),
        subject=LURE_SUBJECT,
        paragraphs=lure.paragraphs,
        links=lure.links,
        direction=direction,
        sending_ip=ip,
        attachments=lure.attachments,
    )


def _internal_surge(
    world: World,
    plan: ChainPlan,
    rng: random.Random,
    record: AttackRecord,
    style: AttackStyle,
    rule_time: datetime,
    hold: Foothold,
) -> list[Person]:
    person = plan.patient_zero
    colleagues = [p for p in world.tenant.people if p is not person]
    others = [p for p in colleagues if p not in plan.colleagues]
    count = min(len(colleagues), MIN_INTERNAL_SURGE + rng.randint(2, 14))
    recipients = [*plan.colleagues, *rng.sample(others, k=count - len(plan.colleagues))]
    rng.shuffle(recipients)
    surge_start = rule_time + timedelta(minutes=rng.randint(12, 25))
    sent: list[Message] = []
    for index, recipient in enumerate(recipients):
        moment = surge_start + timedelta(seconds=index * 9 + rng.randint(0, 4))
        message = _surge_message(
            rng, style, person.mailbox, recipient.mailbox, moment, hold.ip, "internal"
        )
        deliver(world, message)
        sent.append(message)
        record.internal_message_ids.append(message.message_id)
    record.step(surge_start, person.address, f"lure sent to {len(recipients)} colleagues")
    if style.delete_sent:
        _delete_sent(world, rng, record, person, hold, sent, "SoftDelete")
    return recipients


def _colleagues_surge(
    world: World,
    plan: ChainPlan,
    rng: random.Random,
    record: AttackRecord,
    style: AttackStyle,
    internal: list[Person],
    holds: tuple[Foothold, Foothold],
) -> None:
    tenant = world.tenant
    pool = [c for v in tenant.vendors for c in v.contacts] + list(tenant.customers)
    rng.shuffle(pool)
    remaining = max(MIN_TOTAL_SURGE - len(internal), 0) + rng.randint(6, 20)
    first_share = remaining * 9 // 20
    second, third = plan.colleagues
    batches = (
        (second, holds[0], world.utc(plan.d0 + timedelta(days=5), 14, 38, 3), pool[:first_share]),
        (
            third,
            holds[1],
            world.utc(plan.d0 + timedelta(days=6), 9, 14, 51),
            [pool[(first_share + i) % len(pool)] for i in range(remaining - first_share)],
        ),
    )
    for index, (person, hold, start, targets) in enumerate(batches):
        attacker_sign_in(world, person, start, hold, record)
        record.compromised.append(person.address)
        if index == 1:
            moment = start + timedelta(minutes=5, seconds=40)
            _persist(world, person, moment, hold, "..", record, style)
        surge_start = start + timedelta(minutes=22 + 2 * index)
        sent: list[Message] = []
        for number, recipient in enumerate(targets):
            moment = surge_start + timedelta(seconds=number * 11 + rng.randint(0, 5))
            message = _surge_message(
                rng, style, person.mailbox, recipient, moment, hold.ip, "outbound"
            )
            deliver(world, message)
            sent.append(message)
            record.external_message_ids.append(message.message_id)
        record.step(surge_start, person.address, f"lure sent to {len(targets)} outside contacts")
        if style.delete_sent:
            operation = ("MoveToDeletedItems", "HardDelete")[index]
            _delete_sent(world, rng, record, person, hold, sent, operation)


def _delete_sent(
    world: World,
    rng: random.Random,
    record: AttackRecord,
    person: Person,
    hold: Foothold,
    sent: list[Message],
    operation: str,
) -> None:
    """Delete the surge's sent copies in batches of up to 25, shortly after the last send."""
    moment = max(m.time for m in sent) + timedelta(minutes=rng.randint(4, 12))
    for offset in range(0, len(sent), 25):
        batch = sent[offset : offset + 25]
        deletion = world.factory.mail_items_deleted(
            moment,
            person.address,
            hold.ip,
            operation,
            "\\Sent Items",
            [(m.message_id, m.subject) for m in batch],
        )
        record.deletion_ids.append(deletion["Id"])
        moment += timedelta(seconds=rng.randint(5, 20))
    record.step(moment, person.address, f"{operation} of {len(sent)} items in Sent Items")
