"""Recipient surges judged against each account's own busiest hours."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chainwatch.events import Event, MailSent

from .builders import (
    ATTACKER,
    HISTORY_END,
    HISTORY_START,
    USERS,
    Run,
    by_model,
    email,
    link,
    mail_sent,
    month_of_history,
    sign_in,
    signin_history,
)

FROM_LOGIN = "recipient-surge-from-unusual-login-location"
WITH_CONTENT = "recipient-surge-with-suspicious-content"
SURGES = (FROM_LOGIN, WITH_CONTENT)
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]


@pytest.fixture
def run() -> Run:
    trained = Run()
    trained.feed(month_of_history())
    return trained


def burst(sender: str, start: datetime, people: int = 60, minutes: int = 20) -> list[MailSent]:
    """``people`` new external recipients in ``minutes`` minutes, three per message."""
    per_message = 3
    messages = people // per_message
    return [
        mail_sent(
            sender,
            tuple(f"target{i * per_message + n}@example.org" for n in range(per_message)),
            start + timedelta(seconds=i * minutes * 60 // messages),
            subject="Shared document",
        )
        for i in range(messages)
    ]


def surges(found: list) -> list:
    return [d for d in found if d.model in SURGES]


def test_history_stays_below_five_per_hour(run: Run) -> None:
    history = run.book.get("outbound", USER)["history"]

    assert len(history) >= 30
    assert max(history) <= 5


def test_surge_after_unusual_login(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    found = run.feed(burst(USER, MORNING + timedelta(hours=1)))
    [detection] = by_model(found, FROM_LOGIN)

    assert detection.account == USER
    assert detection.score >= 60


def test_surge_reports_final_size(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    run.feed(burst(USER, MORNING + timedelta(hours=1)))
    [detection] = run.detections(FROM_LOGIN)

    assert detection.explanation[0].startswith("60 distinct recipients in 60 minutes")
    assert detection.repeat_count > 0


def test_surge_without_login_is_quiet(run: Run) -> None:
    """A month-end invoice run: many recipients, no unusual sign-in, no rare link."""
    assert surges(run.feed(burst(USER, MORNING + timedelta(hours=1)))) == []


def test_surge_login_too_long_ago(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    assert by_model(run.feed(burst(USER, MORNING + timedelta(days=2))), FROM_LOGIN) == []


def test_surge_not_learned_as_normal(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    run.feed(burst(USER, MORNING + timedelta(hours=1)))
    # Close the surge hour with an ordinary message.
    run.feed([mail_sent(USER, ("contact1@partner0.example.org",), MORNING + timedelta(hours=4))])

    assert max(run.book.get("outbound", USER)["history"]) <= 5


def test_surge_with_rare_link(run: Run) -> None:
    """No unusual sign-in, but each message carries a link nobody here has seen."""
    lure = link("https://docs-review.example/s/abc", "View document")
    messages: list[Event] = [
        email(
            USER,
            tuple(f"target{i * 3 + n}@example.org" for n in range(3)),
            MORNING + timedelta(minutes=i),
            links=(lure,),
            subject="Shared document",
        )
        for i in range(20)
    ]
    [detection] = by_model(run.feed(messages), WITH_CONTENT)

    assert ("link-host", "docs-review.example") in detection.entities


def newsletter_run(weeks: int) -> list[MailSent]:
    """400 subscribers every Monday 10:00-10:40, in batches of 50."""
    events = []
    for week in range(weeks):
        start = HISTORY_START + timedelta(weeks=week, hours=10)
        for batch in range(8):
            recipients = tuple(f"reader{batch * 50 + n}@example.org" for n in range(50))
            events.append(
                mail_sent("news@example.com", recipients, start + timedelta(minutes=batch * 5))
            )
    return events


def newsletter_stream() -> list[Event]:
    weekdays = [
        mail_sent(
            "news@example.com", ("editor@example.org",), HISTORY_START + timedelta(days=d, hours=15)
        )
        for d in range(35)
    ]
    return [*signin_history(["news@example.com"], days=35), *weekdays, *newsletter_run(4)]


def test_weekly_newsletter_no_surge() -> None:
    run = Run()
    run.feed(newsletter_stream())
    week_five = HISTORY_START + timedelta(weeks=4)
    # The editor travels: an unusual sign-in that morning, then the usual Monday send.
    run.feed([sign_in("news@example.com", week_five + timedelta(hours=8), **ATTACKER)])
    assert run.detections("unusual-sign-in")

    found = run.feed(newsletter_run(5)[-8:])
    assert surges(found) == []


def test_weekly_newsletter_triple_size_surges() -> None:
    # The control: the same morning, three times the usual audience does surge.
    run = Run()
    run.feed(newsletter_stream())
    week_five = HISTORY_START + timedelta(weeks=4)
    run.feed([sign_in("news@example.com", week_five + timedelta(hours=8), **ATTACKER)])
    big = [
        mail_sent(
            "news@example.com",
            tuple(f"stranger{batch * 150 + n}@example.org" for n in range(150)),
            week_five + timedelta(hours=10, minutes=batch * 5),
        )
        for batch in range(8)
    ]
    assert by_model(run.feed(big), FROM_LOGIN)
