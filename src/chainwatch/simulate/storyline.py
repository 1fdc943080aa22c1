"""The injected vendor-email-compromise chain, from the lure to the second surge.

Day D0 is about 60% into the period, moved forward to a weekday. The steps:

- D0: a hijacked but long-established vendor contact mails a lure to 3 finance staff.
- D0+4: patient zero signs in from Nigeria (ASN 64510), reads 40+ SharePoint files
  within an hour and binds mail items.
- D0+5: a sign-in from the US (ASN 64511), a hiding inbox rule ".", and 10-30 minutes
  later the lure link goes to 60+ colleagues (or all of them in a smaller tenant).
- D0+5..6: two colleagues sign in from the same attacker addresses, one adds a hiding
  rule "..", and both mail customers and vendors until at least 250 messages are out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chainwatch.simulate import content
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import deliver
from chainwatch.simulate.tenant import (
    ATTACKER_NG,
    ATTACKER_US,
    CLIENTS,
    LURE_HOST,
    Mailbox,
    Person,
)
from chainwatch.simulate.world import World

ATTACKER_NG_IP = "192.0.2.41"
ATTACKER_US_IP = "192.0.2.163"
LURE_SUBJECT = "Remittance advice - Q3"
LURE_ANCHOR = "View document in Microsoft OneDrive"
MIN_INTERNAL_SURGE = 60
MIN_TOTAL_SURGE = 250
HIDING_WORDS = "invoice;payment;remittance;hacked;phish;scam"
# The attacker reads widely: every document name on five sites, 80 files in all.
ATTACKER_FILES = [
    (site, name)
    for site in ("Finance", "Procurement", "HR", "Legal", "AllStaff")
    for name in content.DOCUMENT_NAMES
]


@dataclass
class ChainPlan:
    """The accounts and day of the chain, chosen before the routine runs."""

    d0: date
    lure_recipients: list[Person]
    patient_zero: Person
    colleagues: list[Person]  # compromised second and third, in that order


@dataclass
class ChainRecord:
    """Every id the chain produced, for truth.json."""

    origin: Message | None = None
    sign_in_ids: list[str] = field(default_factory=list)
    file_access_ids: list[str] = field(default_factory=list)
    mail_items_accessed_ids: list[str] = field(default_factory=list)
    inbox_rule_ids: list[str] = field(default_factory=list)
    internal_message_ids: list[str] = field(default_factory=list)
    external_message_ids: list[str] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)

    def step(self, moment: datetime, account: str, what: str) -> None:
        self.steps.append(
            {"time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "account": account, "what": what}
        )


def chain_day(world: World, share: float = 0.6) -> date:
    """Return D0: ``share`` of the way into the period (60% by default), on a weekday."""
    d0 = world.day(round(world.days * share))
    while d0.weekday() >= 5:
        d0 += timedelta(days=1)
    return d0


def plan_chain(world: World, rng: random.Random) -> ChainPlan:
    """Choose the established vendor's recipients, patient zero and the two colleagues."""
    finance = world.tenant.by_department("Finance")
    established = sorted(rng.sample(finance, k=5), key=lambda p: p.address)
    world.established_recipients = established
    lure_recipients = rng.sample(established, k=3)
    others = [p for p in world.tenant.people if p not in established]
    colleagues = rng.sample(others, k=2)
    plan = ChainPlan(chain_day(world), lure_recipients, lure_recipients[0], colleagues)
    world.protected.update(p.address for p in [*lure_recipients, *colleagues])
    return plan


def lure_link(rng: random.Random) -> tuple[str, str]:
    return f"https://{LURE_HOST}/output/{rng.getrandbits(40):010x}-remittance", LURE_ANCHOR


def run_chain(world: World, plan: ChainPlan) -> ChainRecord:
    """Inject the chain into the timeline and return what it produced."""
    rng = world.rng("chain")
    record = ChainRecord()
    _send_lure(world, plan, rng, record)
    _first_access(world, plan, rng, record)
    surge_recipients = _hide_and_spread_inside(world, plan, rng, record)
    _colleagues_spread_outside(world, plan, rng, record, surge_recipients)
    return record


