"""Benign scenarios: heavier look-alike activity, and no compromise.

Each scenario has a plan step that runs before the routine (travel, egress and address
habits the routine honours) and a step that runs after it (extra mail and file reads).
Both return nothing; :func:`run_benign` returns the truth entries in the same shape as
:func:`chainwatch.simulate.lookalikes.add_lookalikes`.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Any

from stdnum import iban

from chainwatch.simulate import content
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import deliver
from chainwatch.simulate.tenant import (
    CLIENTS,
    CORPORATE_VPN_IPS,
    OFFICE_IPS,
    ORG_DOMAIN,
    Mailbox,
    Network,
    Person,
    Vendor,
)
from chainwatch.simulate.world import Trip, World, uk_utc_offset_hours

TRIPS = (
    ("Madrid", Trip(Network("hotel", 64503, "ES", "Madrid", "Madrid"), ("198.51.100.72",), 2, 2)),
    (
        "New York",
        Trip(Network("hotel", 64503, "US", "New York", "New York"), ("198.51.100.73",), 8, -4),
    ),
    ("Dubai", Trip(Network("hotel", 64504, "AE", "Dubai", "Dubai"), ("198.51.100.74",), 7, 4)),
    (
        "Singapore",
        Trip(Network("hotel", 64504, "SG", "Singapore", "Singapore"), ("198.51.100.75",), 13, 8),
    ),
    (
        "Toronto",
        Trip(Network("hotel", 64503, "CA", "Ontario", "Toronto"), ("198.51.100.76",), 8, -4),
    ),
)
CLOUD_PROXY = Network("cloud-proxy", 64506, "DE", "Hesse", "Frankfurt am Main")
CLOUD_PROXY_IPS = tuple(f"203.0.113.{n}" for n in range(160, 168))
SAAS_HOST = "app.tasklane.example"
SHARED_MAILBOXES = (
    (Mailbox("Example Ltd Support", f"support@{ORG_DOMAIN}"), "203.0.113.22"),
    (Mailbox("Example Ltd Orders", f"orders@{ORG_DOMAIN}"), "203.0.113.23"),
    (Mailbox("Example Ltd Service Alerts", f"alerts@{ORG_DOMAIN}"), "203.0.113.24"),
)


def _free_people(world: World) -> list[Person]:
    """Return people with no planned travel, leave or chain role, in tenant order."""
    busy = world.protected | set(world.travel) | set(world.leave)
    return [p for p in world.tenant.people if p.address not in busy]


def plan_benign(world: World, name: str, rng: random.Random) -> None:
    """Set the habits the routine honours for benign scenario ``name``."""
    if name == "travel-plausible":
        _plan_trips(world, rng)
    elif name == "vpn-and-cloud-proxy-egress":
        _plan_egress(world, rng)
    elif name == "mobile-and-ipv6-churn":
        _plan_churn(world, rng)


def run_benign(world: World, name: str, rng: random.Random) -> list[dict[str, Any]]:
    """Generate the post-routine activity of benign scenario ``name``; return truth entries."""
    if name == "travel-plausible":
        return [_trips_entry(world)]
    if name == "vpn-and-cloud-proxy-egress":
        return [_egress_entry(world)]
    if name == "mobile-and-ipv6-churn":
        return [_churn_entry(world)]
    if name == "bulk-shared-mailboxes":
        return [_shared_mailboxes(world, rng)]
    if name == "month-end-invoices":
        return [_month_end(world, rng)]
    if name == "saas-adoption":
        return [_saas_adoption(world, rng)]
    raise ValueError(f"no benign generator for scenario {name!r}")


def _plan_trips(world: World, rng: random.Random) -> None:
    travellers = rng.sample(_free_people(world), k=len(TRIPS))
    working = world.working_days()
    for index, (person, (_, trip)) in enumerate(zip(travellers, TRIPS, strict=True)):
        first = working[(index * 4 + 2) % max(1, len(working) - 5)]
        world.travel[person.address] = {first + timedelta(days=i) for i in range(rng.randint(3, 4))}
        world.trips[person.address] = trip
        world.protected.add(person.address)


def _trips_entry(world: World) -> dict[str, Any]:
    trips = []
    for address, trip in world.trips.items():
        city = next(name for name, known in TRIPS if known == trip)
        ids = [
            r["id"]
            for r in world.timeline.sign_ins
            if r["userPrincipalName"] == address and r["ipAddress"] in trip.ips
        ]
        days = sorted(world.travel[address])
        trips.append(
            {
                "account": address,
                "destination": city,
                "country": trip.network.country,
                "flight_hours": trip.flight_hours,
                "dates": [d.isoformat() for d in days],
                "sign_in_ids": ids,
            }
        )
    return {
        "name": "travel-plausible",
        "accounts": sorted(world.trips),
        "description": (
            f"{len(trips)} people fly abroad after a morning sign-in from home and sign in "
            "from a hotel network with their usual client once the flight has landed."
        ),
        "trips": trips,
    }


def _plan_egress(world: World, rng: random.Random) -> None:
    people = _free_people(world)
    rng.shuffle(people)
    half = len(world.tenant.people) // 2
    for person in people[:half]:
        world.egress[person.address] = (CLOUD_PROXY, CLOUD_PROXY_IPS)
    for person in people[half : half + 12]:
        person.vpn_user = True


def _egress_entry(world: World) -> dict[str, Any]:
    ids = [r["id"] for r in world.timeline.sign_ins if r["ipAddress"] in CLOUD_PROXY_IPS]
    vpn = [r for r in world.timeline.sign_ins if r["ipAddress"] in CORPORATE_VPN_IPS]
    return {
        "name": "vpn-and-cloud-proxy-egress",
        "accounts": sorted(world.egress),
        "description": (
            f"{len(world.egress)} people work from home through a cloud proxy whose exit is "
            "in Germany (203.0.113.160-167, ASN 64506), not labelled in chainwatch.toml; "
            f"{sum(p.vpn_user for p in world.tenant.people)} people use the corporate VPN."
        ),
        "network": "203.0.113.160/29",
        "sign_in_count": len(ids),
        "vpn_sign_in_count": len(vpn),
    }


def _plan_churn(world: World, rng: random.Random) -> None:
    phone = CLIENTS["ios-outlook"]
    for person in world.tenant.people:
        if rng.random() < 0.8 and not person.mobile:
            person.clients = (*person.clients, phone)
            person.mobile = True
        if ":" in person.home_ip or rng.random() < 0.5:
            world.ipv6_churn.add(person.address)


def _churn_entry(world: World) -> dict[str, Any]:
    accounts = sorted(world.ipv6_churn)
    addresses = {r["ipAddress"] for r in world.timeline.sign_ins if ":" in r["ipAddress"]}
    return {
        "name": "mobile-and-ipv6-churn",
        "accounts": accounts,
        "description": (
            "Phones get a new carrier IPv6 address every session, up to four a day, and "
            f"{len(accounts)} home workers get a new temporary IPv6 address (RFC 8981) each "
            "day in a /64 that changes weekly."
        ),
        "distinct_ipv6_addresses": len(addresses),
    }


def _shared_mailboxes(world: World, rng: random.Random) -> dict[str, Any]:
    tenant = world.tenant
    audiences = (
        list(tenant.customers) + tenant.subscribers[:100],
        list(tenant.customers),
        tenant.subscribers,
    )
    counts: dict[str, int] = {}
    for day in world.working_days():
        for (mailbox, ip), audience in zip(SHARED_MAILBOXES, audiences, strict=True):
            local = mailbox.address.split("@")[0]
            recipients = rng.sample(audience, k=min(len(audience), rng.randint(120, 220)))
            start = world.utc(day, 7 if local == "alerts" else 9, rng.randint(0, 59))
            for offset, recipient in enumerate(recipients):
                reference = f"{rng.randint(100000, 999999)}"
                _send(
                    world,
                    rng,
                    mailbox,
                    (recipient,),
                    start + timedelta(seconds=offset * 20),
                    ip,
                    f"[{local.title()} #{reference}] Update on your request",
                    (f"https://{local}.{ORG_DOMAIN}/r/{reference}", "View the update"),
                )
            counts[mailbox.address] = counts.get(mailbox.address, 0) + len(recipients)
    return {
        "name": "bulk-shared-mailboxes",
        "accounts": sorted(counts),
        "description": (
            "support@, orders@ and alerts@ each send 120-220 one-recipient messages to "
            "customers and subscribers every working day, with a link to their own host."
        ),
        "message_counts": counts,
    }


def _send(
    world: World,
    rng: random.Random,
    sender: Mailbox,
    to: tuple[Mailbox, ...],
    moment: Any,
    ip: str,
    subject: str,
    link: tuple[str, str],
    direction: str = "",
) -> Message:
    inside = all(m.domain == ORG_DOMAIN for m in to)
    message = Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=sender,
        to=to,
        subject=subject,
        paragraphs=content.paragraphs(rng, content.first_name(to[0]), sender.name),
        links=(link,),
        direction=direction or ("internal" if inside else "outbound"),
        sending_ip=ip,
        sender_utc_offset_minutes=60 * uk_utc_offset_hours(moment.date()),
    )
    return deliver(world, message)


def _month_end(world: World, rng: random.Random) -> dict[str, Any]:
    tenant = world.tenant
    finance = sorted(tenant.by_department("Finance"), key=lambda p: p.address)
    payer = finance[0]
    contacts = [c for v in tenant.vendors for c in v.contacts]
    file_ids: list[str] = []
    replies: list[str] = []
    runs = world.month_end_runs()
    for day in runs:
        session = world.main_session(payer.address, day)
        ip = session.ip if session else OFFICE_IPS[0]
        start = world.utc(day, 14, 0)
        for offset, contact in enumerate(contacts):
            reference = f"RA-{day:%Y%m}-{offset + 1:03d}"
            _send(
                world,
                rng,
                payer.mailbox,
                (contact,),
                start + timedelta(seconds=offset * 15),
                ip,
                f"Remittance advice - {day:%B %Y}",
                (f"https://billing.{ORG_DOMAIN}/remittance/{reference}", "View remittance"),
            )
        file_ids += _month_end_reads(world, rng, finance, day)
        replies += _vendor_receipts(world, payer, day)
    return {
        "name": "month-end-invoices-finance",
        "accounts": [payer.address, *(p.address for p in finance[1:])],
        "description": (
            f"On each of {len(runs)} month ends {payer.address} sends a remittance advice "
            f"with a billing-portal link to all {len(contacts)} vendor contacts, and Finance "
            "reads the bank-details and invoice registers many times, on top of the "
            "invoice run. Each vendor's accounts mailbox replies in the remittance thread, "
            "naming the IBAN it is always paid into."
        ),
        "dates": [d.isoformat() for d in runs],
        "file_access_ids": file_ids,
        "message_ids": replies,
    }


def vendor_iban(vendor: Vendor) -> str:
    """Return the vendor's own IBAN: a valid GB number derived from its domain."""
    digits = int(hashlib.sha256(vendor.domain.encode()).hexdigest(), 16) % 10**14
    bban = f"EXMP{digits:014d}"
    check = iban.calc_check_digits(f"GB00{bban}")
    return iban.format(f"GB{check}{bban}")


