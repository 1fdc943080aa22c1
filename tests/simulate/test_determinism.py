"""Same seed, same bytes; argument checks; the default run's speed."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from chainwatch.simulate import simulate_tenant


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_identical_bytes(tmp_path: Path) -> None:
    simulate_tenant(tmp_path / "a", seed=3, mailboxes=50, days=28)
    simulate_tenant(tmp_path / "b", seed=3, mailboxes=50, days=28)
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_different_seed_differs(tmp_path: Path) -> None:
    simulate_tenant(tmp_path / "a", seed=3, mailboxes=50, days=28)
    simulate_tenant(tmp_path / "b", seed=4, mailboxes=50, days=28)
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first["truth.json"] != second["truth.json"]
    shared = set(first) & set(second)
    assert any(first[name] != second[name] for name in shared if name.startswith("data/"))


def test_start_date_moves_period(tmp_path: Path) -> None:
    result = simulate_tenant(tmp_path, mailboxes=50, days=28, start=date(2027, 1, 4))
    names = {p.name for p in result.files}
    assert "ual-2027-W01.jsonl" in names


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mailboxes": 49}, "mailboxes must be at least 50"),
        ({"days": 27}, "days must be at least 28"),
        ({"mailboxes": 0}, "got 0"),
    ],
)
def test_invalid_arguments_rejected(tmp_path: Path, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_tenant(tmp_path, **kwargs)
    assert not (tmp_path / "data").exists()


def test_existing_export_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old.csv").write_text("x\n")
    with pytest.raises(FileExistsError, match="not empty"):
        simulate_tenant(tmp_path, mailboxes=50, days=28)


def test_defaults_run_quickly(tmp_path: Path) -> None:
    began = time.perf_counter()
    result = simulate_tenant(tmp_path)
    elapsed = time.perf_counter() - began
    assert elapsed < 30
    assert result.messages > 10_000
    assert len(result.compromised_accounts) == 3
    chain = json.loads(result.truth_path.read_text(encoding="utf-8"))["chain"]
    assert len(chain["internal_message_ids"]) >= 60
    assert len(chain["internal_message_ids"]) + len(chain["external_message_ids"]) >= 250
