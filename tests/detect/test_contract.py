"""The model contract, checked on every model the engine runs.

Each model must describe itself fully, never raise on odd events, return explained
scores in 0-100, leave the baseline book untouched while scoring, and give the same
results from a reloaded baseline and from a repeated stream.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from chainwatch.baseline.book import BaselineBook
from chainwatch.correlate.narrative import STAGE_ORDER
from chainwatch.detect.base import Detection, Model
from chainwatch.detect.engine import MODELS, Engine
from chainwatch.events import (
    EVENT_TYPES,
    AuthResults,
    Client,
    EmailMessage,
    Event,
    FileAccess,
    LinkClick,
    Location,
    MailboxRuleChange,
    MailSent,
    MessageLinks,
    SignIn,
)

from .builders import (
    ATTACKER,
    HISTORY_END,
    USERS,
    Run,
    email,
    file_access,
    link,
    mail_sent,
    month_of_history,
    rule_change,
    settings,
    sign_in,
)

KEBAB_CASE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
STAGES = set(STAGE_ORDER)
NOW = HISTORY_END + timedelta(hours=9)
MODEL_IDS = [cls.name for cls in MODELS]


@pytest.fixture(scope="module")
def trained() -> Run:
    run = Run()
    run.feed(month_of_history())
    return run


def odd_events() -> list[Event]:
    """One event of each kind with minimal values, and each with odd ones."""
    user = USERS[0]
    return [
        # Minimal: nothing but the required fields.
        SignIn(
            event_id="signin:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            user=user, ip=None,
        ),
        MailboxRuleChange(
            event_id="ual:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            actor="", mailbox="", operation="",
        ),
        FileAccess(
            event_id="ual:file-min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            user=user, operation="",
        ),
        EmailMessage(
            event_id="mail:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            message_id=None, sender=None,
        ),
        MailSent(
            event_id="trace:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            sender="", recipients=(),
        ),
        # Odd: unknown country, no ASN, no client, failures, empty lists.
        sign_in(user, NOW, ip=None, country="XX", asn=None, family=None, os=None, app=None),
        sign_in(user, NOW, ip="2001:db8::1", country=None, asn=None, success=False),
        sign_in("nobody@example.com", NOW, **ATTACKER),
        sign_in(user, NOW, ip="not an address", country="ZZ", asn=0, family=""),
        rule_change(user, NOW, name=None, ip=None, forward_to=("",), keywords=("",)),
        rule_change(user, NOW, actor="admin@example.com", name="\x00", ip="2001:db8::9",
                    match_all=True, delete=True, forward_to=("x@example.net", "bare-name")),
        file_access(user, NOW, items=0),
        file_access(user, NOW, items=10_000, ip="203.0.113.50"),
        email("x@vendor1.example", (), NOW),
        email("", ("a@example.com",), NOW, links=(link("https://"),)),
        email("x@vendor1.example", USERS, NOW,
              links=(link("https://rnicrosoft-login.example/", "Sign in to Microsoft"),
                     link("mailto:someone@example.org"), link("https://[2001:db8::1]/x")),
              auth=AuthResults(available=False)),
        email(USERS[1], ("x@example.org",), NOW, links=(link("https://new-host.example/x"),)),
        mail_sent(user, (), NOW),
        mail_sent(user, tuple(f"r{i}@example.org" for i in range(500)), NOW),
        mail_sent("someone@example.org", ("a@example.com",), NOW),
        LinkClick(
            event_id="click:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            user=user, url="", host="",
        ),
        LinkClick(
            event_id="click:odd", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            user=user, url="https://new-host.example/x", host="new-host.example",
            ip="not an address", action="ClickBlocked", clicked_through=True,
        ),
        MessageLinks(
            event_id="links:min", time=NOW, source="t", origin=sign_in(user, NOW).origin,
            network_message_id="", links=(),
        ),
    ]  # fmt: skip


def _books(trained: Run) -> dict[str, BaselineBook]:
    return {"empty": BaselineBook(), "trained": trained.book}


# Descriptions.


@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
def test_model_name_is_kebab_case(cls: type[Model]) -> None:
    assert KEBAB_CASE.match(cls.name), cls.name


def test_model_names_are_unique() -> None:
    names = [cls.name for cls in MODELS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
def test_model_describes_itself(cls: type[Model]) -> None:
    assert cls.title.strip()
    assert cls.stage in STAGES
    assert cls.kinds
    assert cls.kinds <= set(EVENT_TYPES)


@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
def test_triage_guide_is_complete(cls: type[Model]) -> None:
    guide = cls.triage
    assert guide.meaning.strip()
    assert guide.check and all(step.strip() for step in guide.check)
    assert guide.false_positives and all(case.strip() for case in guide.false_positives)
    assert guide.response and all(step.strip() for step in guide.response)


# Scoring odd events.


def _check_result(result: Detection | None, cls: type[Model]) -> None:
    if result is None:
        return
    assert isinstance(result, Detection)
    assert isinstance(result.score, int)
    assert 0 <= result.score <= 100
    assert result.model == cls.name
    assert result.explanation


def _has_number(detection: Detection) -> bool:
    return any(re.search(r"\d", line) for line in detection.explanation)


def _results(cls: type[Model], book: BaselineBook, run: Run) -> list[Detection]:
    model = cls(settings=run.settings)
    found = []
    for event in odd_events():
        for shape in (event, run.enricher.enrich(event)):
            result = model.score(book, shape)
            _check_result(result, cls)
            if result is not None:
                found.append(result)
    return found


@pytest.mark.parametrize("book_name", ["empty", "trained"])
@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
def test_score_never_raises(cls: type[Model], book_name: str, trained: Run) -> None:
    _results(cls, _books(trained)[book_name], trained)


def _explanation_cases() -> list:
    cases = []
    for cls in MODELS:
        for book_name in ("empty", "trained"):
            cases.append(pytest.param(cls, book_name, id=f"{cls.name}-{book_name}"))
    return cases


@pytest.mark.parametrize(("cls", "book_name"), _explanation_cases())
def test_explanation_contains_number(cls: type[Model], book_name: str, trained: Run) -> None:
    for detection in _results(cls, _books(trained)[book_name], trained):
        assert _has_number(detection), detection.explanation


@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
def test_score_leaves_book_unchanged(cls: type[Model], trained: Run) -> None:
    # A book with suspicious context in it too, so composite models read their inputs.
    run = Run()
    run.feed(month_of_history())
    run.feed([sign_in(USERS[0], NOW - timedelta(hours=1), **ATTACKER)])
    model = cls(settings=run.settings)
    for event in odd_events():
        before = copy.deepcopy(run.book._states)
        model.score(run.book, run.enricher.enrich(event))
        assert run.book._states == before, f"{cls.name} changed the book on {event.event_id}"


def test_raised_detections_are_explained(trained: Run) -> None:
    run = Run()
    run.feed(month_of_history())
    found = run.feed(_attack(USERS[0]))
    assert found, "the attack raised nothing, so this test checks nothing"
    for detection in found:
        cls = next(c for c in MODELS if c.name == detection.model)
        _check_result(detection, cls)
        assert _has_number(detection), detection.explanation


# Neutral with little history.


def test_unusual_signin_neutral_below_min_history() -> None:
    run = Run()
    user = USERS[0]
    history = [
        sign_in(user, HISTORY_END - timedelta(days=day), ip="198.51.100.10")
        for day in range(1, run.settings.min_history)
    ]
    run.feed(history)
    assert len(history) == run.settings.min_history - 1

    assert run.score("unusual-sign-in", sign_in(user, NOW, **ATTACKER)) is None


def test_unusual_signin_scores_at_min_history() -> None:
    # The control for the test above: one more sign-in and the same event scores.
    run = Run()
    user = USERS[0]
    run.feed(
        sign_in(user, HISTORY_END - timedelta(days=day), ip="198.51.100.10")
        for day in range(1, run.settings.min_history + 1)
    )
    assert run.score("unusual-sign-in", sign_in(user, NOW, **ATTACKER)) is not None


# Saved baselines and determinism.


def _attack(user: str) -> list[Event]:
    """Unusual sign-in, hiding rule, file reads and a surge of the same account."""
    start = NOW
    events: list[Event] = [sign_in(user, start, **ATTACKER)]
    events.append(
        rule_change(user, start + timedelta(minutes=10), name=".", ip=ATTACKER["ip"],
                    move_to_folder="RSS Feeds", mark_as_read=True, keywords=("invoice",))
    )  # fmt: skip
    events.extend(
        file_access(user, start + timedelta(minutes=20, seconds=i), items=5, ip=ATTACKER["ip"])
        for i in range(30)
    )
    events.extend(
        mail_sent(
            user,
            tuple(f"target{i * 3 + n}@example.org" for n in range(3)),
            start + timedelta(minutes=30 + i),
        )
        for i in range(20)
    )
    return events


def _reloaded(book: BaselineBook) -> BaselineBook:
    saved = orjson.dumps([[ns, key, state] for (ns, key), state in book._states.items()])
    return BaselineBook({(ns, key): state for ns, key, state in orjson.loads(saved)})


def test_reloaded_baseline_scores_the_same() -> None:
    original = Run()
    original.feed(month_of_history())
    reloaded = Run()
    reloaded.engine = Engine(reloaded.settings, _reloaded(original.book))

    attack = _attack(USERS[0])
    assert original.feed(attack) == reloaded.feed(attack)
    assert original.detections(), "the attack raised nothing, so this test checks nothing"


def test_reloaded_baseline_scores_each_model_the_same() -> None:
    original = Run()
    original.feed(month_of_history())
    original.feed([sign_in(USERS[0], NOW - timedelta(hours=1), **ATTACKER)])
    book = _reloaded(original.book)
    for cls in MODELS:
        model = cls(settings=original.settings)
        for event in [*odd_events(), *_attack(USERS[0])]:
            enriched = original.enricher.enrich(event)
            assert model.score(book, enriched) == model.score(original.book, enriched)


def test_same_stream_gives_same_detections() -> None:
    first = Run()
    second = Run()
    stream = [*month_of_history(), *_attack(USERS[0]), *_attack(USERS[1])]
    first.feed(stream)
    second.feed(list(reversed(stream)))  # Run sorts by (time, event id) like the store

    assert first.engine.detections == second.engine.detections
    assert first.engine.detections


# Irrelevant differences.


def test_unknown_extra_settings_do_not_matter() -> None:
    plain = Run()
    extra = Run(replace(settings(), extra={"unknown": {"key": [1, 2]}}))
    stream = [*month_of_history(), *_attack(USERS[0])]
    plain.feed(stream)
    extra.feed(stream)
    assert plain.engine.detections == extra.engine.detections


def test_unrelated_fields_do_not_matter() -> None:
    """Session ids, ports, raw address text and cities never change a score."""
    plain = Run()
    noisy = Run()
    history = month_of_history()
    plain.feed(history)
    noisy.feed(_with_noise(event) for event in history)

    attack = _attack(USERS[0])
    assert plain.feed(attack) == noisy.feed(_with_noise(event) for event in attack)


def _with_noise(event: Event) -> Event:
    if isinstance(event, SignIn):
        return replace(
            event,
            port=40231,
            ip_raw=f"[{event.ip}]:40231",
            session_id="b1f2",
            correlation_id="c0ffee",
            location=replace(event.location, city="Somewhere"),
            client=Client(event.client.user_agent or "Mozilla/5.0", event.client.family,
                          event.client.os, event.client.app),
        )  # fmt: skip
    if isinstance(event, MailSent):
        return replace(event, size=12345, status="Delivered", message_id="x@example.com")
    if isinstance(event, FileAccess):
        return replace(event, workload="OneDrive", location=Location(city="Somewhere"))
    return event


def test_recipient_order_does_not_matter() -> None:
    forward = Run()
    backward = Run()
    history = month_of_history()
    forward.feed(history)
    backward.feed(history)
    attack = _attack(USERS[0])
    reordered = [
        replace(e, recipients=tuple(reversed(e.recipients))) if isinstance(e, MailSent) else e
        for e in attack
    ]
    assert forward.feed(attack) == backward.feed(reordered)
