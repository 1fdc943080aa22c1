"""Benign activity that a naive rule would flag: travel, VPN, bulk mail, rules, forwarding.

:func:`plan_lookalikes` runs before the routine (which honours travel, leave and VPN use)
and :func:`add_lookalikes` after it. Each look-alike is returned as a truth entry with
the accounts involved and the record ids that show it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from chainwatch.simulate import content
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import deliver, newsletter_readers
from chainwatch.simulate.tenant import (
    CORPORATE_VPN_IPS,
    FILE_SHARING_HOST,
    HOTEL_IPS,
    OFFICE_IPS,
    ORG_DOMAIN,
    Person,
)
from chainwatch.simulate.world import World, uk_utc_offset_hours

VPN_USER_COUNT = 12
TIDY_RULE_USERS = 6


def _next_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def plan_lookalikes(world: World, rng: random.Random) -> None:
    """Choose the traveller, the person on leave and the VPN users, avoiding chain accounts."""
    candidates = [p for p in world.tenant.people if p.address not in world.protected]
    chosen = rng.sample(candidates, k=2 + VPN_USER_COUNT)
    traveller, on_leave = chosen[0], chosen[1]

    trip_start = _next_monday(world.day(world.days // 4))
    world.travel[traveller.address] = {trip_start + timedelta(days=i) for i in range(4)}

    leave_start = _next_monday(world.day(world.days * 2 // 5))
    world.leave[on_leave.address] = {leave_start + timedelta(days=i) for i in range(5)}

    for person in chosen[2:]:
        person.vpn_user = True
    world.protected.update({traveller.address, on_leave.address})


def add_lookalikes(world: World) -> list[dict[str, Any]]:
    """Generate the look-alikes that happen after the routine and return their truth entries."""
    rng = world.rng("lookalikes")
    return [
        _travel_entry(world),
        _vpn_entry(world),
        _mobile_entry(world),
        weekly_newsletter(world, rng),
        month_end_invoices(world, rng),
        tidy_up_rules(world, rng),
        leave_forwarding(world, rng),
        new_vendor(world, rng),
        known_vendor_file_share(world, rng),
    ]


def _sign_in_ids(world: World, predicate: Any) -> list[str]:
    return [r["id"] for r in world.timeline.sign_ins if predicate(r)]


def _travel_entry(world: World) -> dict[str, Any]:
    address, days = next(iter(world.travel.items()))
    trip = sorted(days)
    ids = _sign_in_ids(world, lambda r: r["ipAddress"] in HOTEL_IPS)
    home, hotel = world.sessions[(address, trip[0])][:2]
    gap_hours = (hotel.start - home.start).total_seconds() / 3600
    return {
        "name": "travel",
        "accounts": [address],
        "description": (
            f"Business trip to the US from {trip[0]} to {trip[-1]}: sign-ins from a hotel "
            f"network (ASN 64505) with the traveller's usual client. The first one comes "
            f"{gap_hours:.0f} hours after the last sign-in from home, time enough to fly."
        ),
        "dates": [d.isoformat() for d in trip],
        "sign_in_ids": ids,
    }


def _vpn_entry(world: World) -> dict[str, Any]:
    users = sorted(p.address for p in world.tenant.people if p.vpn_user)
    ids = _sign_in_ids(world, lambda r: r["ipAddress"] in CORPORATE_VPN_IPS)
    return {
        "name": "corporate-vpn",
        "accounts": users,
        "description": (
            "Home workers sign in through the corporate VPN, whose exit is in the Netherlands "
            "(203.0.113.192/27, ASN 64502, labelled corporate-vpn in chainwatch.toml)."
        ),
        "network": "203.0.113.192/27",
        "sign_in_count": len(ids),
    }


def _mobile_entry(world: World) -> dict[str, Any]:
    users = sorted(p.address for p in world.tenant.people if p.mobile)
    return {
        "name": "mobile-carrier-churn",
        "accounts": users,
        "description": (
            "Outlook for iOS users get a new IPv6 address in 2001:db8:2000::/36 (ASN 64500) "
            "every day; the address is new but the carrier, country and client are not."
        ),
        "network": "2001:db8:2000::/36",
    }


def weekly_newsletter(world: World, rng: random.Random) -> dict[str, Any]:
    """Send news@ to all staff and 300 outside subscribers every Monday, one copy each."""
    tenant = world.tenant
    audience = [p.mailbox for p in tenant.people] + tenant.subscribers
    message_ids = []
    for day in world.dates:
        if day.weekday() != 0:
            continue
        start = world.utc(day, 7, 0)
        for offset, recipient in enumerate(audience):
            token = f"{rng.getrandbits(64):016x}"
            message = Message(
                message_id=content.org_message_id(rng),
                time=start + timedelta(seconds=offset // 4),
                sender=tenant.news,
                to=(recipient,),
                subject=f"Example Ltd weekly news - {day.strftime('%d %B %Y')}",
                paragraphs=(
                    "This week at Example Ltd.",
                    "Our autumn product range is now available.",
                    "You receive this newsletter because you subscribed to it.",
                ),
                links=((f"https://www.{ORG_DOMAIN}/news/{day.isoformat()}", "Read the news"),),
                direction="internal" if recipient.domain == ORG_DOMAIN else "outbound",
                sending_ip="203.0.113.20",
                sender_utc_offset_minutes=60 * uk_utc_offset_hours(day),
                unsubscribe_url=f"https://www.{ORG_DOMAIN}/newsletter/unsubscribe/{token}",
            )
            deliver(world, message)
            message_ids.append(message.message_id)
    return {
        "name": "weekly-newsletter",
        "accounts": [tenant.news.address],
        "description": (
            "news@example.com sends the weekly newsletter every Monday at 07:00 UTC, one "
            f"copy per recipient, to all {len(tenant.people)} staff and "
            f"{len(tenant.subscribers)} outside subscribers, with List-Unsubscribe."
        ),
        "message_count": len(message_ids),
    }


def month_end_invoices(world: World, rng: random.Random) -> dict[str, Any]:
    """Send one invoice to every customer on the last business day of each month."""
    tenant = world.tenant
    runs = world.month_end_runs()
    for day in runs:
        start = world.utc(day, 16, 0)
        for number, customer in enumerate(tenant.customers, start=1):
            reference = f"INV-{day:%Y-%m}-{number:04d}"
            deliver(
                world,
                Message(
                    message_id=content.org_message_id(rng),
                    time=start + timedelta(seconds=number * 7),
                    sender=tenant.invoices,
                    to=(customer,),
                    subject=f"Invoice {reference} from Example Ltd",
                    paragraphs=(
                        "Dear customer,",
                        f"Your invoice {reference} for {day:%B %Y} is ready.",
                        "Payment terms are 30 days from the invoice date.",
                        "Accounts Receivable, Example Ltd",
                    ),
                    links=((f"https://billing.{ORG_DOMAIN}/invoices/{reference}", "View invoice"),),
                    direction="outbound",
                    sending_ip="203.0.113.21",
                    sender_utc_offset_minutes=60 * uk_utc_offset_hours(day),
                ),
            )
    return {
        "name": "month-end-invoices",
        "accounts": [tenant.invoices.address],
        "description": (
            f"invoices@example.com sends one invoice each to {len(tenant.customers)} customers "
            "from 16:00 local time on the last business day of each month."
        ),
        "dates": [d.isoformat() for d in runs],
    }


def tidy_up_rules(world: World, rng: random.Random) -> dict[str, Any]:
    """Let a few people file or delete a vendor newsletter with an inbox rule."""
    newsletters = [v for v in world.tenant.vendors if v.newsletter]
    made: list[tuple[str, str]] = []
    days = world.working_days()
    for vendor in newsletters:
        readers = [p for p in newsletter_readers(world, vendor) if p.address not in world.protected]
        rng.shuffle(readers)
        for person in readers:
            if len(made) >= TIDY_RULE_USERS or any(a == person.address for a, _ in made):
                continue
            day = rng.choice(days[2:-2])
            session = world.main_session(person.address, day)
            if session is None:
                continue
            moment = session.start + timedelta(minutes=rng.randint(5, 90))
            assert vendor.newsletter is not None
            delete = rng.random() < 0.4
            actions = [("DeleteMessage", "True")] if delete else [("MoveToFolder", "Newsletters")]
            record = world.factory.inbox_rule(
                moment,
                person.address,
                session.ip,
                f"{vendor.display} newsletter",
                [("From", vendor.newsletter.address)],
                [*actions, ("StopProcessingRules", "False")],
            )
            made.append((person.address, record["Id"]))
    return {
        "name": "tidy-up-rules",
        "accounts": sorted(a for a, _ in made),
        "description": (
            "People create inbox rules that move a vendor newsletter to a Newsletters folder or "
            "delete it, from their usual address and client, with no keyword conditions."
        ),
        "audit_ids": [record_id for _, record_id in made],
    }


def leave_forwarding(world: World, rng: random.Random) -> dict[str, Any]:
    """Forward a person's mail to a colleague during leave, set and removed by the helpdesk."""
    tenant = world.tenant
    address, days = next(iter(world.leave.items()))
    person = world.person(address)
    colleagues = [
        p
        for p in tenant.people
        if p.department == person.department
        and p is not person
        and p.address not in world.protected
    ] or [p for p in tenant.people if p is not person and p.address not in world.protected]
    cover = rng.choice(colleagues)

    first, last = min(days), max(days)
    set_day = first - timedelta(days=3 if first.weekday() == 0 else 1)
    clear_day = last + timedelta(days=3 if last.weekday() == 4 else 1)
    admin = tenant.helpdesk_admin.address
    ids = []

    for day, forwarding, moment in (
        (set_day, cover.address, world.utc(set_day, 16, 35)),
        (clear_day, "", world.utc(clear_day, 8, 50)),
    ):
        session = world.sessions.get((admin, day), [None])[0]
        ip = session.ip if session else OFFICE_IPS[0]
        record = world.factory.exchange_cmdlet(
            moment,
            admin,
            ip,
            "Set-Mailbox",
            f"{ORG_DOMAIN}/{address.split('@')[0]}",
            [
                ("Identity", address),
                ("ForwardingAddress", forwarding),
                ("DeliverToMailboxAndForward", "True" if forwarding else "False"),
            ],
        )
        ids.append(record["Id"])

    return {
        "name": "admin-forwarding",
        "accounts": [admin, address, cover.address],
        "description": (
            f"helpdesk-admin@example.com forwards {address} to colleague {cover.address} "
            f"with Set-Mailbox from the office network while {address} is on leave "
            f"({first} to {last}), and removes the forwarding afterwards."
        ),
        "audit_ids": ids,
    }


