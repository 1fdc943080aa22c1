"""Shared paths and helpers for the reader tests.

Field cases and the public corpus live beside the repository in ``../shared``; tests
that need them skip with a reason where that folder is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainwatch.events import Event
from chainwatch.read.base import Notice, Reader, ReadItem, Rejected, Skipped

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
FIELD_CASES = SHARED / "field-cases"
CORPUS = SHARED / "corpus"


def shared_file(folder: Path, name: str) -> Path:
    """Return a file under ``../shared``, skipping the test when it is absent."""
    path = folder / name
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")
    return path


def field_case(name: str) -> Path:
    return shared_file(FIELD_CASES, name)


def corpus_file(relative: str) -> Path:
    return shared_file(CORPUS, relative)


def corpus_files(relative_folder: str, pattern: str = "*.json") -> list[Path]:
    folder = CORPUS / relative_folder
    if not folder.is_dir():
        pytest.skip(f"shared corpus folder not present: {folder}")
    return sorted(folder.glob(pattern))


def read_all(reader: Reader, path: Path) -> list[ReadItem]:
    return list(reader.read(path))


def events_of(items: list[ReadItem]) -> list[Event]:
    return [item for item in items if isinstance(item, Event)]


def rejected_of(items: list[ReadItem]) -> list[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def skipped_of(items: list[ReadItem]) -> list[Skipped]:
    return [item for item in items if isinstance(item, Skipped)]


def notices_of(items: list[ReadItem]) -> list[Notice]:
    return [item for item in items if isinstance(item, Notice)]


def sniffs(reader: Reader, path: Path) -> bool:
    with path.open("rb") as handle:
        return reader.sniff(handle.read(64 * 1024), str(path))


@pytest.fixture
def non_utc_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run a test as on an analyst workstation in New York, not in UTC."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
