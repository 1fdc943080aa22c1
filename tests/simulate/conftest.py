"""A small simulated tenant shared by the simulate tests (50 mailboxes, 28 days)."""

from __future__ import annotations

import json
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from chainwatch.simulate import SimulationResult, simulate_tenant
from tests.simulate import loaders


@pytest.fixture(scope="session")
def small_tenant(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate_tenant(tmp_path_factory.mktemp("tenant"), seed=11, mailboxes=50, days=28)


@pytest.fixture(scope="session")
def truth(small_tenant: SimulationResult) -> dict[str, Any]:
    return json.loads(small_tenant.truth_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def exported(small_tenant: SimulationResult) -> Path:
    return small_tenant.data_dir


@pytest.fixture(scope="session")
def journal(exported: Path) -> list[Message]:
    return loaders.journal(exported)


@pytest.fixture(scope="session")
def scenario_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the scenarios that the scenario tests generate once per session."""
    return tmp_path_factory.mktemp("scenarios")
