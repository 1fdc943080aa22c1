"""The simulated organisation: its people, shared mailboxes, vendors, customers and networks.

Every name, domain and address is invented. Domains are ``example.com`` (the organisation),
``<name>.example`` (vendors and customers) and ``example.net``/``example.org`` (services and
newsletter subscribers). Addresses come from the documentation ranges 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, and ASNs from 64496-64511 (RFC 5398).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

ORG_DOMAIN = "example.com"
SHAREPOINT_HOST = "example.sharepoint.com"
TEAMS_HOST = "teams.example.net"
ESP_HOST = "click.mailer.example.net"
FILE_SHARING_HOST = "files.sharebox.example.net"
LURE_HOST = "create.piktochart.example"


@dataclass(frozen=True, slots=True)
class Network:
    """A sign-in's network and place, as Entra ID geolocates it."""

    label: str
    asn: int
    country: str
    state: str
    city: str


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """A device and app combination as it appears in sign-in and audit records."""

    key: str
    operating_system: str
    browser: str
    user_agent: str
    client_app_used: str
    app_display_name: str


CLIENTS: dict[str, ClientProfile] = {
    "windows-chrome": ClientProfile(
        "windows-chrome",
        "Windows10",
        "Chrome 129.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/129.0.0.0 Safari/537.36",
        "Browser",
        "OfficeHome",
    ),
    "windows-outlook": ClientProfile(
        "windows-outlook",
        "Windows10",
        "",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
        "Mobile Apps and Desktop clients",
        "Microsoft Office",
    ),
    "ios-outlook": ClientProfile(
        "ios-outlook",
        "Ios",
        "",
        "Outlook-iOS/723.4027091.prod.iphone (4.2437.0)",
        "Mobile Apps and Desktop clients",
        "Microsoft Outlook",
    ),
    "macos-safari": ClientProfile(
        "macos-safari",
        "MacOs",
        "Safari 17.6",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.6 Safari/605.1.15",
        "Browser",
        "OfficeHome",
    ),
    "linux-firefox": ClientProfile(
        "linux-firefox",
        "Linux",
        "Firefox 115.0",
        "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
        "Browser",
        "OfficeHome",
    ),
    "python-requests": ClientProfile(
        "python-requests",
        "",
        "",
        "python-requests/2.31.0",
        "Browser",
        "Office 365 Exchange Online",
    ),
}

# Clients the organisation's people use; the last two in CLIENTS are the attacker's.
USUAL_CLIENT_KEYS = ("windows-chrome", "windows-outlook", "ios-outlook", "macos-safari")

OFFICE = Network("office", 64496, "GB", "London", "London")
OFFICE_IPS = tuple(f"203.0.113.{n}" for n in range(10, 18))
OFFICE_CIDR = "203.0.113.0/26"
CORPORATE_VPN = Network("corporate-vpn", 64502, "NL", "Noord-Holland", "Amsterdam")
CORPORATE_VPN_IPS = tuple(f"203.0.113.{n}" for n in range(200, 206))
CORPORATE_VPN_CIDR = "203.0.113.192/27"
MOBILE_ASN = 64500
HOME_ASNS = (64497, 64498, 64499)
HOTEL = Network("hotel", 64505, "US", "Illinois", "Chicago")
HOTEL_IPS = ("198.51.100.70", "198.51.100.71")
ATTACKER_NG = Network("attacker", 64510, "NG", "Lagos", "Lagos")
ATTACKER_US = Network("attacker", 64511, "US", "Virginia", "Ashburn")
ESP_IPS = ("198.51.100.81", "198.51.100.82", "198.51.100.83")
FILE_SHARING_IP = "198.51.100.90"

HOME_PLACES = (
    ("London", "London"),
    ("Reading", "Berkshire"),
    ("Croydon", "London"),
    ("Guildford", "Surrey"),
    ("Watford", "Hertfordshire"),
    ("Brighton", "East Sussex"),
    ("St Albans", "Hertfordshire"),
    ("Slough", "Berkshire"),
)

