"""The payment-change request: a link-free reply inside a real vendor thread.

The long-established vendor's hijacked accounts@ mailbox answers the newest weekly
statement before D0, with ``RE:``, ``In-Reply-To`` and ``References`` of that statement,
asking Finance to pay into a new account. A finance user replies, and an hour later
updates the vendor bank-details workbook. With ``reply_to`` the request also carries a
``Reply-To`` on a look-alike of the vendor's domain, so the reply leaves the tenant for it.
"""

from __future__ import annotations

import random
from datetime import timedelta

from chainwatch.simulate import content
from chainwatch.simulate.attack import AttackRecord, lookalike_vendor
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import deliver
from chainwatch.simulate.storyline import ChainPlan
from chainwatch.simulate.tenant import CLIENTS, Mailbox
from chainwatch.simulate.world import World, uk_utc_offset_hours

NEW_IBAN = "GB33 BUKB 2020 1555 5555 55"
BANK_DETAILS_FILE = "Bank-Details-Vendors.xlsx"


def run_payment_change(world: World, plan: ChainPlan, *, reply_to: bool) -> AttackRecord:
    """Inject the payment-change thread and return what it produced."""
    rng = world.rng("payment-change")
    record = AttackRecord()
    vendor = world.tenant.vendors[0]
    sender = next(c for c in vendor.contacts if c.address.startswith("accounts@"))
    statement = _latest_statement(world, sender.address, plan)
    moment = world.utc(plan.d0, 11, 14, 27)
    diverted = Mailbox(sender.name, f"accounts@{lookalike_vendor(vendor).domain}")

    request = content.inbound_message(
        rng,
        moment,
        vendor,
        sender,
        statement.to,
        f"RE: {statement.subject}",
        (),
        text=(
            "Hello,",
            "Following our bank's merger we have moved our accounts, so please update our "
            "payment details before this week's payment run.",
            f"New IBAN: {NEW_IBAN}. Our sort code and account name are unchanged.",
            "Please confirm by reply once updated. The old account closes on Friday.",
            f"Kind regards,\n{sender.name}",
        ),
    )
    request.in_reply_to = statement.message_id
    request.reply_to = diverted if reply_to else None
    deliver(world, request)
    record.origin = request
    record.compromised.append(sender.address)
    record.step(moment, sender.address, "bank-details change requested in a statement thread")

    finance = world.person(statement.to[0].address)
    _confirm(world, rng, record, request, finance.address, diverted if reply_to else sender)
    return record


def _latest_statement(world: World, sender: str, plan: ChainPlan) -> Message:
    statements = [
        m
        for m in world.timeline.messages
        if m.sender.address == sender
        and m.subject.startswith("Weekly statement")
        and m.time.date() < plan.d0
    ]
    return max(statements, key=lambda m: m.time)


def _confirm(
    world: World,
    rng: random.Random,
    record: AttackRecord,
    request: Message,
    address: str,
    to: Mailbox,
) -> None:
    """Write the finance user's confirmation and the update of the bank-details workbook."""
    person = world.person(address)
    day = request.time.date()
    session = world.main_session(address, day)
    ip = session.ip if session else person.home_ip
    client = session.client if session else CLIENTS["windows-outlook"]
    moment = request.time + timedelta(minutes=rng.randint(35, 70))
    reply = Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=person.mailbox,
        to=(to,),
        subject=f"RE: {request.subject}",
        paragraphs=(
            f"Hi {content.first_name(to)},",
            "Thanks, I have updated your bank details and the next payment will go to "
            "the new account.",
            f"Kind regards,\n{person.mailbox.name}",
        ),
        links=(),
        direction="outbound",
        sending_ip=ip,
        sender_utc_offset_minutes=60 * uk_utc_offset_hours(day),
        in_reply_to=request.message_id,
        references=(request.in_reply_to,) if request.in_reply_to else (),
    )
    deliver(world, reply)
    record.message_ids.append(reply.message_id)
    record.step(moment, address, f"confirmed the change to {to.address}")

    change_time = moment + timedelta(minutes=rng.randint(50, 80))
    change = world.factory.file_access(
        change_time, address, ip, client, "Finance", BANK_DETAILS_FILE
    )
    change["Operation"] = "FileModified"
    record.other_audit_ids.append(change["Id"])
    record.step(change_time, address, f"{BANK_DETAILS_FILE} updated with the new IBAN")
