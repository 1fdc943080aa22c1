"""Ordinary working days: sign-in sessions, file reads, mailbox reads and daily mail."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from chainwatch.simulate import content
from chainwatch.simulate.records import INVALID_PASSWORD, Message
from chainwatch.simulate.tenant import (
    CLIENTS,
    CORPORATE_VPN,
    CORPORATE_VPN_IPS,
    ESP_IPS,
    HOTEL,
    HOTEL_IPS,
    MOBILE_ASN,
    OFFICE,
    OFFICE_IPS,
    Mailbox,
    Network,
    Person,
    Vendor,
)
from chainwatch.simulate.world import Session, World, uk_utc_offset_hours

CLIENT_INFO = {
    "Browser": "Client=OWA;Action=ViaProxy",
    "Mobile Apps and Desktop clients": "Client=MSExchangeRPC",
}


def run_routine(world: World) -> None:
    """Generate every ordinary day of the period for every account."""
    session_rng = world.rng("sessions")
    mail_rng = world.rng("mail")
    activity_rng = world.rng("activity")
    for day in world.dates:
        for person in world.tenant.people:
            sessions = plan_sessions(world, person, day, session_rng)
            world.sessions[(person.address, day)] = sessions
            for session in sessions:
                sign_in_for_session(world, person.mailbox, person.user_id, session, session_rng)
        admin_session(world, day, session_rng)
        if day.weekday() < 5:
            daily_mail(world, day, mail_rng)
        weekly_mail(world, day, mail_rng)
        for person in world.tenant.people:
            session_activity(world, person, day, activity_rng)


def home_network(person: Person) -> Network:
    return Network("home", person.home_asn, "GB", person.home_state, person.home_city)


def mobile_address(rng: random.Random) -> str:
    """Return a fresh carrier IPv6 address in 2001:db8:2000::/36, as phones get daily."""
    return (
        f"2001:db8:2{rng.randrange(0x1000):03x}:{rng.randrange(0x10000):x}:"
        f"{rng.randrange(0x10000):x}:{rng.randrange(0x10000):x}:{rng.randrange(1, 0x10000):x}:1"
    )


def plan_sessions(world: World, person: Person, day: date, rng: random.Random) -> list[Session]:
    """Decide where, when and with what client a person works on ``day``."""
    if day in world.leave.get(person.address, set()):
        return []
    if day in world.travel.get(person.address, set()):
        return _travel_sessions(world, person, day, rng)

    sessions: list[Session] = []
    if day.weekday() < 5:
        start = world.utc(day, 8, rng.randint(0, 59), rng.randint(0, 59))
        start += timedelta(minutes=rng.randint(0, 40))
        end = world.utc(day, 17, rng.randint(0, 59)) + timedelta(minutes=rng.randint(0, 60))
        client = rng.choice(person.desk_clients)
        if day.weekday() in person.office_weekdays:
            sessions.append(Session(start, end, rng.choice(OFFICE_IPS), OFFICE, client))
        elif person.address in world.egress:
            network, ips = world.egress[person.address]
            sessions.append(Session(start, end, rng.choice(ips), network, client))
        elif person.vpn_user and rng.random() < 0.7:
            ip = rng.choice(CORPORATE_VPN_IPS)
            sessions.append(Session(start, end, ip, CORPORATE_VPN, client))
        elif person.address in world.ipv6_churn:
            ip = privacy_address(person, day, rng)
            sessions.append(Session(start, end, ip, home_network(person), client))
        else:
            sessions.append(Session(start, end, person.home_ip, home_network(person), client))

    if person.mobile and (day.weekday() < 5 or rng.random() < 0.5):
        network = Network("mobile", MOBILE_ASN, "GB", person.home_state, person.home_city)
        start = world.utc(day, rng.choice((7, 12, 19)), rng.randint(0, 59), rng.randint(0, 59))
        end = start + timedelta(minutes=rng.randint(10, 50))
        sessions.append(Session(start, end, mobile_address(rng), network, CLIENTS["ios-outlook"]))
        if person.address in world.ipv6_churn:
            # Phones that roam between cells and Wi-Fi get a new address every session.
            for hour in rng.sample((9, 11, 14, 16, 21), k=rng.randint(1, 3)):
                start = world.utc(day, hour, rng.randint(0, 59), rng.randint(0, 59))
                end = start + timedelta(minutes=rng.randint(5, 30))
                client = CLIENTS["ios-outlook"]
                sessions.append(Session(start, end, mobile_address(rng), network, client))
    return sessions


def privacy_address(person: Person, day: date, rng: random.Random) -> str:
    """Return a temporary IPv6 address (RFC 8981) in the person's home ISP prefix.

    The /64 prefix is stable within an ISO week, as residential ISPs renumber rarely,
    and the interface id is new every call.
    """
    prefix = random.Random(f"{person.address}:{day.isocalendar()[:2]}").randrange(0x1000)
    return (
        f"2001:db8:1{prefix:03x}:{person.home_asn % 0x10000:x}:"
        f"{rng.randrange(0x10000):x}:{rng.randrange(0x10000):x}:"
        f"{rng.randrange(0x10000):x}:{rng.randrange(1, 0x10000):x}"
    )


def _travel_sessions(world: World, person: Person, day: date, rng: random.Random) -> list[Session]:
    client = person.desk_clients[0]
    if person.address in world.trips:
        return _trip_sessions(world, person, day, rng)
    hotel_ip = rng.choice(HOTEL_IPS)
    trip = sorted(world.travel[person.address])
    sessions = []
    if day == trip[0]:
        # A short session at home before an 11:00 flight, then the hotel in the evening.
        start = world.utc(day, 6, rng.randint(0, 30))
        sessions.append(
            Session(
                start, start + timedelta(minutes=25), person.home_ip, home_network(person), client
            )
        )
        start = datetime(day.year, day.month, day.day, 21, rng.randint(0, 40), tzinfo=UTC)
        sessions.append(Session(start, start + timedelta(hours=2), hotel_ip, HOTEL, client))
    else:
        start = datetime(day.year, day.month, day.day, 13, rng.randint(20, 59), tzinfo=UTC)
        sessions.append(Session(start, start + timedelta(hours=8), hotel_ip, HOTEL, client))
    return sessions


def _trip_sessions(world: World, person: Person, day: date, rng: random.Random) -> list[Session]:
    """Plan a day of a trip with a flight: home before a 10:00-12:00 UK departure, then away."""
    trip = world.trips[person.address]
    client = person.desk_clients[0]
    days = sorted(world.travel[person.address])
    sessions = []
    if day == days[0]:
        start = world.utc(day, 6, rng.randint(0, 30))
        home = home_network(person)
        sessions.append(Session(start, start + timedelta(minutes=25), person.home_ip, home, client))
        departure = world.utc(day, rng.randint(10, 12), rng.randint(0, 59))
        start = departure + timedelta(hours=trip.flight_hours, minutes=rng.randint(60, 150))
        sessions.append(
            Session(start, start + timedelta(hours=2), rng.choice(trip.ips), trip.network, client)
        )
    else:
        local_nine = datetime(day.year, day.month, day.day, 9, rng.randint(0, 45), tzinfo=UTC)
        start = local_nine - timedelta(hours=trip.utc_offset_hours)
        sessions.append(
            Session(start, start + timedelta(hours=8), rng.choice(trip.ips), trip.network, client)
        )
    return sessions


def sign_in_for_session(
    world: World, account: Mailbox, user_id: str, session: Session, rng: random.Random
) -> None:
    """Write the interactive sign-in that opens a session and the token refreshes during it."""
    factory = world.factory
    interactive = session.client.key != "ios-outlook" or rng.random() < 0.2
    if interactive and rng.random() < 0.04:
        mistyped = session.start - timedelta(seconds=rng.randint(20, 90))
        factory.sign_in(
            mistyped,
            account,
            user_id,
            session.ip,
            session.network,
            session.client,
            error_code=INVALID_PASSWORD,
        )
    first = factory.sign_in(
        session.start,
        account,
        user_id,
        session.ip,
        session.network,
        session.client,
        interactive=interactive,
    )
    span = int((session.end - session.start).total_seconds())
    for _ in range(rng.randint(0, 2) if span > 3600 else 0):
        moment = session.start + timedelta(seconds=rng.randint(1800, span))
        factory.sign_in(
            moment,
            account,
            user_id,
            session.ip,
            session.network,
            session.client,
            interactive=False,
            correlation_id=first["correlationId"],
        )


def admin_session(world: World, day: date, rng: random.Random) -> None:
    """Sign the helpdesk admin account in from the office on working days."""
    if day.weekday() >= 5:
        return
    tenant = world.tenant
    start = world.utc(day, 8, rng.randint(0, 30))
    session = Session(
        start, world.utc(day, 17, 30), rng.choice(OFFICE_IPS), OFFICE, CLIENTS["windows-chrome"]
    )
    world.sessions[(tenant.helpdesk_admin.address, day)] = [session]
    sign_in_for_session(world, tenant.helpdesk_admin, tenant.helpdesk_admin_id, session, rng)


def deliver(world: World, message: Message) -> Message:
    """Add a message to the timeline and to each org recipient's mailbox index."""
    world.timeline.messages.append(message)
    for recipient in message.recipients:
        if recipient.domain == "example.com":
            world.received.setdefault(recipient.address, []).append(
                (message.time, message.message_id)
            )
    return message