def _send_lure(world: World, plan: ChainPlan, rng: random.Random, record: ChainRecord) -> None:
    vendor = world.tenant.vendors[0]
    sender = next(c for c in vendor.contacts if c.address.startswith("accounts@"))
    moment = world.utc(plan.d0, 11, 14, 27)
    message = content.inbound_message(
        rng,
        moment,
        vendor,
        sender,
        tuple(p.mailbox for p in plan.lure_recipients),
        LURE_SUBJECT,
        (lure_link(rng),),
        text=(
            "Hello,",
            "Please find the remittance advice for the Q3 payments run.",
            "The document is shared securely and needs you to sign in to view it.",
            f"Kind regards,\n{sender.name}",
        ),
    )
    deliver(world, message)
    record.origin = message
    record.step(moment, sender.address, "lure delivered to 3 finance staff")


def _attacker_sign_in(
    world: World, person: Person, moment: datetime, ip: str, record: ChainRecord
) -> None:
    network = ATTACKER_NG if ip == ATTACKER_NG_IP else ATTACKER_US
    first = world.factory.sign_in(
        moment, person.mailbox, person.user_id, ip, network, CLIENTS["linux-firefox"]
    )
    record.sign_in_ids.append(first["id"])
    for minutes in (7, 41):
        refresh = world.factory.sign_in(
            moment + timedelta(minutes=minutes),
            person.mailbox,
            person.user_id,
            ip,
            network,
            CLIENTS["python-requests"],
            interactive=False,
        )
        record.sign_in_ids.append(refresh["id"])
    record.step(moment, person.address, f"sign-in from {network.country} {ip} (AS{network.asn})")


def _first_access(world: World, plan: ChainPlan, rng: random.Random, record: ChainRecord) -> None:
    person = plan.patient_zero
    day = plan.d0 + timedelta(days=4)
    start = world.utc(day, 15, 5, 12)
    _attacker_sign_in(world, person, start, ATTACKER_NG_IP, record)

    client = CLIENTS["linux-firefox"]
    files = rng.sample(ATTACKER_FILES, k=45)
    for index, (site, name) in enumerate(files):
        moment = start + timedelta(minutes=3, seconds=index * 70 + rng.randint(0, 30))
        access = world.factory.file_access(
            moment, person.address, ATTACKER_NG_IP, client, site, name, download=index % 3 == 0
        )
        record.file_access_ids.append(access["Id"])
    record.step(start + timedelta(minutes=3), person.address, f"{len(files)} SharePoint files read")

    for index in range(6):
        moment = start + timedelta(minutes=6 + index * 8, seconds=rng.randint(0, 59))
        read = world.received_before(person.address, moment, 12)
        bind = world.factory.mail_items_accessed(
            moment, person.address, ATTACKER_NG_IP, read, "Client=OWA;Action=ViaProxy"
        )
        record.mail_items_accessed_ids.append(bind["Id"])


def _hiding_rule(
    world: World, person: Person, moment: datetime, ip: str, name: str, record: ChainRecord
) -> None:
    rule = world.factory.inbox_rule(
        moment,
        person.address,
        ip,
        name,
        [("SubjectOrBodyContainsWords", HIDING_WORDS)],
        [("MoveToFolder", "RSS Feeds"), ("MarkAsRead", "True"), ("StopProcessingRules", "True")],
    )
    record.inbox_rule_ids.append(rule["Id"])
    record.step(moment, person.address, f"inbox rule {name!r} hides replies in RSS Feeds")


def _surge_message(
    rng: random.Random,
    sender: Mailbox,
    recipient: Mailbox,
    moment: datetime,
    ip: str,
    direction: str,
) -> Message:
    return Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=sender,
        to=(recipient,),
        subject=LURE_SUBJECT,
        paragraphs=(
            f"Hi {content.first_name(recipient)},",
            "Please find the remittance advice for the Q3 payments run.",
            "The document is shared securely and needs you to sign in to view it.",
            f"Kind regards,\n{sender.name}",
        ),
        links=(lure_link(rng),),
        direction=direction,
        sending_ip=ip,
        sender_utc_offset_minutes=0,
    )


