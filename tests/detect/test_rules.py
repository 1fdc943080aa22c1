"""Mailbox rule models: hiding rules, tidy-up rules, forwarding, and the login composite."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chainwatch.events import MailboxRuleChange

from .builders import ATTACKER, HISTORY_END, USERS, Run, by_model, rule_change, sign_in
from .builders import signin_history as history

RULE = "new-email-rule"
COMPOSITE = "unusual-login-and-new-email-rule"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]
HOME_IP = "198.51.100.10"  # USER's address in the history


@pytest.fixture
def run() -> Run:
    trained = Run()
    trained.feed(history())
    return trained


def hiding_rule(ip: str | None = HOME_IP, **extra: bool) -> MailboxRuleChange:
    return rule_change(
        USER,
        MORNING + timedelta(minutes=20),
        name=".",
        ip=ip,
        move_to_folder="RSS Feeds",
        mark_as_read=True,
        keywords=("invoice", "payment"),
        **extra,
    )


def test_hiding_rule_from_usual_address(run: Run) -> None:
    assert run.score(RULE, hiding_rule()).score >= 70


def test_hiding_rule_from_new_network(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    detection = run.score(RULE, hiding_rule(ip=ATTACKER["ip"]))

    assert detection.score >= 70
    assert "made from AS64511, used in 0 of 90 sign-ins" in " ".join(detection.explanation)


def test_hiding_rule_with_stop_processing(run: Run) -> None:
    # The same rule that also stops processing later rules.
    assert run.score(RULE, hiding_rule(stop_processing=True)).score >= 70


def test_hiding_rule_explains_each_trait(run: Run) -> None:
    text = " ".join(run.score(RULE, hiding_rule()).explanation)

    assert "'RSS Feeds'" in text
    assert "marks matching mail as read" in text
    assert "rule name '.'" in text
    assert "invoice, payment" in text


def test_tidy_up_rule_scores_low(run: Run) -> None:
    tidy = rule_change(
        USER,
        MORNING,
        name="Newsletters",
        ip=HOME_IP,
        from_addresses=("news@shop.example.org",),
        move_to_folder="Newsletters",
    )
    detection = run.score(RULE, tidy)

    assert detection is not None
    assert detection.score < 30
    assert run.feed([tidy]) == []  # below the report floor: not kept


def test_admin_leave_cover_scores_low(run: Run) -> None:
    cover = rule_change(
        USERS[1],
        MORNING,
        actor="helpdesk-admin@example.com",
        name="Leave cover",
        ip="198.51.100.30",
        forward_to=("team-lead@example.com",),
    )
    detection = run.score(RULE, cover)

    assert detection.score < 30
    assert detection.account == USERS[1]


def test_external_forwarding_scores_alert(run: Run) -> None:
    forward = rule_change(
        USER, MORNING, name="Copy", ip=HOME_IP, forward_to=("someone@example.net",)
    )
    detection = run.score(RULE, forward)

    assert detection.score >= 50
    assert ("recipient", "someone@example.net") in detection.entities


def test_admin_external_forwarding_not_discounted(run: Run) -> None:
    # An administrator forwarding outside the organisation is not leave cover.
    forward = rule_change(
        USER,
        MORNING,
        actor="helpdesk-admin@example.com",
        name="Copy",
        ip="198.51.100.30",
        forward_to=("someone@example.net",),
    )
    assert run.score(RULE, forward).score >= 50


def test_login_then_rule_composite(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    found = run.feed([hiding_rule(ip=ATTACKER["ip"])])
    [composite] = by_model(found, COMPOSITE)

    assert composite.score >= 85
    assert len(composite.event_ids) == 2
    assert "from the same address" in composite.explanation[0]


def test_login_then_rule_from_other_address(run: Run) -> None:
    # Within a day, even from another address, the composite still fires.
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    later = rule_change(
        USER,
        MORNING + timedelta(hours=20),
        name=".",
        ip=HOME_IP,
        move_to_folder="RSS Feeds",
        mark_as_read=True,
        keywords=("invoice",),
    )
    assert by_model(run.feed([later]), COMPOSITE)[0].score >= 85


def test_rule_without_unusual_login_no_composite(run: Run) -> None:
    assert by_model(run.feed([hiding_rule()]), COMPOSITE) == []


def test_rule_two_days_after_login_no_composite(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    late = rule_change(
        USER,
        MORNING + timedelta(days=2),
        name=".",
        ip=HOME_IP,
        move_to_folder="RSS Feeds",
        mark_as_read=True,
    )
    assert by_model(run.feed([late]), COMPOSITE) == []


def test_suspicious_rule_not_learned(run: Run) -> None:
    run.feed([hiding_rule(ip=ATTACKER["ip"])])

    assert run.book.get("rules", USER) is None


def test_removed_rule_not_scored(run: Run) -> None:
    removed = replace(hiding_rule(), removed=True, operation="Remove-InboxRule")

    assert run.score(RULE, removed) is None
    assert run.score(COMPOSITE, removed) is None