def working_moment(world: World, day: date, rng: random.Random) -> datetime:
    return world.utc(day, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))


def daily_mail(world: World, day: date, rng: random.Random) -> None:
    """Generate one working day's person-to-person mail."""
    tenant = world.tenant
    established = tenant.vendors[0]
    vendor_of = {c.address: v for v in tenant.vendors for c in v.contacts}
    for person in tenant.people:
        contacts = [c for c in person.contacts if vendor_of[c.address] is not established]
        for _ in range(rng.randint(1, 3)):
            sender = rng.choice(contacts)
            vendor = vendor_of[sender.address]
            subject = rng.choice(content.VENDOR_SUBJECTS).format(
                n=rng.randint(1000, 9999), w=day.isocalendar().week
            )
            links = [content.portal_link(rng, vendor)]
            if rng.random() < 0.15:
                links.append(content.teams_link(rng))
            deliver(
                world,
                content.inbound_message(
                    rng,
                    working_moment(world, day, rng),
                    vendor,
                    sender,
                    (person.mailbox,),
                    subject,
                    tuple(links),
                ),
            )
        sessions = world.sessions.get((person.address, day), [])
        if not sessions:
            continue
        for _ in range(rng.randint(1, 4)):
            session = rng.choice(sessions)
            span = max(60, int((session.end - session.start).total_seconds()))
            moment = session.start + timedelta(seconds=rng.randint(30, span))
            if rng.random() < 0.8:
                deliver(world, internal_message(world, person, moment, session.ip, rng))
            else:
                deliver(world, outbound_message(world, person, moment, session.ip, rng, vendor_of))


