"""The simulator's truth.json, read into the fields the evaluation compares against."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from chainwatch.events import EmailMessage, SignIn
from chainwatch.store import Store


@dataclass(frozen=True)
class GroundTruth:
    """The attack or benign activity the simulator injected into one tenant."""

    scenario: str
    kind: str  # "attack" or "benign"
    mailboxes: int
    days: int
    organisation_domains: frozenset[str]
    compromised_accounts: frozenset[str]  # may include outside senders such as a vendor's
    origin_message_id: str | None  # lower-cased, without angle brackets
    origin_sender: str | None
    expected_stages: tuple[str, ...]
    attack_start: datetime | None
    attacker_ips: frozenset[str]
    attacker_sign_in_ids: frozenset[str]  # the sources' record ids of attacker sign-ins

    @property
    def mailbox_weeks(self) -> float:
        return self.mailboxes * self.days / 7.0


def load_truth(path: Path) -> GroundTruth:
    """Read the ``truth.json`` that ``chainwatch simulate`` wrote."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    chain = data.get("chain") or {}
    origin = data.get("origin_message_id")
    attack_start = data.get("attack_start")
    return GroundTruth(
        scenario=data["scenario"],
        kind=data["kind"],
        mailboxes=int(data["mailboxes"]),
        days=int(data["period"]["days"]),
        organisation_domains=frozenset(d.lower() for d in data["organisation_domains"]),
        compromised_accounts=frozenset(a.lower() for a in data["compromised_accounts"]),
        origin_message_id=origin.strip().strip("<>").lower() if origin else None,
        origin_sender=data.get("origin_sender"),
        expected_stages=tuple(data["expected_stages"]),
        attack_start=_parse_time(attack_start) if attack_start else None,
        attacker_ips=frozenset(data.get("attacker_ips") or []),
        attacker_sign_in_ids=frozenset(chain.get("sign_in_ids") or []),
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def origin_time(store: Store, truth: GroundTruth) -> datetime | None:
    """Return when the origin message arrived, from the stored copies of it.

    Falls back to truth's ``attack_start`` when the export contains no copy of the message.
    """
    if truth.origin_message_id is None:
        return None
    times = [
        event.time
        for event in store.iter_events(account=truth.origin_sender, kinds=["email"])
        if isinstance(event, EmailMessage) and event.message_id == truth.origin_message_id
    ]
    return min(times) if times else truth.attack_start


def first_attacker_sign_in(store: Store, truth: GroundTruth) -> datetime | None:
    """Return the time of the first sign-in to a compromised account by the attacker.

    A sign-in is the attacker's when truth lists its record id or its IP address.
    """
    first: datetime | None = None
    for account in sorted(truth.compromised_accounts):
        for event in store.iter_events(account=account, kinds=["sign-in"]):
            if not isinstance(event, SignIn):
                continue
            record_id = event.event_id.split(":", 1)[-1]
            if record_id in truth.attacker_sign_in_ids or event.ip in truth.attacker_ips:
                if first is None or event.time < first:
                    first = event.time
                break  # events come in time order, so this is the account's first
    return first
