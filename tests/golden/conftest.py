"""Fixtures of the golden comparison, and its summary at the end of the pytest run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.cases import load_corpus
from tests.golden.harness import GoldenReport, run_golden

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

# Reports of this session, printed by pytest_terminal_summary so the CI log shows the
# counts without ``pytest -s``.
SESSION_REPORTS: list[GoldenReport] = []


@pytest.fixture(scope="session")
def golden_report(tmp_path_factory: pytest.TempPathFactory) -> GoldenReport:
    """Read every golden case of the shared corpus once per session."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}; the golden comparison needs it")
    report = run_golden(load_corpus(CORPUS), tmp_path_factory.mktemp("golden"))
    SESSION_REPORTS.append(report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for report in SESSION_REPORTS:
        terminalreporter.section("golden comparison")
        for line in report.summary_lines()[:4]:
            terminalreporter.write_line(line)