def internal_message(
    world: World, person: Person, moment: datetime, ip: str, rng: random.Random
) -> Message:
    people = world.tenant.people
    team = [p for p in people if p.department == person.department and p is not person]
    pool = team if team and rng.random() < 0.6 else [p for p in people if p is not person]
    recipients = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
    links: list[tuple[str, str]] = []
    roll = rng.random()
    if roll < 0.6:
        links.append(content.sharepoint_link(rng, person.department))
    elif roll < 0.9:
        links.append(content.teams_link(rng))
    to = tuple(p.mailbox for p in recipients[:2])
    return Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=person.mailbox,
        to=to,
        cc=tuple(p.mailbox for p in recipients[2:]),
        subject=rng.choice(content.INTERNAL_SUBJECTS),
        paragraphs=content.paragraphs(rng, content.first_name(to[0]), person.mailbox.name),
        links=tuple(links),
        direction="internal",
        sending_ip=ip,
        sender_utc_offset_minutes=60 * uk_utc_offset_hours(moment.date()),
    )


def outbound_message(
    world: World,
    person: Person,
    moment: datetime,
    ip: str,
    rng: random.Random,
    vendor_of: dict[str, Vendor],
) -> Message:
    contact = rng.choice(person.contacts)
    links = (content.teams_link(rng),) if rng.random() < 0.2 else ()
    return Message(
        message_id=content.org_message_id(rng),
        time=moment,
        sender=person.mailbox,
        to=(contact,),
        subject=rng.choice(content.OUTBOUND_SUBJECTS).format(n=rng.randint(1000, 9999)),
        paragraphs=content.paragraphs(rng, content.first_name(contact), person.mailbox.name),
        links=links,
        direction="outbound",
        sending_ip=ip,
        sender_utc_offset_minutes=60 * uk_utc_offset_hours(moment.date()),
    )


