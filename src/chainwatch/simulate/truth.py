"""truth.json for attack variants and benign scenarios, and the scenario labels of all.

The default scenario's truth is built in :mod:`chainwatch.simulate` and only gains the
labels here, so its earlier keys keep their order and values. Variants use the same
keys in the same order; a benign scenario has no compromised accounts, origin or chain.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from chainwatch.simulate.attack import AttackRecord
from chainwatch.simulate.scenarios import Scenario
from chainwatch.simulate.storyline import ChainPlan, ChainRecord, chain_truth
from chainwatch.simulate.tenant import ORG_DOMAIN
from chainwatch.simulate.world import World
from chainwatch.simulate.writers import week_label

PAYMENT_CHANGE_SCENARIOS = frozenset({"payment-change-reply", "payment-change-reply-to"})


def portal_week(world: World) -> str:
    """Return the week written as a Purview portal CSV: the period's second week."""
    return week_label(world.start + timedelta(days=7))


def scenario_labels(scenario: Scenario, chain: ChainRecord | None) -> dict[str, Any]:
    """Return the keys that name the scenario and when its attack started."""
    attack_start = None
    if chain is not None and chain.origin is not None:
        attack_start = chain.origin.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "scenario": scenario.name,
        "kind": scenario.kind,
        "expected_stages": list(scenario.expected_stages),
        "attack_start": attack_start,
    }


def _period(world: World) -> dict[str, Any]:
    return {
        "start": world.start.isoformat(),
        "end": world.end.isoformat(),
        "days": world.days,
        "time_zone": "UTC",
    }


def _files(world: World, plan: ChainPlan, data_dir: Path, reported: Path | None) -> dict[str, Any]:
    sent = data_dir / "mail" / "maildir" / plan.patient_zero.address / ".Sent"
    return {
        "portal_csv_week": portal_week(world),
        "sent_items_maildir": str(sent.relative_to(data_dir.parent)),
        "reported_phish": str(reported.relative_to(data_dir.parent)) if reported else None,
    }


def attack_truth(
    world: World,
    plan: ChainPlan,
    record: AttackRecord,
    scenario: Scenario,
    lookalikes: list[dict[str, Any]],
    data_dir: Path,
    reported: Path | None,
) -> dict[str, Any]:
    """Return truth.json for an attack variant."""
    assert record.origin is not None
    origin = record.origin
    chain = chain_truth(world, plan, record)
    chain["patient_zero"] = record.compromised[0] if record.compromised else None
    chain["lure_recipients"] = [m.address for m in origin.to]
    chain.update(
        {
            "consent_ids": record.consent_ids,
            "directory_audit_ids": record.directory_audit_ids,
            "deletion_ids": record.deletion_ids,
            "other_message_ids": record.message_ids,
            "other_audit_ids": record.other_audit_ids,
        }
    )
    return {
        "organisation_domains": [ORG_DOMAIN],
        # For payment-change scenarios the compromised account is the vendor's mailbox,
        # outside the organisation.
        "compromised_accounts": record.compromised,
        "origin_message_id": origin.message_id,
        "origin_sender": origin.sender.address,
        "lure_host": record.lure_host,
        "attacker_ips": record.attacker_ips,
        "attacker_asns": record.attacker_asns,
        "targeted_accounts": [m.address for m in origin.to],
        "benign_lookalikes": lookalikes,
        "period": _period(world),
        "seed": world.seed,
        "mailboxes": len(world.tenant.people),
        "chain": chain,
        "files": _files(world, plan, data_dir, reported),
    }


def benign_truth(
    world: World, plan: ChainPlan, lookalikes: list[dict[str, Any]], data_dir: Path
) -> dict[str, Any]:
    """Return truth.json for a benign scenario: nothing compromised, no origin, no chain."""
    return {
        "organisation_domains": [ORG_DOMAIN],
        "compromised_accounts": [],
        "origin_message_id": None,
        "origin_sender": None,
        "lure_host": None,
        "attacker_ips": [],
        "attacker_asns": [],
        "targeted_accounts": [],
        "benign_lookalikes": lookalikes,
        "period": _period(world),
        "seed": world.seed,
        "mailboxes": len(world.tenant.people),
        "chain": None,
        "files": _files(world, plan, data_dir, None),
    }
