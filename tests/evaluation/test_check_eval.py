"""`eval checks`: the check stage rerun over recorded outputs whose errors were labelled by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import InputError
from playground.core.resources import data_dir
from playground.evaluation import check_eval
from playground.evaluation.evaluate import read_eval_set
from playground.frontends.cli import main
from playground.runtime.registry import get_task
from playground.service import api

SOURCE = "The museum opens at nine. Tickets cost twelve euros for adults. Children under six enter free."
ENGLISH = "Tickets cost twelve euros for adults."


def row(number: int, text: str, errors: list[str]) -> dict[str, Any]:
    """A recorded German translation with its untranslated sentences labelled."""
    return {
        "id": f"t{number}", "task": "translation", "labelled": ["untranslated"],
        "inputs": {"text": SOURCE, "source_lang": "en", "target_lang": "de"},
        "output": {"text": text, "source_lang": "en", "target_lang": "de"},
        "errors": [{"kind": "untranslated", "text": e} for e in errors],
    }  # fmt: skip


ROWS = [
    row(1, f"Das Museum öffnet um neun Uhr. {ENGLISH} Kinder unter sechs Jahren haben freien Eintritt.", [ENGLISH]),
    row(2, "Das Museum öffnet um neun Uhr. Eintrittskarten kosten zwölf Euro für Erwachsene.", []),
    # labelled by hand as an error that the check misses: the German sentence reads as German to it
    row(
        3,
        "Das Museum öffnet um neun Uhr. Kinder unter sechs Jahren haben freien Eintritt.",
        ["Kinder unter sechs Jahren haben freien Eintritt."],
    ),
]


def test_flags_are_scored_against_the_labelled_spans_by_kind() -> None:
    figures, items = check_eval.evaluate_checks(ROWS)
    assert figures["untranslated"] == {
        "outputs": 3, "errors": 2, "flags": 1, "precision": 1.0, "recall": 0.5,
        "output_precision": 1.0, "output_recall": 0.5,
    }  # fmt: skip
    assert items[0].flags == {"untranslated": [(31, 31 + len(ENGLISH))]}
    assert items[0].to_dict()["flags"] == {"untranslated": [ENGLISH]} and not items[1].flags


def test_a_flag_on_a_clean_output_lowers_precision() -> None:
    clean_labels = [{**ROWS[0], "errors": []}]
    figures, _ = check_eval.evaluate_checks(clean_labels)
    assert figures["untranslated"]["precision"] == 0.0 and figures["untranslated"]["flags"] == 1
    assert figures["untranslated"]["recall"] != figures["untranslated"]["recall"]  # no errors: recall undefined


def test_a_labelled_error_that_is_not_in_the_output_fails_its_item_only() -> None:
    wrong = {**ROWS[1], "errors": [{"kind": "untranslated", "text": "not there"}]}
    figures, items = check_eval.evaluate_checks([wrong, ROWS[0]])
    assert items[0].error is not None and "not in the recorded output" in items[0].error
    assert figures["untranslated"]["outputs"] == 1
    with pytest.raises(InputError, match="every item failed"):
        check_eval.evaluate_checks([wrong])
    with pytest.raises(InputError, match="item q1: a check item needs `task`, `inputs` and the recorded `output`"):
        check_eval.evaluate_checks([{"id": "q1", "question": "Where?", "collection": "docs"}])
    with pytest.raises(InputError, match="unknown check kind"):
        check_eval.evaluate_checks(ROWS, kinds=["made-up"])


def test_api_check_reruns_a_tasks_checks_on_a_recorded_output() -> None:
    checks = api.check("translation", ROWS[0]["output"], **ROWS[0]["inputs"])
    assert [(c["kind"], ROWS[0]["output"]["text"][c["start"] : c["end"]]) for c in checks] == [
        ("untranslated", ENGLISH)
    ]
    with pytest.raises(InputError, match="needs `text`"):
        api.check("translation", {"summary": "x"}, **ROWS[0]["inputs"])
    with pytest.raises(InputError, match="writes no text"):
        api.check("sentiment", {"label": "positive"}, text="Great.")


def test_eval_checks_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "checks.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    results = tmp_path / "out.jsonl"
    assert main(["eval", "checks", "--data", str(data), "--output", str(results)]) == 0
    out = capsys.readouterr().out
    assert "checks on checks.jsonl: 3 recorded outputs" in out and "untranslated  3" in out
    assert len(results.read_text(encoding="utf-8").splitlines()) == 3
    assert main(["eval", "checks", "--data", str(data), "--param", "seed=1"]) == 2


def test_the_bundled_check_set_labels_pieces_of_its_outputs_on_both_splits() -> None:
    rows = read_eval_set(data_dir("assets") / "eval" / "checks.jsonl")
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {k for r in rows for k in r["labelled"]} == {"untranslated", "unsupported", "meaning"}
    for r in rows:
        text = r["output"][get_task(r["task"]).checked]
        assert sum(map(len, check_eval.labelled_spans(r, text).values())) == len(r["errors"]), r["id"]
