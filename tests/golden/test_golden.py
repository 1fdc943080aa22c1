"""Compare chainwatch's readers with the expected output of peer projects' test suites.

Peers: Sekoia intake-format tests, Panther rule tests, Elastic pipeline tests, Wazuh
ruleset tests and Cribl pack samples, all read in place from the shared corpus. Run with
``pytest -s tests/golden`` to see every mismatch, rejected and skipped record.
"""

from __future__ import annotations

import pytest

from tests.golden.cases import FIELDS
from tests.golden.harness import GoldenReport

# Mismatches where the peer is wrong, keyed by (file, record, field), each with the reason.
ENVELOPE_TIME = (
    "the peer takes the Azure Monitor envelope 'time' (when the record was logged) as the "
    "event time; the sign-in happened at properties.createdDateTime"
)
KNOWN_PEER_ERRORS: dict[tuple[str, str, str], str] = {
    (
        "sekoia-intake-formats/Azure/azure-ad/tests/sign-in_activity6.json",
        "input.message",
        "time",
    ): ENVELOPE_TIME,
    (
        "panther-analysis/rules/azure_signin_rules/azure_legacyauth.yml",
        "test 2 'Sign-In with legacy auth'",
        "time",
    ): ENVELOPE_TIME,
    (
        "panther-analysis/rules/azure_signin_rules/azure_legacyauth.yml",
        "test 3 'Sign-In with legacy auth, KNOWN_EXCEPTION'",
        "time",
    ): ENVELOPE_TIME,
}

# Products chainwatch does not read. Their records must be counted, not dropped.
REQUIRED_NOT_APPLICABLE = (
    "Proofpoint TAP",
    "Panther Proofpoint.Event",
    "Mimecast email security",
    "Vade Secure for Microsoft 365",
    "Cisco ESA mail logs",
    "on-premises Exchange logs",
    "Postfix logs",
)


def test_golden_summary(golden_report: GoldenReport) -> None:
    for line in golden_report.summary_lines():
        print(line)
    assert golden_report.records > 0


def test_readers_never_raise(golden_report: GoldenReport) -> None:
    assert golden_report.errors == []


def test_mismatches_are_known_peer_errors(golden_report: GoldenReport) -> None:
    unexplained = [
        m.describe()
        for m in golden_report.mismatches
        if (m.file, m.record, m.field) not in KNOWN_PEER_ERRORS
    ]
    assert unexplained == []


def test_known_peer_errors_still_occur(golden_report: GoldenReport) -> None:
    found = {(m.file, m.record, m.field) for m in golden_report.mismatches}
    stale = [key for key in KNOWN_PEER_ERRORS if key not in found]
    assert stale == []


def test_every_record_yields_an_item(golden_report: GoldenReport) -> None:
    assert golden_report.no_event == []


@pytest.mark.parametrize("field", FIELDS)
def test_field_compared_at_least_once(golden_report: GoldenReport, field: str) -> None:
    assert golden_report.compared_per_field[field] > 0


@pytest.mark.parametrize("category", REQUIRED_NOT_APPLICABLE)
def test_unsupported_sources_counted(golden_report: GoldenReport, category: str) -> None:
    assert golden_report.not_applicable[category] > 0


def test_every_record_accounted_for(golden_report: GoldenReport) -> None:
    # Each record yields events, rejections or skips, so none may vanish between them.
    accounted = golden_report.events + len(golden_report.rejected) + len(golden_report.skipped)
    assert accounted >= golden_report.records
