"""Generate a large synthetic tenant for benchmarks, streamed to disk one day at a time.

The full simulator (``chainwatch simulate``) keeps the whole timeline in memory and writes
every message body, which does not fit a 10,000-mailbox month. This generator reuses the
simulator's record builders (:class:`chainwatch.simulate.records.RecordFactory` and
:func:`chainwatch.simulate.mailformat.render_message`) and writes each day as soon as it
is built, so memory stays at one day of records.

Output, one file per source under ``--out``, oldest record first:

- ``ual.jsonl``: Management Activity API records (UserLoggedIn, MailItemsAccessed,
  FileAccessed, FileDownloaded), one per line.
- ``signins.jsonl``: Microsoft Graph beta ``signIn`` objects, one per line.
- ``trace.csv``: ``Get-MessageTrace | Export-Csv`` rows, one per recipient.
- ``mail.mbox``: mboxrd messages with text and HTML bodies and links; only the first
  ``--messages`` messages are rendered, because message cost does not depend on the
  number of mailboxes.

Every name is invented under ``example.com`` and ``.example``; addresses are from
2001:db8::/32 and the IPv4 documentation ranges. Usage::

    uv run python bench/generate.py --out /tmp/cwbench --users 10000 --days 30
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

from chainwatch.simulate.mailformat import mboxrd_entry, render_message
from chainwatch.simulate.records import Message, RecordFactory, Timeline
from chainwatch.simulate.tenant import (
    CLIENTS,
    HOME_ASNS,
    OFFICE,
    OFFICE_IPS,
    USUAL_CLIENT_KEYS,
    ClientProfile,
    Mailbox,
    Network,
    make_uuid,
)
from chainwatch.simulate.writers import TRACE_HEADER

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
SOURCES = ("ual", "signin", "trace", "mbox")
VENDORS = 400  # outside organisations mailing the tenant
LINK_HOSTS = 2000  # distinct link hosts across all messages
WORDS = [
    "invoice",
    "quarter",
    "review",
    "shipment",
    "contract",
    "schedule",
    "update",
    "meeting",
    "budget",
    "report",
    "order",
    "delivery",
    "project",
    "supplier",
    "payment",
    "account",
    "forecast",
    "draft",
    "approval",
]


@dataclass(frozen=True, slots=True)
class User:
    """One staff mailbox with the habits its records follow."""

    mailbox: Mailbox
    user_id: str
    home_ip: str
    home: Network
    clients: tuple[ClientProfile, ...]


def make_users(rng: random.Random, count: int) -> list[User]:
    """Invent ``count`` users with an IPv6 home address each from 2001:db8::/32."""
    users = []
    for index in range(count):
        address = f"user{index:05d}@example.com"
        keys = rng.sample(USUAL_CLIENT_KEYS, 2)
        home = Network("home", rng.choice(HOME_ASNS), "GB", "England", "Leeds")
        users.append(
            User(
                mailbox=Mailbox(f"User {index:05d}", address),
                user_id=make_uuid(rng),
                home_ip=f"2001:db8:{index // 65536:x}:{index % 65536:x}::1",
                home=home,
                clients=tuple(CLIENTS[k] for k in keys),
            )
        )
    return users


def make_contacts(rng: random.Random) -> list[Mailbox]:
    """Return outside correspondents: five per vendor domain."""
    return [
        Mailbox(f"Contact {n} of vendor {v}", f"contact{n}@vendor{v:03d}.example")
        for v in range(VENDORS)
        for n in range(5)
    ]


def moment_in(rng: random.Random, day: datetime) -> datetime:
    """Return a time on ``day``, mostly in working hours, to the second."""
    hour = rng.choice((7, 8, 8, 9, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 19, 22))
    return day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


class DayBuilder:
    """Build one day of records for every user in the shape each export has."""

    def __init__(self, rng: random.Random, users: list[User], args: argparse.Namespace) -> None:
        self.rng = rng
        self.users = users
        self.contacts = make_contacts(rng)
        self.args = args
        self.timeline = Timeline()
        self.factory = RecordFactory(rng, make_uuid(rng), self.timeline)

    def build(self, day: datetime) -> Timeline:
        """Return the day's sign-ins, audit records and messages, each sorted by time."""
        self.timeline.sign_ins.clear()
        self.timeline.audit.clear()
        self.timeline.messages.clear()
        weekend = day.weekday() >= 5
        scale = 0.3 if weekend else 1.0
        for user in self.users:
            self._user_day(user, day, scale)
        self.timeline.sign_ins.sort(key=lambda r: r["createdDateTime"])
        self.timeline.audit.sort(key=lambda r: r["CreationTime"])
        self.timeline.messages.sort(key=lambda m: m.time)
        return self.timeline

    def _count(self, mean: float) -> int:
        whole = int(mean)
        return whole + (1 if self.rng.random() < mean - whole else 0)

    def _user_day(self, user: User, day: datetime, scale: float) -> None:
        rng = self.rng
        factory = self.factory
        at_office = rng.random() < 0.6
        ip = rng.choice(OFFICE_IPS) if at_office else user.home_ip
        network = OFFICE if at_office else user.home
        for _ in range(self._count(self.args.sign_ins * scale)):
            client = rng.choice(user.clients)
            factory.sign_in(
                moment_in(rng, day),
                user.mailbox,
                user.user_id,
                ip,
                network,
                client,
                interactive=rng.random() < 0.5,
            )
        for _ in range(self._count(self.args.reads * scale)):
            ids = [f"{make_uuid(rng)}@example.com" for _ in range(rng.randint(1, 3))]
            factory.mail_items_accessed(
                moment_in(rng, day), user.mailbox.address, ip, ids, "Client=OWA;Action=ViaProxy"
            )
        for _ in range(self._count(self.args.files * scale)):
            site = f"team{rng.randrange(200):03d}"
            factory.file_access(
                moment_in(rng, day),
                user.mailbox.address,
                ip,
                rng.choice(user.clients),
                site,
                f"{rng.choice(WORDS)}-{rng.randrange(1000)}.docx",
                download=rng.random() < 0.2,
            )
        for _ in range(self._count(self.args.messages * scale)):
            self.timeline.messages.append(self._message(user, day, ip))

    def _message(self, user: User, day: datetime, ip: str) -> Message:
        rng = self.rng
        inbound = rng.random() < 0.5
        outside = rng.choice(self.contacts)
        if inbound:
            sender, to, direction = outside, (user.mailbox,), "inbound"
            sending_ip = f"198.51.100.{1 + int(outside.domain[6:9]) % 200}"
        else:
            peers = [rng.choice(self.users).mailbox for _ in range(rng.randint(0, 2))]
            to = (outside, *peers) if rng.random() < 0.6 else tuple(peers or [outside])
            sender, sending_ip = user.mailbox, ip
            direction = "outbound" if outside in to else "internal"
        links = tuple(
            (
                f"https://portal{(h := rng.randrange(LINK_HOSTS))}.vendor{h % VENDORS:03d}"
                f".example/doc/{rng.randrange(10**6)}",
                f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}",
            )
            for _ in range(rng.randint(0, 4))
        )
        paragraphs = tuple(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
            for _ in range(rng.randint(2, 6))
        )
        return Message(
            message_id=f"{make_uuid(rng)}@{sender.domain}",
            time=moment_in(rng, day),
            sender=sender,
            to=to,
            subject=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.randrange(10**4)}",
            paragraphs=paragraphs,
            links=links,
            direction=direction,
            sending_ip=sending_ip,
        )


