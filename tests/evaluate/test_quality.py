"""Detection quality thresholds on the ci suite: every scenario simulated and analysed once.

Attack variants: every compromised account is in an incident of severity 50 or more, the
chain incident names the origin message where the variant has one, contains a detection of
every expected stage and alerts within an hour of the origin message. Benign scenarios:
fewer than 0.5 false incidents per 1,000 mailboxes per week. The thresholds are checked
as counts so a failure names the scenario and what was missed.
"""

from __future__ import annotations

import pytest

from chainwatch.evaluate import RunMeasurement, build_suite, run_suite
from chainwatch.evaluate.scenarios import ATTACK, BENIGN, scenario_catalogue

MAX_FALSE_PER_THOUSAND_MAILBOX_WEEKS = 0.5
MAX_HOURS_FROM_ORIGIN = 1.0
CI_ENTRIES = build_suite("ci")
CATALOGUE = scenario_catalogue()

# Attack variants whose compromised accounts are not all in an alerting incident yet,
# with what is missing. Strict, so a case that starts passing must be moved out of here.
NOT_CAUGHT_YET: dict[str, str] = {}
# Attack variants whose chain incident does not name the origin message yet.
ORIGIN_NOT_NAMED_YET: dict[str, str] = dict(NOT_CAUGHT_YET)
# Benign scenarios that still raise false incidents at severity 50 or more.
NOISY_YET: dict[str, str] = {}


def _cases(kind: str, known_gaps: dict[str, str]) -> list[pytest.param]:
    cases = []
    for entry in CI_ENTRIES:
        if CATALOGUE[entry.scenario].kind != kind:
            continue
        marks = []
        if entry.scenario in known_gaps:
            marks.append(pytest.mark.xfail(strict=True, reason=known_gaps[entry.scenario]))
        cases.append(pytest.param(entry.scenario, id=entry.scenario, marks=marks))
    return cases


@pytest.fixture(scope="module")
def measurements() -> dict[str, RunMeasurement]:
    return {m.scenario: m for m in run_suite(CI_ENTRIES)}


@pytest.mark.parametrize("scenario", _cases(ATTACK, NOT_CAUGHT_YET))
def test_attack_accounts_all_caught(measurements, scenario):
    measurement = measurements[scenario]
    assert measurement.accounts_found == measurement.compromised, measurement.missing_accounts


@pytest.mark.parametrize("scenario", _cases(ATTACK, NOT_CAUGHT_YET))
def test_attack_raises_chain_incident(measurements, scenario):
    # The chain incident alerts and holds a detection of an expected stage. For a
    # payment-change request, whose only compromised account is the vendor's, that is the
    # incident traced to its message.
    measurement = measurements[scenario]
    assert measurement.stages_found, f"no alerting incident for {measurement.label}"


@pytest.mark.parametrize("scenario", _cases(ATTACK, NOT_CAUGHT_YET))
def test_attack_every_stage_detected(measurements, scenario):
    measurement = measurements[scenario]
    missing = set(measurement.expected_stages) - set(measurement.stages_found)
    assert not missing, f"stages without a detection in the chain incident: {sorted(missing)}"


@pytest.mark.parametrize("scenario", _cases(ATTACK, ORIGIN_NOT_NAMED_YET))
def test_attack_caught_at_first_email(measurements, scenario):
    # The chain incident has a detection of 50 or more within an hour of the origin message.
    measurement = measurements[scenario]
    if not measurement.has_origin:
        pytest.skip(f"{scenario} has no origin message in truth.json")
    assert measurement.hours_from_origin is not None
    assert measurement.hours_from_origin <= MAX_HOURS_FROM_ORIGIN


@pytest.mark.parametrize("scenario", _cases(ATTACK, ORIGIN_NOT_NAMED_YET))
def test_attack_origin_named(measurements, scenario):
    measurement = measurements[scenario]
    if not measurement.has_origin:
        pytest.skip(f"{scenario} has no origin message in truth.json")
    assert measurement.origin_named


@pytest.mark.parametrize("scenario", _cases(BENIGN, NOISY_YET))
def test_benign_false_incidents_rare(measurements, scenario):
    measurement = measurements[scenario]
    allowed = MAX_FALSE_PER_THOUSAND_MAILBOX_WEEKS * measurement.mailbox_weeks / 1000
    assert measurement.false_incidents < allowed, (
        f"{measurement.false_incidents} false incidents in {measurement.mailbox_weeks:.0f} "
        f"mailbox-weeks; fewer than {allowed:.2f} allowed"
    )


def test_ci_covers_attack_and_benign():
    kinds = {CATALOGUE[entry.scenario].kind for entry in CI_ENTRIES}
    assert ATTACK in kinds
    assert BENIGN in kinds