def _vendor_receipts(world: World, payer: Person, day: date) -> list[str]:
    """Let each vendor's accounts mailbox confirm the remittance, naming its usual IBAN."""
    rng = world.rng(f"month-end-receipts-{day.isoformat()}")
    ids = []
    for vendor in world.tenant.vendors:
        sender = next((c for c in vendor.contacts if c.address.startswith("accounts@")), None)
        if sender is None:
            continue
        moment = world.utc(day + timedelta(days=1), 9, rng.randint(0, 59))
        message = content.inbound_message(
            rng,
            moment,
            vendor,
            sender,
            (payer.mailbox,),
            f"RE: Remittance advice - {day:%B %Y}",
            (),
            text=(
                f"Hello {content.first_name(payer.mailbox)},",
                "Thank you for the remittance advice. The payment is due into our usual "
                f"account, IBAN {vendor_iban(vendor)}, as on every invoice.",
                f"Kind regards,\n{sender.name}",
            ),
        )
        deliver(world, message)
        ids.append(message.message_id)
    return ids


def _month_end_reads(
    world: World, rng: random.Random, finance: list[Person], day: date
) -> list[str]:
    ids = []
    names = ("Bank-Details-Vendors.xlsx", "Invoices-Register.xlsx", "Payroll-Summary.xlsx")
    for person in finance:
        session = world.main_session(person.address, day)
        if session is None:
            continue
        moment = session.start + timedelta(hours=5)
        for _ in range(rng.randint(10, 25)):
            moment += timedelta(seconds=rng.randint(40, 200))
            record = world.factory.file_access(
                moment,
                person.address,
                session.ip,
                session.client,
                "Finance",
                rng.choice(names),
                download=rng.random() < 0.3,
            )
            ids.append(record["Id"])
    return ids