DEPARTMENTS = (
    "Finance",
    "Sales",
    "Operations",
    "Procurement",
    "HR",
    "IT",
    "Legal",
    "Marketing",
)

FIRST_NAMES = [
    "Aria",
    "Bram",
    "Cato",
    "Delia",
    "Edda",
    "Faye",
    "Gideon",
    "Hester",
    "Idris",
    "Juno",
    "Kit",
    "Lorna",
    "Milo",
    "Nessa",
    "Orrin",
    "Pia",
    "Quill",
    "Rhea",
    "Silas",
    "Tamsin",
    "Ulric",
    "Vera",
    "Wren",
    "Xanthe",
    "Yara",
    "Zeno",
    "Ansel",
    "Briony",
    "Corin",
    "Dorcas",
    "Elio",
    "Flora",
    "Gethin",
    "Hollis",
    "Isolde",
    "Jory",
    "Keir",
    "Linnea",
    "Marlow",
    "Nell",
    "Ottilie",
    "Percy",
    "Romilly",
    "Soren",
    "Thea",
    "Umber",
    "Vesna",
    "Wilder",
    "Ysolde",
    "Zinnia",
    "Alaric",
    "Bettany",
    "Caspian",
    "Delphine",
    "Emrys",
    "Fenella",
    "Gower",
    "Hawthorn",
    "Iver",
    "Juniper",
]
LAST_NAMES = [
    "Ashdown",
    "Bramwell",
    "Carrow",
    "Dunmore",
    "Elsworth",
    "Fairleigh",
    "Gorsefield",
    "Hollander",
    "Ivory",
    "Jessup",
    "Kettleby",
    "Larkspur",
    "Merriweather",
    "Northcott",
    "Oakhurst",
    "Pennick",
    "Quarrington",
    "Rushbrook",
    "Stanwick",
    "Thornbury",
    "Underhill",
    "Vantage",
    "Westerby",
    "Yardley",
    "Zellweger",
    "Ambrey",
    "Blackmore",
    "Coldstream",
    "Dewhurst",
    "Evershed",
    "Fernsby",
    "Greystoke",
    "Harrowgate",
    "Inchcombe",
    "Jarrow",
    "Kilbride",
    "Lindqvist",
    "Marchbank",
    "Netherby",
    "Orpington",
    "Pryor",
    "Quenby",
    "Ravensworth",
    "Saltmarsh",
    "Tillbrook",
    "Upcott",
    "Wainfleet",
    "Wrenfield",
    "Yelverton",
    "Ashcombe",
    "Birtwhistle",
    "Calloway",
    "Dunstable",
    "Eskdale",
    "Farrowby",
    "Glenister",
    "Hathersage",
    "Ilminster",
    "Jevington",
]

VENDOR_NAMES = [
    "harbor-logistics",
    "northgate-supplies",
    "bluefin-packaging",
    "copperline-freight",
    "meridian-print",
    "ashvale-facilities",
    "brightwater-it",
    "kestrel-legal",
    "ironbridge-steel",
    "larch-consulting",
    "oakmere-catering",
    "pinecrest-insurance",
    "quayside-couriers",
    "redfern-analytics",
    "silverbirch-hr",
    "tidewater-energy",
    "umbra-security",
    "vellum-stationery",
    "willowmere-travel",
    "yarrow-cleaning",
    "zephyr-telecom",
    "alder-recruitment",
    "beacon-auditors",
    "cobalt-software",
    "driftwood-events",
    "elmstead-engineering",
    "foxglove-design",
    "granite-construction",
    "heron-marketing",
    "ivydale-payroll",
]