class Writers:
    """Open output files, one per requested source."""

    def __init__(self, out: Path, sources: set[str], messages: int) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.handles: dict[str, IO[Any]] = {}
        self.counts = dict.fromkeys(SOURCES, 0)
        self.mail_budget = messages
        self.trace_writer: Any = None
        if "ual" in sources:
            self.handles["ual"] = (out / "ual.jsonl").open("wb")
        if "signin" in sources:
            self.handles["signin"] = (out / "signins.jsonl").open("wb")
        if "trace" in sources:
            handle = (out / "trace.csv").open("w", newline="", encoding="utf-8")
            self.handles["trace"] = handle
            self.trace_writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            self.trace_writer.writerow(TRACE_HEADER)
        if "mbox" in sources:
            self.handles["mbox"] = (out / "mail.mbox").open("wb")

    def write(self, timeline: Timeline, rng: random.Random) -> None:
        """Append one day of the timeline to every open file."""
        if "ual" in self.handles:
            self._lines("ual", timeline.audit)
        if "signin" in self.handles:
            self._lines("signin", timeline.sign_ins)
        if "trace" in self.handles:
            for message in timeline.messages:
                message.size = 2000 + 80 * sum(len(p) for p in message.paragraphs) // 60
                self._trace_rows(message, rng)
        if "mbox" in self.handles:
            handle = self.handles["mbox"]
            for message in timeline.messages:
                if self.counts["mbox"] >= self.mail_budget:
                    break
                handle.write(mboxrd_entry(message, render_message(message)))
                self.counts["mbox"] += 1

    def _lines(self, source: str, records: list[dict[str, Any]]) -> None:
        handle = self.handles[source]
        handle.writelines(orjson.dumps(r) + b"\n" for r in records)
        self.counts[source] += len(records)

    def _trace_rows(self, message: Message, rng: random.Random) -> None:
        received = message.time.strftime("%m/%d/%Y %H:%M:%S")
        for recipient in message.recipients:
            self.trace_writer.writerow(
                (
                    "outlook.office365.com",
                    "00000000-0000-4000-8000-000000000000",
                    "False",
                    "example.onmicrosoft.com",
                    f"<{message.message_id}>",
                    received,
                    message.sender.address,
                    recipient.address,
                    message.subject,
                    "Delivered",
                    "",
                    message.sending_ip,
                    message.size,
                    make_uuid(rng),
                    "",
                    "",
                    self.counts["trace"],
                )
            )
            self.counts["trace"] += 1

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--users", type=int, default=10_000, help="number of mailboxes")
    parser.add_argument("--days", type=int, default=30, help="number of days from 2026-03-02")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sources", default=",".join(SOURCES), help=f"comma-separated subset of {SOURCES}"
    )
    parser.add_argument("--sign-ins", type=float, default=2.0, help="sign-ins per user-day")
    parser.add_argument("--reads", type=float, default=1.5, help="MailItemsAccessed per user-day")
    parser.add_argument("--files", type=float, default=1.5, help="SharePoint records per user-day")
    parser.add_argument("--messages", type=float, default=3.0, help="messages sent per user-day")
    parser.add_argument(
        "--mbox-messages", type=int, default=20_000, help="messages rendered into mail.mbox"
    )
    return parser.parse_args(argv)


def generate(args: argparse.Namespace, report: Callable[[str], None] = print) -> dict[str, int]:
    """Write the requested sources and return the number of records written per source."""
    rng = random.Random(args.seed)
    users = make_users(rng, args.users)
    builder = DayBuilder(rng, users, args)
    sources = set(args.sources.split(","))
    writers = Writers(args.out, sources, args.mbox_messages)
    started = time.perf_counter()
    try:
        for offset in range(args.days):
            day = START + timedelta(days=offset)
            writers.write(builder.build(day), rng)
            report(f"day {offset + 1}/{args.days}: {writers.counts} ")
    finally:
        writers.close()
    report(f"done in {time.perf_counter() - started:.0f} s")
    return writers.counts


if __name__ == "__main__":
    generate(parse_args(sys.argv[1:]))