def _hide_and_spread_inside(
    world: World, plan: ChainPlan, rng: random.Random, record: ChainRecord
) -> list[Person]:
    person = plan.patient_zero
    day = plan.d0 + timedelta(days=5)
    start = world.utc(day, 9, 2, 45)
    _attacker_sign_in(world, person, start, ATTACKER_US_IP, record)
    rule_time = start + timedelta(minutes=6, seconds=18)
    _hiding_rule(world, person, rule_time, ATTACKER_US_IP, ".", record)

    colleagues = [p for p in world.tenant.people if p is not person]
    others = [p for p in colleagues if p not in plan.colleagues]
    wanted = min(len(colleagues), MIN_INTERNAL_SURGE + rng.randint(2, 14))
    recipients = [*plan.colleagues, *rng.sample(others, k=wanted - len(plan.colleagues))]
    rng.shuffle(recipients)
    surge_start = rule_time + timedelta(minutes=rng.randint(12, 25))
    for index, recipient in enumerate(recipients):
        moment = surge_start + timedelta(seconds=index * 9 + rng.randint(0, 4))
        message = _surge_message(
            rng, person.mailbox, recipient.mailbox, moment, ATTACKER_US_IP, "internal"
        )
        deliver(world, message)
        record.internal_message_ids.append(message.message_id)
    record.step(surge_start, person.address, f"lure link sent to {len(recipients)} colleagues")
    return recipients


def _colleagues_spread_outside(
    world: World,
    plan: ChainPlan,
    rng: random.Random,
    record: ChainRecord,
    internal: list[Person],
) -> None:
    tenant = world.tenant
    pool = [c for v in tenant.vendors for c in v.contacts] + list(tenant.customers)
    rng.shuffle(pool)
    remaining = max(MIN_TOTAL_SURGE - len(internal), 0) + rng.randint(6, 20)
    first_share = remaining * 9 // 20
    second, third = plan.colleagues
    d5 = plan.d0 + timedelta(days=5)
    d6 = plan.d0 + timedelta(days=6)

    start = world.utc(d5, 14, 38, 3)
    _attacker_sign_in(world, second, start, ATTACKER_NG_IP, record)
    _external_surge(
        world,
        rng,
        record,
        second,
        start + timedelta(minutes=22),
        ATTACKER_NG_IP,
        pool[:first_share],
    )

    start = world.utc(d6, 9, 14, 51)
    _attacker_sign_in(world, third, start, ATTACKER_US_IP, record)
    _hiding_rule(
        world, third, start + timedelta(minutes=5, seconds=40), ATTACKER_US_IP, "..", record
    )
    targets = [pool[(first_share + i) % len(pool)] for i in range(remaining - first_share)]
    _external_surge(
        world, rng, record, third, start + timedelta(minutes=24), ATTACKER_US_IP, targets
    )


def _external_surge(
    world: World,
    rng: random.Random,
    record: ChainRecord,
    person: Person,
    start: datetime,
    ip: str,
    targets: list[Mailbox],
) -> None:
    for index, recipient in enumerate(targets):
        moment = start + timedelta(seconds=index * 11 + rng.randint(0, 5))
        message = _surge_message(rng, person.mailbox, recipient, moment, ip, "outbound")
        deliver(world, message)
        record.external_message_ids.append(message.message_id)
    record.step(start, person.address, f"lure link sent to {len(targets)} customers and vendors")


def chain_truth(world: World, plan: ChainPlan, record: ChainRecord) -> dict[str, Any]:
    """Return the chain's part of truth.json."""
    assert record.origin is not None
    return {
        "d0": plan.d0.isoformat(),
        "patient_zero": plan.patient_zero.address,
        "lure_recipients": [p.address for p in plan.lure_recipients],
        "sign_in_ids": record.sign_in_ids,
        "file_access_ids": record.file_access_ids,
        "mail_items_accessed_ids": record.mail_items_accessed_ids,
        "inbox_rule_ids": record.inbox_rule_ids,
        "internal_message_ids": record.internal_message_ids,
        "external_message_ids": record.external_message_ids,
        "steps": sorted(record.steps, key=lambda s: s["time"]),
    }
