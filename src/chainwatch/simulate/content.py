"""Subjects, body text, links and Message-IDs for simulated mail."""

from __future__ import annotations

import random
from datetime import datetime

from chainwatch.simulate.records import Message
from chainwatch.simulate.tenant import (
    ESP_HOST,
    ORG_DOMAIN,
    SHAREPOINT_HOST,
    TEAMS_HOST,
    Mailbox,
    Vendor,
)

INTERNAL_SUBJECTS = (
    "Q4 planning notes",
    "Minutes from this morning",
    "Draft budget for review",
    "Re: customer escalation",
    "Updated rota",
    "Can you check this?",
    "Supplier review - next steps",
    "Training dates",
    "Re: month-end checklist",
    "Project status",
    "Lunch on Thursday?",
    "Office move update",
)
VENDOR_SUBJECTS = (
    "Order confirmation {n}",
    "Delivery schedule for week {w}",
    "Quote {n} as requested",
    "Re: contract renewal",
    "Service report {n}",
    "Updated price list",
    "Meeting follow-up",
    "Statement of account",
    "Shipment {n} dispatched",
)
OUTBOUND_SUBJECTS = (
    "Re: order {n}",
    "Purchase order {n}",
    "Re: quote {n}",
    "Thanks for the meeting",
    "Re: delivery schedule",
    "Query on invoice {n}",
)
BODY_LINES = (
    "Please see the details below and let me know if anything needs changing.",
    "Thanks for your help with this last week.",
    "I have put the latest version in the shared folder.",
    "Could we pick this up at the next catch-up?",
    "The figures are in line with what we discussed.",
    "Happy to talk it through on a call if easier.",
    "From the attached statement you will see the balance carried forward.",
    "From next month the cut-off moves to the 25th.",
    "Let me know by Friday if possible.",
)
DOCUMENT_NAMES = (
    "Budget-2026.xlsx",
    "Forecast-Q4.xlsx",
    "Supplier-List.xlsx",
    "Team-Rota.docx",
    "Board-Pack-October.pptx",
    "Contracts-Register.xlsx",
    "Policy-Handbook.docx",
    "Payroll-Summary.xlsx",
    "Customer-Accounts.xlsx",
    "Bank-Details-Vendors.xlsx",
    "Project-Plan.docx",
    "Pricing-2026.xlsx",
    "Expenses-Q3.xlsx",
    "Meeting-Notes.docx",
    "Org-Chart.pptx",
    "Invoices-Register.xlsx",
)


def message_id(rng: random.Random, domain: str) -> str:
    """Return a Message-ID (without brackets) in the style of the sending domain's server."""
    return f"{rng.getrandbits(128):032x}@{domain}"


def org_message_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}.{rng.randrange(10**6):06d}@mail.{ORG_DOMAIN}"


def sharepoint_link(rng: random.Random, site: str) -> tuple[str, str]:
    name = rng.choice(DOCUMENT_NAMES)
    url = f"https://{SHAREPOINT_HOST}/sites/{site}/Shared%20Documents/{name}?web=1"
    return url, name


def teams_link(rng: random.Random) -> tuple[str, str]:
    token = f"{rng.getrandbits(64):016x}"
    return (
        f"https://{TEAMS_HOST}/l/meetup-join/19%3ameeting_{token}%40thread.v2/0",
        "Join the meeting",
    )


def portal_link(rng: random.Random, vendor: Vendor) -> tuple[str, str]:
    section = rng.choice(("orders", "statements", "quotes", "deliveries"))
    return (
        f"https://{vendor.portal_host}/{section}/{rng.randint(10000, 99999)}",
        f"View in the {vendor.display} portal",
    )


def tracking_link(rng: random.Random, vendor: Vendor, path: str) -> tuple[str, str]:
    """Return an ESP click-tracking link that redirects to the vendor's own site."""
    target = f"https%3A%2F%2Fwww.{vendor.domain}%2F{path}"
    return f"https://{ESP_HOST}/?u={target}&id={rng.getrandbits(48):012x}", "Read more"


def paragraphs(rng: random.Random, greeting: str, signature: str) -> tuple[str, ...]:
    body = rng.sample(BODY_LINES, k=rng.randint(1, 3))
    return (f"Hi {greeting},", *body, f"Kind regards,\n{signature}")


def first_name(mailbox: Mailbox) -> str:
    return mailbox.name.split(" ")[0]


def inbound_message(
    rng: random.Random,
    moment: datetime,
    vendor: Vendor,
    sender: Mailbox,
    to: tuple[Mailbox, ...],
    subject: str,
    links: tuple[tuple[str, str], ...],
    *,
    text: tuple[str, ...] | None = None,
    sending_ip: str | None = None,
    unsubscribe_url: str | None = None,
) -> Message:
    """Build a message from an outside party, delivered from its habitual server."""
    return Message(
        message_id=message_id(rng, vendor.mail_host),
        time=moment,
        sender=sender,
        to=to,
        subject=subject,
        paragraphs=text or paragraphs(rng, first_name(to[0]), sender.name),
        links=links,
        direction="inbound",
        sending_ip=sending_ip or vendor.sending_ip,
        sender_utc_offset_minutes=vendor.utc_offset_minutes,
        unsubscribe_url=unsubscribe_url,
    )
