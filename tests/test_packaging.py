"""The layout works from a checkout and as an installed package; requirements.txt matches pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import tomllib

from playground.resources import data_dir

ROOT = Path(__file__).resolve().parents[1]


def test_requirements_txt_lists_exactly_the_project_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    required = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(required) == sorted(declared)


def test_prompts_and_assets_are_found() -> None:
    assert (data_dir("prompts") / "sentiment.j2").is_file()
    assert (data_dir("assets") / "examples" / "sentiment.jsonl").is_file()