def weekly_mail(world: World, day: date, rng: random.Random) -> None:
    """Generate the established vendor's weekly statement and vendor newsletters."""
    tenant = world.tenant
    established = tenant.vendors[0]
    if day.weekday() == 1 and world.established_recipients:
        sender = next(c for c in established.contacts if c.address.startswith("accounts@"))
        moment = world.utc(day, 9, 30) + timedelta(minutes=rng.randint(0, 40))
        text = (
            "Hello,",
            "Please find this week's statement of account in our portal.",
            "From the attached statement you will see the balance carried forward.",
            f"Kind regards,\n{sender.name}",
        )
        deliver(
            world,
            content.inbound_message(
                rng,
                moment,
                established,
                sender,
                tuple(p.mailbox for p in world.established_recipients),
                f"Weekly statement - week {day.isocalendar().week}",
                (content.portal_link(rng, established),),
                text=text,
            ),
        )

    for index, vendor in enumerate(v for v in tenant.vendors if v.newsletter):
        if day.weekday() != index % 5 or vendor.newsletter is None:
            continue
        readers = newsletter_readers(world, vendor)
        moment = world.utc(day, 6, 0) + timedelta(minutes=rng.randint(0, 50))
        for offset, person in enumerate(readers):
            token = f"{rng.getrandbits(64):016x}"
            link = content.tracking_link(rng, vendor, f"news%2F{day.isoformat()}")
            deliver(
                world,
                content.inbound_message(
                    rng,
                    moment + timedelta(seconds=offset * 2),
                    vendor,
                    vendor.newsletter,
                    (person.mailbox,),
                    f"{vendor.display} news - {day.strftime('%d %b %Y')}",
                    (link,),
                    text=(
                        f"Hello {content.first_name(person.mailbox)},",
                        "Here is what's new this week.",
                        "You receive this because you subscribed to our updates.",
                    ),
                    sending_ip=ESP_IPS[index % len(ESP_IPS)],
                    unsubscribe_url=f"https://{content.ESP_HOST}/unsubscribe/{token}",
                ),
            )


def newsletter_readers(world: World, vendor: Vendor) -> list[Person]:
    """Return the staff subscribed to a vendor's newsletter: a stable subset per vendor."""
    rng = random.Random(f"{world.seed}:newsletter:{vendor.domain}")
    people = world.tenant.people
    return sorted(rng.sample(people, k=len(people) * 2 // 5), key=lambda p: p.address)


def session_activity(world: World, person: Person, day: date, rng: random.Random) -> None:
    """Write the SharePoint file reads and mailbox binds of a person's desk session."""
    session = world.main_session(person.address, day)
    if session is None:
        return
    factory = world.factory
    span = int((session.end - session.start).total_seconds())
    for _ in range(rng.randint(2, 8)):
        moment = session.start + timedelta(seconds=rng.randint(60, span))
        site = person.department if rng.random() < 0.8 else "AllStaff"
        factory.file_access(
            moment,
            person.address,
            session.ip,
            session.client,
            site,
            rng.choice(content.DOCUMENT_NAMES),
            download=rng.random() < 0.1,
        )
    for _ in range(rng.randint(1, 2)):
        moment = session.start + timedelta(seconds=rng.randint(300, span))
        read = world.received_before(person.address, moment, rng.randint(1, 4))
        if read:
            info = CLIENT_INFO[session.client.client_app_used]
            factory.mail_items_accessed(moment, person.address, session.ip, read, info)
