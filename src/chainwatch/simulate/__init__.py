"""A seeded sample tenant: a Microsoft 365 export with one labelled scenario.

:func:`simulate_tenant` writes ``data/`` (the export files), ``truth.json`` (the ground
truth) and ``chainwatch.toml`` (the settings an analyst would have). The same arguments
always produce byte-identical files. The default scenario, ``vendor-hijack``, injects one
vendor-email-compromise chain; :data:`chainwatch.simulate.scenarios.SCENARIOS` lists the
attack variants and benign stress cases. ``docs/sample.md`` describes the content.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chainwatch.simulate.attack import ATTACK_STYLES, AttackRecord, run_attack
from chainwatch.simulate.benign import plan_benign, run_benign
from chainwatch.simulate.lookalikes import add_lookalikes, plan_lookalikes
from chainwatch.simulate.mailformat import render_message, write_maildir
from chainwatch.simulate.payment import run_payment_change
from chainwatch.simulate.records import Message
from chainwatch.simulate.routine import run_routine
from chainwatch.simulate.scenarios import DEFAULT_SCENARIO, SCENARIOS, Scenario, get_scenario
from chainwatch.simulate.storyline import (
    ATTACKER_NG_IP,
    ATTACKER_US_IP,
    ChainPlan,
    ChainRecord,
    chain_day,
    chain_truth,
    plan_chain,
    run_chain,
)
from chainwatch.simulate.tenant import (
    ATTACKER_NG,
    ATTACKER_US,
    CORPORATE_VPN_CIDR,
    LURE_HOST,
    OFFICE_CIDR,
    ORG_DOMAIN,
    build_tenant,
    make_uuid,
)
from chainwatch.simulate.truth import (
    PAYMENT_CHANGE_SCENARIOS,
    attack_truth,
    benign_truth,
    portal_week,
    scenario_labels,
)
from chainwatch.simulate.world import World
from chainwatch.simulate.writers import (
    week_label,
    write_audit,
    write_directory_audit,
    write_journal,
    write_sign_ins,
    write_trace,
)

__all__ = [
    "MIN_DAYS",
    "MIN_MAILBOXES",
    "SCENARIOS",
    "Scenario",
    "SimulationResult",
    "portal_week",
    "simulate_tenant",
]

MIN_MAILBOXES = 50
MIN_DAYS = 28


@dataclass(frozen=True)
class SimulationResult:
    """The paths and record counts that :func:`simulate_tenant` wrote."""

    out_dir: Path
    data_dir: Path
    truth_path: Path
    settings_path: Path
    files: tuple[Path, ...]  # every file under data_dir, sorted
    messages: int
    trace_rows: int
    sign_ins: int
    audit_records: int
    compromised_accounts: tuple[str, ...]
    scenario: str = DEFAULT_SCENARIO


def simulate_tenant(
    out_dir: Path,
    *,
    seed: int = 7,
    mailboxes: int = 120,
    days: int = 42,
    start: date = date(2026, 9, 21),
    scenario: str = DEFAULT_SCENARIO,
) -> SimulationResult:
    """Write a simulated tenant export with one labelled scenario under ``out_dir``.

    Raises ``ValueError`` for an unknown ``scenario``, or when ``mailboxes`` < 50 or
    ``days`` < 28, which the chain and the baselines before it need, and
    ``FileExistsError`` when ``out_dir/data`` already contains files, so an earlier
    export is never mixed in or overwritten.
    """
    labelled = get_scenario(scenario)
    if mailboxes < MIN_MAILBOXES:
        raise ValueError(
            f"mailboxes must be at least {MIN_MAILBOXES} so the chain can spread, got {mailboxes}"
        )
    if days < MIN_DAYS:
        raise ValueError(
            f"days must be at least {MIN_DAYS} so baselines exist before the chain, got {days}"
        )
    out_dir = Path(out_dir)
    data_dir = out_dir / "data"
    if data_dir.exists() and any(data_dir.iterdir()):
        raise FileExistsError(
            f"{data_dir} is not empty; choose a new output folder or remove the old export"
        )

    world = World(build_tenant(_seeded(seed, "tenant"), mailboxes), start, days, seed)
    plan = plan_chain(world, world.rng("plan-chain"))
    plan_lookalikes(world, world.rng("plan-lookalikes"))
    if labelled.kind == "benign":
        plan_benign(world, labelled.name, world.rng("plan-scenario"))
    style = ATTACK_STYLES.get(labelled.name)
    if style is not None:
        plan.d0 = chain_day(world, style.d0_share)
    run_routine(world)
    lookalikes = add_lookalikes(world)
    chain = _run_scenario(world, plan, labelled, lookalikes)

    rendered = _render_all(world.timeline.messages)
    files = _write_data(world, plan, data_dir, rendered)
    reported = None
    if chain is not None:
        reported = _write_reported(data_dir, chain, rendered)
        files.append(reported)

    if isinstance(chain, AttackRecord):
        truth = attack_truth(world, plan, chain, labelled, lookalikes, data_dir, reported)
    elif chain is not None and reported is not None:
        truth = _truth(world, plan, chain, lookalikes, data_dir, reported)
    else:
        truth = benign_truth(world, plan, lookalikes, data_dir)
    truth.update(scenario_labels(labelled, chain))
    truth_path = out_dir / "truth.json"
    truth_path.write_bytes((json.dumps(truth, indent=2) + "\n").encode("utf-8"))
    settings_path = out_dir / "chainwatch.toml"
    settings_path.write_bytes(_settings_text().encode("utf-8"))

    return SimulationResult(
        out_dir=out_dir,
        data_dir=data_dir,
        truth_path=truth_path,
        settings_path=settings_path,
        files=tuple(sorted(files)),
        messages=len(world.timeline.messages),
        trace_rows=sum(len(m.recipients) for m in world.timeline.messages),
        sign_ins=len(world.timeline.sign_ins),
        audit_records=len(world.timeline.audit),
        compromised_accounts=tuple(truth["compromised_accounts"]),
        scenario=labelled.name,
    )


def _seeded(seed: int, purpose: str) -> random.Random:
    return random.Random(f"chainwatch-simulate:{seed}:{purpose}")


def _render_all(messages: list[Message]) -> dict[str, tuple[Message, bytes]]:
    rendered: dict[str, tuple[Message, bytes]] = {}
    for message in messages:
        raw = render_message(message)
        message.size = len(raw)
        rendered[message.message_id] = (message, raw)
    return rendered


def _run_scenario(
    world: World, plan: ChainPlan, labelled: Scenario, lookalikes: list[dict[str, Any]]
) -> ChainRecord | None:
    """Inject the scenario's activity; return the chain record, or None for a benign one."""
    if labelled.name == DEFAULT_SCENARIO:
        return run_chain(world, plan)
    if labelled.name in PAYMENT_CHANGE_SCENARIOS:
        reply_to = labelled.name == "payment-change-reply-to"
        return run_payment_change(world, plan, reply_to=reply_to)
    if labelled.name in ATTACK_STYLES:
        return run_attack(world, plan, ATTACK_STYLES[labelled.name])
    lookalikes += run_benign(world, labelled.name, world.rng("scenario"))
    return None


