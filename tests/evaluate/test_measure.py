"""Measuring incidents against ground truth, on hand-built incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.correlate.incident import Incident, OriginMessage
from chainwatch.detect.base import Detection
from chainwatch.evaluate.measure import measure_run
from chainwatch.evaluate.summary import summarise, total
from chainwatch.evaluate.truth import GroundTruth

LURE_TIME = datetime(2026, 10, 8, 10, 0, tzinfo=UTC)
SIGN_IN_TIME = LURE_TIME + timedelta(days=4)
ORIGIN_ID = "lure-1@mail.vendor.example"
VICTIMS = ("ana@example.com", "ben@example.com", "cy@example.com")


def truth(**changes) -> GroundTruth:
    fields = {
        "scenario": "vendor-hijack",
        "kind": "attack",
        "mailboxes": 50,
        "days": 28,
        "organisation_domains": frozenset({"example.com"}),
        "compromised_accounts": frozenset(VICTIMS),
        "origin_message_id": ORIGIN_ID,
        "origin_sender": "accounts@vendor.example",
        "expected_stages": ("delivery", "sign-in", "collection", "persistence", "spread"),
        "attack_start": LURE_TIME,
        "attacker_ips": frozenset({"192.0.2.41"}),
        "attacker_sign_in_ids": frozenset(),
    }
    fields.update(changes)
    return GroundTruth(**fields)


def detection(stage: str, score: int, when: datetime, account: str = VICTIMS[0]) -> Detection:
    return Detection(
        detection_id=f"{stage}-{score}-{when.isoformat()}",
        model=f"model-{stage}",
        title=stage,
        time=when,
        account=account,
        score=score,
        summary=stage,
        explanation=(f"score {score}",),
        event_ids=("e1",),
        stage=stage,
    )


def incident(
    accounts: tuple[str, ...],
    severity: int,
    detections: tuple[Detection, ...] = (),
    origin_id: str | None = None,
) -> Incident:
    origin = None
    if origin_id is not None:
        origin = OriginMessage(
            message_id=origin_id,
            sender="accounts@vendor.example",
            subject="Remittance",
            time=LURE_TIME,
            link_hosts=("lure.example",),
        )
    first = min((d.time for d in detections), default=LURE_TIME)
    last = max((d.time for d in detections), default=LURE_TIME)
    return Incident(
        incident_id=f"INC-{accounts[0] if accounts else origin_id}",
        severity=severity,
        title="t",
        summary="s",
        accounts=accounts,
        origin=origin,
        first_time=first,
        last_time=last,
        detections=detections,
        timeline=(),
    )


CHAIN_DETECTIONS = (
    detection("delivery", 40, LURE_TIME),
    detection("sign-in", 70, SIGN_IN_TIME + timedelta(hours=1)),
    detection("persistence", 80, SIGN_IN_TIME + timedelta(hours=20)),
)


def measure(incidents: list[Incident], ground: GroundTruth | None = None, **kwargs):
    return measure_run(
        "run",
        7,
        ground or truth(),
        incidents,
        kwargs.get("origin_time", LURE_TIME),
        kwargs.get("first_sign_in", SIGN_IN_TIME),
        1.0,
        0.5,
    )


def test_full_catch_counts_every_account():
    result = measure([incident(VICTIMS, 90, CHAIN_DETECTIONS, ORIGIN_ID.upper())])
    assert result.accounts_found == 3
    assert result.all_accounts_found
    assert result.origin_named  # message ids compare without case


def test_account_below_alert_not_found():
    chain = incident(VICTIMS[:2], 90, CHAIN_DETECTIONS, ORIGIN_ID)
    quiet = incident(VICTIMS[2:], 49, (detection("sign-in", 49, SIGN_IN_TIME),))
    result = measure([chain, quiet])
    assert result.accounts_found == 2
    assert result.missing_accounts == (VICTIMS[2],)
    assert result.false_incidents == 0


def test_account_in_second_alerting_incident_found():
    chain = incident(VICTIMS[:2], 90, CHAIN_DETECTIONS, ORIGIN_ID)
    other = incident(VICTIMS[2:], 60, (detection("sign-in", 60, SIGN_IN_TIME),))
    result = measure([chain, other])
    assert result.accounts_found == 3
    assert result.false_incidents == 0


def test_wrong_origin_not_named():
    result = measure([incident(VICTIMS, 90, CHAIN_DETECTIONS, "other@mail.vendor.example")])
    assert not result.origin_named


def test_origin_from_other_incident_not_named():
    # Only the chain incident's origin counts, not a lure incident next to it.
    chain = incident(VICTIMS, 90, CHAIN_DETECTIONS)
    lure = incident(("dee@example.com",), 55, (detection("delivery", 55, LURE_TIME),), ORIGIN_ID)
    result = measure([chain, lure])
    assert not result.origin_named
    assert result.false_incidents == 0  # it is about the attack's lure


def test_unrelated_alert_is_false_incident():
    chain = incident(VICTIMS, 90, CHAIN_DETECTIONS, ORIGIN_ID)
    other = incident(("dee@example.com",), 55, (detection("sign-in", 55, SIGN_IN_TIME),))
    assert measure([chain, other]).false_incidents == 1


def test_stages_found_follow_expected_order():
    result = measure([incident(VICTIMS, 90, CHAIN_DETECTIONS, ORIGIN_ID)])
    assert result.stages_found == ("delivery", "sign-in", "persistence")


def test_hours_from_origin_to_first_alert():
    result = measure([incident(VICTIMS, 90, CHAIN_DETECTIONS, ORIGIN_ID)])
    assert result.hours_from_origin == 97.0  # the 40-point delivery detection does not count


def test_hours_from_sign_in_ignore_earlier_alerts():
    detections = (detection("delivery", 60, LURE_TIME), *CHAIN_DETECTIONS[1:])
    result = measure([incident(VICTIMS, 90, detections, ORIGIN_ID)])
    assert result.hours_from_origin == 0.0
    assert result.hours_from_sign_in == 1.0


def test_no_alert_leaves_hours_empty():
    result = measure([incident(VICTIMS, 30, (detection("sign-in", 30, SIGN_IN_TIME),))])
    assert result.hours_from_origin is None
    assert result.hours_from_sign_in is None
    assert result.accounts_found == 0


def test_benign_alerts_are_false_incidents():
    ground = truth(
        kind="benign",
        compromised_accounts=frozenset(),
        origin_message_id=None,
        expected_stages=(),
    )
    noisy = incident(("dee@example.com",), 70, (detection("sign-in", 70, SIGN_IN_TIME),))
    quiet = incident(("eve@example.com",), 40, (detection("sign-in", 40, SIGN_IN_TIME),))
    result = measure([noisy, quiet], ground, first_sign_in=None, origin_time=None)
    assert result.false_incidents == 1
    assert result.compromised == 0
    assert result.stages_found == ()


def test_delivery_only_chain_found_by_origin():
    ground = truth(compromised_accounts=frozenset(), expected_stages=("delivery",))
    lure = incident(("ana@example.com",), 60, (detection("delivery", 60, LURE_TIME),), ORIGIN_ID)
    result = measure([lure], ground, first_sign_in=None)
    assert result.origin_named
    assert result.stages_found == ("delivery",)
    assert result.false_incidents == 0


def test_summary_rate_per_thousand_mailbox_weeks():
    ground = truth(kind="benign", compromised_accounts=frozenset(), origin_message_id=None)
    noisy = incident(("dee@example.com",), 70, (detection("sign-in", 70, SIGN_IN_TIME),))
    runs = [measure([noisy], ground), measure([], ground)]
    summary = summarise(runs)[0]
    # 2 runs x 50 mailboxes x 4 weeks = 400 mailbox-weeks, 1 false incident.
    assert summary.mailbox_weeks == 400.0
    assert summary.false_per_thousand_mailbox_weeks == 2.5


def test_total_adds_up_recall():
    first = measure([incident(VICTIMS, 90, CHAIN_DETECTIONS, ORIGIN_ID)])
    second = measure([incident(VICTIMS[:1], 90, CHAIN_DETECTIONS, ORIGIN_ID)])
    summary = total([first, second])
    assert summary.accounts_found == 4
    assert summary.compromised == 6
    assert summary.origins_named == 2


def test_outside_sender_found_as_origin_sender():
    vendor = "accounts@vendor.example"
    ground = truth(compromised_accounts=frozenset({vendor}), expected_stages=("delivery",))
    lure = incident(("ana@example.com",), 60, (detection("delivery", 60, LURE_TIME),), ORIGIN_ID)
    result = measure([lure], ground, first_sign_in=None)
    assert result.accounts_found == 1


def test_organisation_account_needs_incident_account():
    # A lure delivered to a compromised account does not find its takeover.
    lure_to_victim = detection("delivery", 60, LURE_TIME, account=VICTIMS[0])
    lure = incident(("dee@example.com",), 60, (lure_to_victim,), ORIGIN_ID)
    result = measure([lure])
    assert result.accounts_found == 0
