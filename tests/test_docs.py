"""Documentation that is generated from code, or lists what code declares, stays in sync."""

from __future__ import annotations

from pathlib import Path

from chainwatch.detect.catalogue import render_markdown
from chainwatch.detect.engine import MODELS
from chainwatch.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_detections_page_matches_code():
    committed = (DOCS / "detections.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "run: uv run chainwatch models > docs/detections.md"


def test_every_model_has_scoring_and_triage():
    for model in MODELS:
        assert model.scoring, model.name
        assert model.triage.meaning, model.name
        assert model.triage.check, model.name
        assert model.triage.false_positives, model.name
        assert model.triage.response, model.name


def test_every_setting_is_documented():
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.path}`" in page, setting.path
