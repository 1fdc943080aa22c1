"""Turn a group of detections into an incident: severity, origin, timeline, summary.

Severity combines the strongest detection of each model with a weight per model
(noisy-OR), so one unusual sign-in or one tidy-up rule stays low while a chain of
sign-in, rule and surge approaches 100; every further compromised account adds to it.
"""

from __future__ import annotations

from datetime import datetime

from chainwatch.baseline.book import BaselineBook
from chainwatch.correlate.grouping import DELIVERY_STAGE, group_detections, incident_id
from chainwatch.correlate.incident import Incident, OriginMessage, TimelineEntry
from chainwatch.correlate.narrative import summarise, title_for
from chainwatch.detect.base import Detection, clamp_score, noisy_or
from chainwatch.enrich.domains import domain_of_address

# How far one detection of each model alone moves an incident's severity.
MODEL_WEIGHTS = {
    "unusual-sign-in": 0.4,
    "token-replay-sign-in": 0.45,
    "risky-app-consent": 0.7,
    "consented-app-mail-read": 0.7,
    "sent-items-deleted-after-surge": 0.7,
    "slow-exfiltration": 0.6,
    "new-email-rule": 0.6,
    "unusual-login-and-new-email-rule": 1.0,
    "account-hijack-link": 0.55,
    "login-impersonation-link": 0.5,
    "lure-link-clicked": 0.6,
    "unusual-login-location-and-new-unknown-link": 0.9,
    "recipient-surge-from-unusual-login-location": 1.0,
    "recipient-surge-with-suspicious-content": 1.0,
    "unusual-file-access-after-unusual-login": 0.8,
    "lookalike-sender-domain": 0.5,
    "payment-change-request": 0.7,
    "html-attachment-lure": 0.55,
}
EXTRA_ACCOUNT_POINTS = 5


def build_incidents(
    detections: list[Detection], book: BaselineBook, org_domains: tuple[str, ...]
) -> list[Incident]:
    """Group detections and build one incident per group, most severe first."""
    incidents = [
        build_incident(group, book, frozenset(org_domains))
        for group in group_detections(detections, org_domains)
    ]
    return sorted(incidents, key=lambda i: (-i.severity, i.first_time, i.incident_id))


def build_incident(
    group: list[Detection], book: BaselineBook, org_domains: frozenset[str]
) -> Incident:
    accounts = _accounts(group, org_domains)
    severity, severity_reasons = _severity(group, len(accounts))
    origin = _origin(group, book)
    timeline = _timeline(group, origin)
    entities: dict[str, list[str]] = {}
    for detection in group:
        for kind, value in detection.entities:
            if kind in ("ip", "network", "link-host") and value not in entities.get(kind, []):
                entities.setdefault(kind, []).append(value)
    first_time = min(d.time for d in group)
    last_time = max(d.end_time for d in group)
    return Incident(
        incident_id=incident_id(group),
        severity=severity,
        title=title_for(group, accounts, origin),
        summary=summarise(group, accounts, origin, entities),
        accounts=accounts,
        origin=origin,
        first_time=first_time,
        last_time=last_time,
        detections=tuple(group),
        timeline=timeline,
        severity_explanation=tuple(severity_reasons),
        entities=entities,
    )


def _is_org_account(address: str, org_domains: frozenset[str]) -> bool:
    domain = domain_of_address(address)
    if domain is None:
        return False
    if not org_domains:
        return True
    return any(domain == d or domain.endswith("." + d) for d in org_domains)


def _accounts(group: list[Detection], org_domains: frozenset[str]) -> tuple[str, ...]:
    """Return the organisation accounts with account-level findings, first seen first."""
    seen: dict[str, None] = {}
    for detection in group:
        if detection.stage == DELIVERY_STAGE:
            continue
        if _is_org_account(detection.account, org_domains):
            seen.setdefault(detection.account, None)
    return tuple(seen)


def _severity(group: list[Detection], account_count: int) -> tuple[int, list[str]]:
    best: dict[str, Detection] = {}
    for detection in group:
        if detection.model not in best or detection.score > best[detection.model].score:
            best[detection.model] = detection
    terms = []
    reasons = []
    for model, detection in sorted(best.items()):
        weight = MODEL_WEIGHTS.get(model, 0.5)
        terms.append(weight * detection.score / 100)
        reasons.append(f"{model}: score {detection.score} x weight {weight}")
    value = 100 * noisy_or(*terms)
    if account_count > 1:
        value += EXTRA_ACCOUNT_POINTS * (account_count - 1)
        reasons.append(f"{account_count} accounts: +{EXTRA_ACCOUNT_POINTS * (account_count - 1)}")
    return clamp_score(value), reasons


def _origin(group: list[Detection], book: BaselineBook) -> OriginMessage | None:
    deliveries = [d for d in group if d.stage == DELIVERY_STAGE]
    if deliveries:
        first = min(deliveries, key=lambda d: (d.time, -d.score))
        return OriginMessage(
            message_id=next(iter(first.entity_values("message-id")), None),
            sender=next(iter(first.entity_values("sender")), first.account),
            subject=next(iter(first.entity_values("subject")), None),
            time=first.time,
            link_hosts=tuple(dict.fromkeys(first.entity_values("link-host"))),
            recipients=tuple(first.entity_values("recipient")),
            traced_by=first.model,
        )

    # No lure was detected on delivery: trace the chain's links to their first inbound copy.
    candidates = []
    for detection in group:
        for host in detection.entity_values("link-host"):
            state = book.get("link-host", host) or {}
            first_inbound = state.get("first_inbound")
            if first_inbound:
                candidates.append((first_inbound["time"], host, first_inbound))
    if not candidates:
        return None
    time, host, found = min(candidates)
    return OriginMessage(
        message_id=found.get("message_id"),
        sender=found.get("sender"),
        subject=found.get("subject"),
        time=datetime.fromisoformat(time),
        link_hosts=(host,),
        recipients=tuple(found.get("recipients", [])),
        traced_by="first inbound message with the link",
    )


def _timeline(group: list[Detection], origin: OriginMessage | None) -> tuple[TimelineEntry, ...]:
    entries = [
        TimelineEntry(
            time=d.time,
            account=d.account,
            stage=d.stage,
            what=f"{d.title} (score {d.score}): {d.summary}"
            + (f" [+{d.repeat_count} similar]" if d.repeat_count else ""),
            detection_id=d.detection_id,
        )
        for d in group
    ]
    if origin and origin.time and not any(d.stage == DELIVERY_STAGE for d in group):
        entries.append(
            TimelineEntry(
                time=origin.time,
                account=origin.sender or "",
                stage=DELIVERY_STAGE,
                what=f"first inbound message linking to {', '.join(origin.link_hosts)}",
            )
        )
    return tuple(sorted(entries, key=lambda e: (e.time, e.detection_id or "")))