def new_vendor(world: World, rng: random.Random) -> dict[str, Any]:
    """Start mail from a vendor never seen before, in the last two weeks, with replies."""
    vendor = world.tenant.new_vendor
    contact = vendor.contacts[0]
    candidates = [p for p in world.tenant.people if p.address not in world.protected]
    recipients = rng.sample(candidates, k=3)
    days = [d for d in world.working_days() if d > world.end - timedelta(days=14)]
    message_ids = []
    for index, day in enumerate(days[:: max(1, len(days) // 5)][:5]):
        person = recipients[index % len(recipients)]
        link = (
            f"https://{vendor.portal_host}/share/{rng.getrandbits(40):010x}/onboarding-pack.pdf",
            "Onboarding pack",
        )
        incoming = content.inbound_message(
            rng,
            world.utc(day, 10, rng.randint(0, 59)),
            vendor,
            contact,
            (person.mailbox,),
            "Welcome to Lanternfield Data - onboarding pack" if index == 0 else "Next steps",
            (link,),
        )
        deliver(world, incoming)
        message_ids.append(incoming.message_id)
        session = world.main_session(person.address, day)
        if session is not None:
            reply = Message(
                message_id=content.org_message_id(rng),
                time=max(incoming.time, session.start) + timedelta(minutes=rng.randint(20, 90)),
                sender=person.mailbox,
                to=(contact,),
                subject=f"Re: {incoming.subject}",
                paragraphs=content.paragraphs(
                    rng, content.first_name(contact), person.mailbox.name
                ),
                links=(),
                direction="outbound",
                sending_ip=session.ip,
                sender_utc_offset_minutes=60 * uk_utc_offset_hours(day),
                in_reply_to=incoming.message_id,
            )
            deliver(world, reply)
            message_ids.append(reply.message_id)
    return {
        "name": "new-vendor",
        "accounts": sorted(p.address for p in recipients),
        "description": (
            f"A new supplier, {vendor.domain}, starts mailing in the last two weeks with links "
            f"to its own new host {vendor.portal_host}, and staff reply to it."
        ),
        "domain": vendor.domain,
        "host": vendor.portal_host,
        "message_ids": message_ids,
    }


def known_vendor_file_share(world: World, rng: random.Random) -> dict[str, Any]:
    """Send file-sharing links from several vendors, then once from a vendor new to the host."""
    tenant = world.tenant
    sharers = tenant.vendors[7:10]
    newcomer = tenant.vendors[10]
    candidates = [p for p in tenant.people if p.address not in world.protected]
    days = world.working_days()

    # Every third working day in the first 60% of the period, one of three vendors.
    recipients: set[str] = set()
    for index, day in enumerate(days[1 : len(days) * 3 // 5 : 3]):
        vendor = sharers[index % len(sharers)]
        person = rng.choice(candidates)
        _file_share_message(world, rng, vendor, person, day)
        recipients.add(person.address)

    person = rng.choice(candidates)
    final = _file_share_message(world, rng, newcomer, person, days[len(days) * 3 // 4])
    return {
        "name": "known-vendor-file-share",
        "accounts": [person.address],
        "description": (
            f"{newcomer.domain}, a known vendor, sends a link to {FILE_SHARING_HOST}, a "
            f"file-sharing host that {len(recipients)} staff already received links to from "
            "other vendors."
        ),
        "host": FILE_SHARING_HOST,
        "message_id": final.message_id,
        "earlier_recipients": sorted(recipients),
    }


def _file_share_message(
    world: World, rng: random.Random, vendor: Any, person: Person, day: date
) -> Message:
    sender = vendor.contacts[0]
    link = (
        f"https://{FILE_SHARING_HOST}/s/{rng.getrandbits(48):012x}",
        "Download the files",
    )
    moment: datetime = world.utc(day, 11, rng.randint(0, 59))
    message = content.inbound_message(
        rng, moment, vendor, sender, (person.mailbox,), "Files for your review", (link,)
    )
    return deliver(world, message)