def _saas_adoption(world: World, rng: random.Random) -> dict[str, Any]:
    tenant = world.tenant
    first_day = world.start + timedelta(days=14)
    vendor_of = {c.address: v for v in tenant.vendors for c in v.contacts}
    counts = {"internal": 0, "inbound": 0, "outbound": 0}
    for day in [d for d in world.working_days() if d >= first_day]:
        for person in rng.sample(tenant.people, k=len(tenant.people) // 3):
            session = world.main_session(person.address, day)
            if session is None:
                continue
            moment = session.start + timedelta(minutes=rng.randint(20, 300))
            board = (f"https://{SAAS_HOST}/b/{rng.getrandbits(40):010x}", "Open the board")
            if rng.random() < 0.7:
                others = [p for p in tenant.people if p is not person]
                to = tuple(p.mailbox for p in rng.sample(others, k=rng.randint(1, 4)))
                _send(world, rng, person.mailbox, to, moment, session.ip, "Tasklane board", board)
                counts["internal"] += 1
            else:
                contact = rng.choice(person.contacts)
                subject = "Shared Tasklane board"
                _send(world, rng, person.mailbox, (contact,), moment, session.ip, subject, board)
                counts["outbound"] += 1
        for person in rng.sample(tenant.people, k=len(tenant.people) // 6):
            contact = rng.choice(person.contacts)
            vendor = vendor_of[contact.address]
            invite = (f"https://{SAAS_HOST}/invite/{rng.getrandbits(48):012x}", "Join the board")
            moment = world.utc(day, rng.randint(9, 16), rng.randint(0, 59))
            message = content.inbound_message(
                rng, moment, vendor, contact, (person.mailbox,), "Invitation to Tasklane", (invite,)
            )
            deliver(world, message)
            counts["inbound"] += 1
    return {
        "name": "saas-adoption",
        "accounts": sorted(p.address for p in tenant.people),
        "description": (
            f"From {first_day} staff and vendors send links to {SAAS_HOST}, a host nobody "
            "mentioned before, inside and outside the organisation: a newly adopted tool."
        ),
        "host": SAAS_HOST,
        "first_day": first_day.isoformat(),
        "message_counts": counts,
    }
