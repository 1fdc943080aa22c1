"""Grouping detections into incidents, incident ids, severity and the plain-text summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.correlate.build import build_incidents
from chainwatch.correlate.grouping import group_detections
from chainwatch.detect.base import Detection, detection_id

from ..detect.builders import (
    ATTACKER,
    HISTORY_END,
    USERS,
    Run,
    mail_sent,
    month_of_history,
    rule_change,
    sign_in,
)

T0 = datetime(2024, 5, 14, 9, 0, tzinfo=UTC)
ORG = ("example.com",)
DANA = "dana@example.com"
LEE = "lee@example.com"
STAGES = {
    "unusual-sign-in": "sign-in",
    "new-email-rule": "persistence",
    "account-hijack-link": "delivery",
    "login-impersonation-link": "delivery",
    "recipient-surge-from-unusual-login-location": "spread",
    "risky-app-consent": "persistence",
    "consented-app-mail-read": "collection",
    "payment-change-request": "delivery",
}


def detection(
    model: str,
    account: str,
    time: datetime,
    score: int = 70,
    entities: tuple[tuple[str, str], ...] = (),
    summary: str = "test finding",
) -> Detection:
    event_id = f"evt:{model}:{account}:{time.isoformat()}"
    return Detection(
        detection_id=detection_id(model, event_id),
        model=model,
        title=model.replace("-", " ").capitalize(),
        time=time,
        account=account,
        score=score,
        summary=summary,
        explanation=(f"score {score}",),
        event_ids=(event_id,),
        entities=(("account", account), *entities),
        stage=STAGES[model],
    )


def groups_of(*detections: Detection) -> list[set[str]]:
    groups = group_detections(detections, ("example.com",))
    return [{d.detection_id for d in group} for group in groups]


def lure(time: datetime, recipients: tuple[str, ...], sender: str = "ap@vendor.example.org"):
    return detection(
        "account-hijack-link",
        sender,
        time,
        score=80,
        entities=(
            ("sender", sender),
            ("link-host", "files-portal.example"),
            ("message-id", "lure-1@vendor.example.org"),
            *(("recipient", r) for r in recipients),
        ),
    )


# Grouping.


def test_same_account_within_week_joins() -> None:
    first = detection("unusual-sign-in", DANA, T0)
    second = detection("new-email-rule", DANA, T0 + timedelta(days=7))

    assert len(groups_of(first, second)) == 1


def test_same_account_eight_days_apart() -> None:
    first = detection("unusual-sign-in", DANA, T0)
    second = detection("new-email-rule", DANA, T0 + timedelta(days=8))

    assert len(groups_of(first, second)) == 2


def test_shared_network_joins_accounts() -> None:
    network = (("network", "AS64511"),)
    first = detection("unusual-sign-in", DANA, T0, entities=network)
    second = detection("unusual-sign-in", LEE, T0 + timedelta(days=3), entities=network)

    assert len(groups_of(first, second)) == 1


def test_different_networks_stay_apart() -> None:
    first = detection("unusual-sign-in", DANA, T0, entities=(("network", "AS64511"),))
    second = detection("unusual-sign-in", LEE, T0, entities=(("network", "AS64512"),))

    assert len(groups_of(first, second)) == 2


def test_lure_joins_recipient_signin() -> None:
    message = lure(T0, (DANA,))
    signin = detection("unusual-sign-in", DANA, T0 + timedelta(days=2), score=60)

    assert len(groups_of(message, signin)) == 1


def test_lure_ignores_low_tidy_up_rule() -> None:
    message = lure(T0, (DANA,))
    tidy = detection("new-email-rule", DANA, T0 + timedelta(days=1), score=20)

    assert len(groups_of(message, tidy)) == 2


def test_lure_ignores_earlier_signin() -> None:
    signin = detection("unusual-sign-in", DANA, T0 - timedelta(hours=1), score=90)
    message = lure(T0, (DANA,))

    assert len(groups_of(message, signin)) == 2


def test_internal_sender_lure_keeps_recipients_apart() -> None:
    """An internal account's own lure does not pull in everyone it mailed."""
    spread = detection("unusual-sign-in", DANA, T0, score=90)
    resent = lure(T0 + timedelta(hours=1), (LEE,), sender=DANA)
    lee_signin = detection("unusual-sign-in", LEE, T0 + timedelta(days=1), score=60)
    groups = groups_of(spread, resent, lee_signin)

    assert {lee_signin.detection_id} in groups


def test_grouping_ignores_input_order() -> None:
    items = [
        lure(T0, (DANA,)),
        detection("unusual-sign-in", DANA, T0 + timedelta(days=1), score=80),
        detection("new-email-rule", LEE, T0 + timedelta(days=2)),
    ]
    assert groups_of(*items) == groups_of(*reversed(items))


# Incident ids.


def _chain() -> list[Detection]:
    return [
        lure(T0, (DANA,)),
        detection("unusual-sign-in", DANA, T0 + timedelta(days=1), score=85,
                  entities=(("network", "AS64511"),)),
        detection("new-email-rule", DANA, T0 + timedelta(days=1, minutes=20), score=75),
    ]  # fmt: skip