CUSTOMER_WORDS_A = [
    "amber",
    "apex",
    "arch",
    "aspen",
    "atlas",
    "birch",
    "bright",
    "cedar",
    "clear",
    "coast",
    "crest",
    "delta",
    "ember",
    "fern",
    "fjord",
    "glen",
    "gold",
    "grove",
    "harbour",
    "hazel",
    "high",
    "iron",
    "jade",
    "juniper",
    "lake",
    "lark",
    "maple",
    "meadow",
    "north",
    "oak",
]
CUSTOMER_WORDS_B = [
    "bakery",
    "builders",
    "dental",
    "farms",
    "fitness",
    "foods",
    "garages",
    "homes",
    "joinery",
    "labs",
    "motors",
    "optics",
    "plumbing",
    "retail",
    "studios",
    "textiles",
    "tools",
    "traders",
    "vets",
    "works",
]

NEW_VENDOR_NAME = "lanternfield-data"


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A display name and an address, as in a From or To header."""

    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


@dataclass
class Person:
    """One member of staff and the habits their sign-ins and mail follow."""

    mailbox: Mailbox
    department: str
    user_id: str
    clients: tuple[ClientProfile, ...]
    home_asn: int
    home_ip: str
    home_city: str
    home_state: str
    office_weekdays: frozenset[int]  # 0 = Monday
    mobile: bool
    vpn_user: bool
    contacts: list[Mailbox] = field(default_factory=list)  # external correspondents

    @property
    def address(self) -> str:
        return self.mailbox.address

    @property
    def desk_clients(self) -> tuple[ClientProfile, ...]:
        desk = tuple(c for c in self.clients if c.key != "ios-outlook")
        return desk or self.clients


@dataclass
class Vendor:
    """An outside organisation that mails the tenant: supplier, partner or customer."""

    name: str
    domain: str
    display: str
    sending_ip: str
    utc_offset_minutes: int
    contacts: list[Mailbox]
    portal_host: str
    newsletter: Mailbox | None = None

    @property
    def mail_host(self) -> str:
        return f"mail.{self.domain}"


@dataclass
class Tenant:
    """The whole population with the shared mailboxes and outside parties."""

    people: list[Person]
    invoices: Mailbox
    news: Mailbox
    helpdesk_admin: Mailbox
    helpdesk_admin_id: str
    vendors: list[Vendor]
    new_vendor: Vendor
    customers: list[Mailbox]
    subscribers: list[Mailbox]
    organisation_id: str

    def by_department(self, department: str) -> list[Person]:
        return [p for p in self.people if p.department == department]


def make_uuid(rng: random.Random) -> str:
    """Return a version-4 UUID drawn from ``rng``, so runs with one seed repeat exactly."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_tenant(rng: random.Random, mailboxes: int) -> Tenant:
    """Invent ``mailboxes`` people, 3 shared mailboxes, 20-30 vendors and 160-190 customers."""
    people = _build_people(rng, mailboxes)
    vendors = _build_vendors(rng)
    new_vendor = _make_vendor(rng, NEW_VENDOR_NAME, "198.51.100.60")
    new_vendor.portal_host = f"files.{new_vendor.domain}"
    customers = _build_customers(rng)
    subscribers = _build_subscribers(rng, 300)

    for person in people:
        pool = [c for v in vendors for c in v.contacts]
        person.contacts = rng.sample(pool, k=min(len(pool), rng.randint(3, 6)))

    return Tenant(
        people=people,
        invoices=Mailbox("Example Ltd Accounts Receivable", f"invoices@{ORG_DOMAIN}"),
        news=Mailbox("Example Ltd News", f"news@{ORG_DOMAIN}"),
        helpdesk_admin=Mailbox("Helpdesk Admin", f"helpdesk-admin@{ORG_DOMAIN}"),
        helpdesk_admin_id=make_uuid(rng),
        vendors=vendors,
        new_vendor=new_vendor,
        customers=customers,
        subscribers=subscribers,
        organisation_id=make_uuid(rng),
    )


