"""Adding a task takes its module, its template and its data file: nothing else in the project changes.

A throwaway task is written to a temporary folder with an eval set and a public set, registered from there, and
run through the fake-backend suite, `eval` and the quality report, as the README's contributor section says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.evaluation import evaluate as evaluation
from playground.evaluation import report
from playground.runtime import registry, templates
from tests.fakes import FakePool
from tests.helpers import ROOT, check_on_fake_backend

MODULE = '''"""Headline: a short title for a text."""

from playground.metrics import scores
from playground.runtime.evalspec import EvalSpec, PublicSet, copied, references, row_text
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import generate_runner

EVALUATION = EvalSpec(
    inputs=lambda row, rows: {"text": row_text(row, "text")},
    reference=references,
    prediction=lambda output: output["text"],
    score=scores.chrf,
    item_score=scores.sentence_chrf,
    best=100.0,
    baseline=copied("text"),
    public_sets=(PublicSet("headlines.jsonl", ("chrf",)),),
)

SPEC = TaskSpec(
    name="headline",
    title="Headline",
    description="A short title for a text.",
    inputs=(Input("text", "text", "Text", max_chars=4_000),),
    templates=("headline.j2",),
    run=generate_runner("headline.j2", lambda text, inputs: {"text": text.strip()}),
    default_params={"max_new_tokens": 16},
    group="Write",
    evaluation=EVALUATION,
)
'''
TEMPLATE = "Write a headline for this text.\nText: {{ text }}\nHeadline:"
ROWS = [
    {"id": i, "text": text, "reference": headline}
    for i, (text, headline) in enumerate(
        [
            ("The river rose two metres overnight and the old bridge was closed.", "River closes old bridge"),
            ("The school opened a garden where pupils grow beans and tomatoes.", "Pupils grow a garden"),
            ("A storm cut power to four villages for most of Sunday.", "Storm cuts village power"),
            ("The museum will stay open late on Fridays this summer.", "Museum open late on Fridays"),
        ],
        1,
    )
]


@pytest.fixture
def task_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The three files of a new task in a folder of its own; the registry and templates are restored after."""
    folder = tmp_path / "my_tasks"
    folder.mkdir()
    (folder / "headline.py").write_text(MODULE, encoding="utf-8")
    (folder / "headline.j2").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "headlines.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    registry.all_tasks()  # the built-in tasks first, as in any run
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(templates, "_folders", [])
    yield folder
    monkeypatch.undo()
    templates._environment.cache_clear()
    templates.shots.cache_clear()


def test_a_task_from_its_own_folder_runs_everywhere(task_folder: Path, fake_pool: FakePool) -> None:
    [spec] = registry.load_folder(task_folder)
    assert registry.get_task("headline") is spec and spec in registry.all_tasks()
    fake_pool.fake("smollm2-135m").default_text = "River closes old bridge"

    # The fake-backend suite: the task streams, finishes once and its eval finds the prediction.
    result = check_on_fake_backend(spec, fake_pool, {"text": ROWS[0]["text"]})
    assert result.output == {"text": "River closes old bridge"}
    assert "Text: The river rose" in str(fake_pool.fake("smollm2-135m").history[-1][1])  # its own template ran

    # eval: the generic evaluation reads the task's spec.
    assert "headline" in evaluation.eval_tasks()
    rows = evaluation.read_eval_set(task_folder.parent / "headlines.jsonl")
    scored = evaluation.evaluate("headline", rows, pool=fake_pool)
    assert scored.metrics["n"] == 4 and scored.errors == 0
    assert scored.items[0].score == pytest.approx(100.0)  # the fake's answer is the first reference
    assert 0 < scored.metrics["chrf"] < 100

    # report: its public set and its baseline come from the spec.
    assert "headline" in report.report_tasks()
    [row] = report.quality_report(task_folder.parent, "test", tasks=["headline"], pool=fake_pool)
    assert row.error is None and row.n == 2 and row.data == "headlines.jsonl" and row.split == "test"
    assert row.baseline_is == "input copied" and 0 < row.baseline["chrf"] < 100 and "chrf" in row.model


def test_a_folder_of_tasks_loads_from_the_environment(task_folder: Path) -> None:
    env = {**os.environ, registry.TASKS_ENV: str(task_folder)}
    code = "import playground; print(sorted(t['name'] for t in playground.list_tasks()))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "'headline'" in proc.stdout


def test_a_task_that_takes_a_builtin_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.all_tasks()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(templates, "_folders", [])
    (tmp_path / "again.py").write_text(MODULE.replace('name="headline"', 'name="sentiment"'), encoding="utf-8")
    (tmp_path / "headline.j2").write_text(TEMPLATE, encoding="utf-8")
    with pytest.raises(ValueError, match="'sentiment' is registered twice"):
        registry.load_folder(tmp_path)
    monkeypatch.undo()
    templates._environment.cache_clear()