def test_incident_ids_stable_across_runs() -> None:
    first = build_incidents(_chain(), BaselineBook(), ORG)
    second = build_incidents(list(reversed(_chain())), BaselineBook(), ORG)

    assert [i.incident_id for i in first] == [i.incident_id for i in second]


def test_incident_id_survives_later_detection() -> None:
    before = build_incidents(_chain(), BaselineBook(), ORG)
    later = detection("new-email-rule", DANA, T0 + timedelta(days=3), score=75)
    after = build_incidents([*_chain(), later], BaselineBook(), ORG)

    assert [i.incident_id for i in after] == [i.incident_id for i in before]


# Severity.


def test_single_unusual_signin_below_alert() -> None:
    [incident] = build_incidents(
        [detection("unusual-sign-in", DANA, T0, score=100)], BaselineBook(), ORG
    )
    assert incident.severity < 50


def test_chain_from_engine_scores_high() -> None:
    """A real sign-in, hiding rule and surge from the engine: severity at least 90."""
    run = Run()
    run.feed(month_of_history())
    user = USERS[0]
    start = HISTORY_END + timedelta(hours=9)
    attack = [
        sign_in(user, start, **ATTACKER),
        rule_change(user, start + timedelta(minutes=10), name=".", ip=ATTACKER["ip"],
                    move_to_folder="RSS Feeds", mark_as_read=True, keywords=("invoice",)),
        *(
            mail_sent(user, tuple(f"t{i * 3 + n}@example.org" for n in range(3)),
                      start + timedelta(minutes=30 + i))
            for i in range(20)
        ),
    ]  # fmt: skip
    run.feed(attack)
    incidents = build_incidents(run.detections(), run.book, run.settings.org_domains)
    [incident] = [i for i in incidents if user in i.accounts]

    assert {d.stage for d in incident.detections} >= {"sign-in", "persistence", "spread"}
    assert incident.severity >= 90


def test_second_account_adds_severity() -> None:
    network = (("network", "AS64511"),)
    one = build_incidents(
        [detection("unusual-sign-in", DANA, T0, score=80, entities=network)], BaselineBook(), ORG
    )
    two = build_incidents(
        [
            detection("unusual-sign-in", DANA, T0, score=80, entities=network),
            detection("unusual-sign-in", LEE, T0, score=80, entities=network),
        ],
        BaselineBook(),
        ORG,
    )
    assert two[0].severity > one[0].severity


# Text.


def test_summary_names_accounts() -> None:
    network = (("network", "AS64511"),)
    [incident] = build_incidents(
        [
            detection("unusual-sign-in", DANA, T0, score=80, entities=network),
            detection("unusual-sign-in", LEE, T0 + timedelta(hours=2), score=80, entities=network),
        ],
        BaselineBook(),
        ORG,
    )
    assert DANA in incident.summary
    assert LEE in incident.summary
    assert "AS64511" in incident.summary


def test_title_names_single_account() -> None:
    [incident] = build_incidents(_chain(), BaselineBook(), ORG)

    assert DANA in incident.title
    assert incident.title == f"Probable account takeover of {DANA}"


def test_summary_is_plain_text() -> None:
    [incident] = build_incidents(_chain(), BaselineBook(), ORG)

    for text in (incident.title, incident.summary):
        assert "<" not in text
        assert "\n" not in text
        assert text.isprintable()


def test_external_sender_not_an_account() -> None:
    [incident] = build_incidents(_chain(), BaselineBook(), ORG)

    assert incident.accounts == (DANA,)
    assert incident.origin.sender == "ap@vendor.example.org"
    assert "ap@vendor.example.org" in incident.summary


def test_internal_sender_lure_alone_keeps_recipients_apart() -> None:
    resent = lure(T0, (LEE,), sender=DANA)
    lee_signin = detection("unusual-sign-in", LEE, T0 + timedelta(days=1), score=60)

    assert len(groups_of(resent, lee_signin)) == 2


def test_summary_tells_steps_in_time_order() -> None:
    consent = detection("risky-app-consent", DANA, T0, summary="granted Mail Sorter")
    read = detection(
        "consented-app-mail-read", DANA, T0 + timedelta(hours=2), summary="Mail Sorter read"
    )
    [incident] = build_incidents([read, consent], BaselineBook(), ORG)

    granted = incident.summary.index("granted an app access to mail or files")
    read_through = incident.summary.index("had mail read through that app")
    assert granted < read_through
    assert "created or changed mailbox rules" not in incident.summary


def test_link_free_request_titled_as_payment_change() -> None:
    sender = "accounts@vendor.example.org"
    request = detection(
        "payment-change-request",
        sender,
        T0,
        score=81,
        entities=(
            ("sender", sender),
            ("message-id", "req-1@vendor.example.org"),
            ("recipient", DANA),
        ),
    )
    [incident] = build_incidents([request], BaselineBook(), ORG)

    assert incident.title == f"Payment-change request from {sender}"
    assert "without links" in incident.summary
    assert "linking to" not in incident.summary


def test_incident_ends_at_last_folded_event() -> None:
    first = detection("unusual-sign-in", DANA, T0)
    folded = replace(first, repeat_count=4, last_time=T0 + timedelta(days=3))
    [incident] = build_incidents([folded], BaselineBook(), ORG)

    assert incident.first_time == T0
    assert incident.last_time == T0 + timedelta(days=3)