def _build_people(rng: random.Random, count: int) -> list[Person]:
    pairs = [(f, s) for f in FIRST_NAMES for s in LAST_NAMES]
    chosen = rng.sample(pairs, k=count)
    chosen.sort(key=lambda pair: (pair[1], pair[0]))
    people: list[Person] = []
    for index, (first, last) in enumerate(chosen):
        address = f"{first.lower()}.{last.lower()}@{ORG_DOMAIN}"
        # Finance gets extra people because the vendor mail and the chain revolve around it.
        department = "Finance" if index % 5 == 0 else rng.choice(DEPARTMENTS)
        client_count = rng.choice((1, 2, 2, 3))
        keys = rng.sample(USUAL_CLIENT_KEYS, k=client_count)
        if not any(k in ("windows-chrome", "windows-outlook", "macos-safari") for k in keys):
            keys.append("windows-outlook")
        keys.sort(key=USUAL_CLIENT_KEYS.index)
        city, state = rng.choice(HOME_PLACES)
        asn = rng.choice(HOME_ASNS)
        if rng.random() < 0.7:
            home_ip = f"198.51.100.{128 + index % 127}"
        else:
            home_ip = f"2001:db8:1{rng.randrange(0x1000):03x}:{rng.randrange(0x10000):x}::1"
        office_weekdays = frozenset(rng.sample(range(5), k=rng.choice((2, 3, 3, 4))))
        people.append(
            Person(
                mailbox=Mailbox(f"{first} {last}", address),
                department=department,
                user_id=make_uuid(rng),
                clients=tuple(CLIENTS[k] for k in keys),
                home_asn=asn,
                home_ip=home_ip,
                home_city=city,
                home_state=state,
                office_weekdays=office_weekdays,
                mobile="ios-outlook" in keys,
                vpn_user=False,
            )
        )
    return people


def _make_vendor(rng: random.Random, name: str, sending_ip: str) -> Vendor:
    domain = f"{name}.example"
    display = " ".join(part.capitalize() for part in name.split("-"))
    contacts = []
    for role in rng.sample(("accounts", "sales", "support", "orders", "projects"), k=3):
        first = rng.choice(FIRST_NAMES)
        contacts.append(Mailbox(f"{first} ({display})", f"{role}@{domain}"))
    del contacts[rng.randint(1, 3) :]
    return Vendor(
        name=name,
        domain=domain,
        display=display,
        sending_ip=sending_ip,
        utc_offset_minutes=rng.choice((0, 0, 60, 60, -300)),
        contacts=contacts,
        portal_host=f"portal.{domain}",
    )


def _build_vendors(rng: random.Random) -> list[Vendor]:
    count = rng.randint(20, 30)
    names = list(VENDOR_NAMES[:count])
    vendors = [_make_vendor(rng, name, f"198.51.100.{10 + i}") for i, name in enumerate(names)]
    # The first vendor is the long-established one whose accounts contact is later hijacked.
    first = vendors[0]
    if not any(c.address.startswith("accounts@") for c in first.contacts):
        first.contacts[0] = Mailbox(f"Marta ({first.display})", f"accounts@{first.domain}")
    for vendor in vendors[2:7]:
        vendor.newsletter = Mailbox(f"{vendor.display} News", f"news@{vendor.domain}")
    return vendors


def _build_customers(rng: random.Random) -> list[Mailbox]:
    names = [f"{a}-{b}" for a in CUSTOMER_WORDS_A for b in CUSTOMER_WORDS_B]
    chosen = sorted(rng.sample(names, k=rng.randint(160, 190)))
    return [
        Mailbox(f"{n.replace('-', ' ').title()} Accounts", f"accounts@{n}.example") for n in chosen
    ]


def _build_subscribers(rng: random.Random, count: int) -> list[Mailbox]:
    providers = ("mail.example.org", "post.example.net", "inbox.example.org")
    seen: set[str] = set()
    subscribers: list[Mailbox] = []
    while len(subscribers) < count:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        address = f"{first[0].lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(providers)}"
        if address not in seen:
            seen.add(address)
            subscribers.append(Mailbox(f"{first} {last}", address))
    return subscribers
