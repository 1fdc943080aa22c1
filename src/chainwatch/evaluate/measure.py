"""Compare one run's incidents with the ground truth.

The measures, all on incidents of severity at least :data:`ALERT_SEVERITY`:

- accounts found: compromised accounts that are in such an incident. An organisation
  account must be one of the incident's accounts. An outside one, such as a hijacked
  vendor mailbox, must be a detection's account or the origin message's sender;
- origin named: the chain incident's origin message is truth's origin message;
- stages found: expected chain stages with a detection (any score) in the chain incident;
- hours to detect: from the origin message, and from the first attacker sign-in, to the
  first detection scoring at least :data:`ALERT_SEVERITY` in the chain incident;
- false incidents: other incidents holding no compromised account and not traced to
  truth's origin message.

The chain incident is the alerting incident with the most compromised accounts (the
more severe one on a tie), or else the one traced to truth's origin message; it is
never counted as false.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from chainwatch.correlate.incident import Incident
from chainwatch.evaluate.truth import GroundTruth

ALERT_SEVERITY = 50  # the severity at which an incident calls for an analyst now


@dataclass(frozen=True)
class RunMeasurement:
    """One simulated tenant's result against its ground truth."""

    label: str
    scenario: str
    kind: str
    seed: int
    mailboxes: int
    days: int
    compromised: int
    accounts_found: int
    has_origin: bool
    origin_named: bool
    expected_stages: tuple[str, ...]
    stages_found: tuple[str, ...]
    hours_from_origin: float | None  # None without an origin message or a detection >= 50
    hours_from_sign_in: float | None  # None without an attacker sign-in or a detection >= 50
    false_incidents: int
    seconds: float  # wall time to simulate, analyse and measure
    cpu_seconds: (
        float  # processor time of the same, which other load on the machine does not inflate
    )
    missing_accounts: tuple[str, ...] = field(default=())

    @property
    def mailbox_weeks(self) -> float:
        return self.mailboxes * self.days / 7.0

    @property
    def all_accounts_found(self) -> bool:
        return self.accounts_found == self.compromised

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expected_stages"] = list(self.expected_stages)
        data["stages_found"] = list(self.stages_found)
        data["missing_accounts"] = list(self.missing_accounts)
        return data


def measure_run(
    label: str,
    seed: int,
    truth: GroundTruth,
    incidents: list[Incident],
    origin_time: datetime | None,
    first_sign_in: datetime | None,
    seconds: float,
    cpu_seconds: float,
) -> RunMeasurement:
    """Measure ``incidents`` from one analysis against ``truth``."""
    alerting = [i for i in incidents if i.severity >= ALERT_SEVERITY]
    compromised = truth.compromised_accounts
    found = compromised & {a for i in alerting for a in _accounts(i, truth)}
    chain = chain_incident(alerting, truth)
    false_incidents = sum(
        1
        for i in alerting
        if i is not chain
        and not compromised & _accounts(i, truth)
        and not _traced_to_origin(i, truth)
    )

    stages_found: tuple[str, ...] = ()
    origin_named = False
    hours_from_origin = hours_from_sign_in = None
    if chain is not None:
        detected = {d.stage for d in chain.detections}
        stages_found = tuple(s for s in truth.expected_stages if s in detected)
        origin_named = _traced_to_origin(chain, truth)
        alert_times = sorted(d.time for d in chain.detections if d.score >= ALERT_SEVERITY)
        hours_from_origin = _hours_to_first(alert_times, origin_time, after=False)
        # A lure caught on delivery comes before any sign-in. This measure is how long the
        # takeover itself went unflagged, so it counts detections at or after the sign-in.
        hours_from_sign_in = _hours_to_first(alert_times, first_sign_in, after=True)

    return RunMeasurement(
        label=label,
        scenario=truth.scenario,
        kind=truth.kind,
        seed=seed,
        mailboxes=truth.mailboxes,
        days=truth.days,
        compromised=len(compromised),
        accounts_found=len(found),
        has_origin=truth.origin_message_id is not None,
        origin_named=origin_named,
        expected_stages=truth.expected_stages,
        stages_found=stages_found,
        hours_from_origin=hours_from_origin,
        hours_from_sign_in=hours_from_sign_in,
        false_incidents=false_incidents,
        seconds=round(seconds, 1),
        cpu_seconds=round(cpu_seconds, 1),
        missing_accounts=tuple(sorted(compromised - found)),
    )


def chain_incident(alerting: list[Incident], truth: GroundTruth) -> Incident | None:
    """Return the alerting incident that stands for the injected chain, if there is one.

    That is the one with the most compromised accounts or, when no alerting incident
    contains one (an attack stopped at delivery), the one traced to truth's origin message.
    """
    compromised = truth.compromised_accounts
    best = max(
        alerting,
        key=lambda i: (len(compromised & _accounts(i, truth)), i.severity),
        default=None,
    )
    if best is not None and compromised & _accounts(best, truth):
        return best
    if truth.origin_message_id is None:
        return None
    traced = [i for i in alerting if _traced_to_origin(i, truth)]
    return max(traced, key=lambda i: i.severity, default=None)


def _traced_to_origin(incident: Incident, truth: GroundTruth) -> bool:
    return (
        truth.origin_message_id is not None
        and incident.origin is not None
        and (incident.origin.message_id or "").lower() == truth.origin_message_id
    )


def _accounts(incident: Incident, truth: GroundTruth) -> set[str]:
    """Return the incident's organisation accounts and the outside senders it names."""
    named = {a.lower() for a in incident.accounts}
    outside = {d.account.lower() for d in incident.detections}
    if incident.origin is not None and incident.origin.sender:
        outside.add(incident.origin.sender.lower())
    named |= {a for a in outside if not _in_domains(a, truth.organisation_domains)}
    return named


def _in_domains(address: str, domains: frozenset[str]) -> bool:
    domain = address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _hours_to_first(
    alert_times: list[datetime], since: datetime | None, *, after: bool
) -> float | None:
    if since is None:
        return None
    candidates = [t for t in alert_times if t >= since] if after else alert_times
    if not candidates:
        return None
    return round((candidates[0] - since).total_seconds() / 3600.0, 2)