def _write_data(
    world: World,
    plan: ChainPlan,
    data_dir: Path,
    rendered: dict[str, tuple[Message, bytes]],
) -> list[Path]:
    timeline = world.timeline
    id_rng = world.rng("file-ids")
    runspaces: dict[str, str] = {}
    for message in sorted(timeline.messages, key=lambda m: m.time):
        runspaces.setdefault(week_label(message.time.date()), make_uuid(id_rng))

    files = write_audit(data_dir, timeline.audit, portal_week(world))
    files += write_sign_ins(data_dir, timeline.sign_ins)
    files += write_trace(data_dir, timeline.messages, runspaces, lambda: make_uuid(id_rng))
    files += write_journal(data_dir, list(rendered.values()))
    if timeline.directory_audit:
        organisation = world.tenant.organisation_id
        files += write_directory_audit(data_dir, timeline.directory_audit, organisation)

    sender = plan.patient_zero.address
    sent = sorted(
        (pair for pair in rendered.values() if pair[0].sender.address == sender),
        key=lambda pair: (pair[0].time, pair[0].message_id),
    )
    files += write_maildir(data_dir / "mail" / "maildir" / sender / ".Sent", sent)
    return files


def _write_reported(
    data_dir: Path, chain: ChainRecord, rendered: dict[str, tuple[Message, bytes]]
) -> Path:
    """Write the origin message as the .eml its last recipient reported."""
    assert chain.origin is not None
    reporter = chain.origin.to[-1].address.split("@")[0]
    topic = "bank-details-change" if chain.origin.in_reply_to else "remittance-advice"
    path = data_dir / "mail" / "reported" / f"{reporter}-{topic}.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered[chain.origin.message_id][1])
    return path


def _truth(
    world: World,
    plan: ChainPlan,
    chain: ChainRecord,
    lookalikes: list[dict[str, Any]],
    data_dir: Path,
    reported: Path,
) -> dict[str, Any]:
    """Return truth.json for the default scenario, without the scenario labels."""
    assert chain.origin is not None
    sender = plan.patient_zero.address
    return {
        "organisation_domains": [ORG_DOMAIN],
        "compromised_accounts": [sender, *(p.address for p in plan.colleagues)],
        "origin_message_id": chain.origin.message_id,
        "origin_sender": chain.origin.sender.address,
        "lure_host": LURE_HOST,
        "attacker_ips": [ATTACKER_NG_IP, ATTACKER_US_IP],
        "attacker_asns": [ATTACKER_NG.asn, ATTACKER_US.asn],
        "benign_lookalikes": lookalikes,
        "period": {
            "start": world.start.isoformat(),
            "end": world.end.isoformat(),
            "days": world.days,
            "time_zone": "UTC",
        },
        "seed": world.seed,
        "mailboxes": len(world.tenant.people),
        "chain": chain_truth(world, plan, chain),
        "files": {
            "portal_csv_week": portal_week(world),
            "sent_items_maildir": str(
                (data_dir / "mail" / "maildir" / sender / ".Sent").relative_to(data_dir.parent)
            ),
            "reported_phish": str(reported.relative_to(data_dir.parent)),
        },
    }


def _settings_text() -> str:
    return (
        "# Settings for the simulated tenant written by `chainwatch simulate`.\n"
        "[organisation]\n"
        f'domains = ["{ORG_DOMAIN}"]\n'
        "\n"
        "[known_networks]\n"
        f'"{OFFICE_CIDR}" = "office"\n'
        f'"{CORPORATE_VPN_CIDR}" = "corporate-vpn"\n'
    )
