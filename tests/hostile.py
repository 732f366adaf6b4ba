"""The hostile inputs of tests/data/hostile.jsonl, the batch rows and uploads made of them, and the checks that an
answer to one is sane: a one-line error, or an output that makes sense for the task.

The data file holds one object per line:

- `name`: the row id; `value`: the task's main text (`repeat` times when given); for clustering the value is one
  text among two ordinary ones, unless `texts` gives the whole list;
- `params`: generation parameters for that row; `labels`: classification labels (default sports/politics/cooking);
  `inputs`: other task inputs; `tasks`: run only on these tasks (variants of an item that every task gets run on
  the scoring tasks only, which keeps the whole set to about a minute on two cores);
- `error`: a regular expression the row's error must match (every task), `error_for`: per task, where null means
  that task must answer (an empty text in a clustering list is dropped, not an error). No `error` means an output.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from playground.runtime.registry import get_task
from playground.service import api
from playground.text.edits import apply_edits
from playground.text.textio import clean_value

DATA = Path(__file__).resolve().parent / "data" / "hostile.jsonl"
HOSTILE: list[dict[str, Any]] = [json.loads(line) for line in DATA.read_text(encoding="ascii").splitlines() if line]
BY_NAME = {item["name"]: item for item in HOSTILE}
TASKS = ["generation", "translation", "summarization", "sentiment", "grammar", "style_transfer", "classification",
         "clustering"]  # fmt: skip
DEFAULT_LABELS = ["sports", "politics", "cooking"]
COMPANIONS = ["The striker scored twice.", "Bake the bread for an hour."]  # the other texts of a clustering row
CHEAP = ["--param", "max_new_tokens=8"]  # keeps every generating task to a few tokens per row
GRADIO_GENERIC = "upstream Gradio app has raised an exception"  # what a client sees when a handler crashed
HUGE = "The cat sat on the mat. " * 4200  # 100,800 characters: above every task's limit


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json(line: str) -> Any:
    """Parse one line as RFC 8259 JSON: NaN and Infinity, which Python's json accepts, are refused."""
    return json.loads(line, parse_constant=_reject_constant)


def hostile_value(item: dict[str, Any]) -> Any:
    value = item["value"]
    return value * item["repeat"] if isinstance(value, str) and "repeat" in item else value


def build_row(item: dict[str, Any], task: str) -> dict[str, Any] | None:
    """The batch row of a hostile item for a task (None when the item is for other tasks)."""
    if "tasks" in item and task not in item["tasks"]:
        return None
    spec = get_task(task)
    value = hostile_value(item)
    row: dict[str, Any] = {"id": item["name"]}
    if spec.main_input.kind == "texts":
        row[spec.main_input.name] = item.get("texts", [value, *COMPANIONS])
    else:
        row[spec.main_input.name] = value
    if task == "classification":
        row["labels"] = item.get("labels", DEFAULT_LABELS)
    row.update(item.get("inputs", {}))
    row.update(item.get("params", {}))
    return row


def expected_error(item: dict[str, Any], task: str) -> str | None:
    """The pattern the item's error must match on this task, or None when the task must answer."""
    per_task = item.get("error_for", {})
    return per_task[task] if task in per_task else item.get("error")


def check_one_line_error(message: Any) -> None:
    """A message a person can read: one short line, no traceback, no crash behind it."""
    assert isinstance(message, str) and message.strip(), f"empty error: {message!r}"
    assert "\n" not in message and "\r" not in message, f"not one line: {message[:300]!r}"
    assert "Traceback" not in message and 'File "' not in message, message[:300]
    assert not message.startswith("internal error"), f"a bug, not a user error: {message}"
    assert GRADIO_GENERIC not in message, "the handler crashed: Gradio hid the exception"


def check_output(task: str, inputs: dict[str, Any], output: dict[str, Any], from_file: bool = True) -> None:
    """The output is plain JSON and makes sense for the task's inputs (as read from a file, or as the app got them)."""
    json.dumps(output, allow_nan=False)
    spec = get_task(task)
    names = {i.name for i in spec.inputs}
    # The file readers clean every string before validation (a text of control characters only is then blank and
    # dropped from a list); the app validates what the form sent.
    prepare = clean_value if from_file else (lambda v: v)
    cleaned = spec.validate({k: prepare(v) for k, v in inputs.items() if k in names})
    if spec.display == "label" and "scores" not in output:  # sentiment's method=generate: a parsed label only
        assert output["label"] in {"positive", "negative", "neutral"} and isinstance(output["answer"], str)
    elif spec.display == "label":
        scores = output["scores"]
        assert output["label"] in scores
        assert all(0.0 <= p <= 1.0 for p in scores.values()) and math.isclose(sum(scores.values()), 1.0, abs_tol=1e-6)
        if task == "classification":
            assert list(scores) == cleaned["labels"]
        else:
            assert set(scores) == {"positive", "negative", "neutral"}
    elif spec.display == "edits":
        text = cleaned["text"]
        for edit in output["edits"]:
            assert text[edit["start"] : edit["end"]] == edit["original"], edit
        assert apply_edits(text, output["edits"]) == output["corrected"]
    elif spec.display == "clusters":
        texts = cleaned["texts"]
        assert len(output["assignments"]) == len(texts) == len(output["points"])
        assert output["k"] == len(output["clusters"])
        assert sorted(m for c in output["clusters"] for m in c["members"]) == sorted(texts)
        assert all(c["size"] == len(c["members"]) for c in output["clusters"])
    else:
        assert isinstance(api.primary_text(output), str)
        if task == "translation":
            assert output["target_lang"] == cleaned["target_lang"]
        if task == "style_transfer":
            assert output["text"].strip()  # the input itself when the model gives nothing


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    # ensure_ascii: a lone surrogate is written as the escape "\ud800", as JSON allows and a UTF-8 file can hold.
    path.write_text("".join(json.dumps(row, ensure_ascii=True) + "\n" for row in rows), encoding="ascii")
    return path


def result_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a results file, which must be strict UTF-8 and strict JSON."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "the last line is torn"
    return [strict_json(line) for line in data.decode("utf-8").splitlines()]


def check_results(task: str, rows: list[tuple[dict[str, Any], dict[str, Any]]], results: list[dict[str, Any]]) -> None:
    """One result per row, in order, each an output or the error the item expects."""
    assert len(results) == len(rows)
    for (item, row), result in zip(rows, results, strict=True):
        name = item["name"]
        assert result["id"] == name
        expected = expected_error(item, task)
        if expected is not None:
            assert "error" in result, f"{task}/{name}: expected an error matching {expected!r}, got {result}"
            check_one_line_error(result["error"])
            assert re.search(expected, result["error"], re.IGNORECASE), f"{task}/{name}: {result['error']}"
        else:
            assert "output" in result, f"{task}/{name}: {result.get('error')}"
            check_output(task, row, result["output"])


def upload_files(folder: Path) -> dict[str, tuple[Path, list[tuple[Any, str | None]]]]:
    """Upload files in awkward encodings and shapes, each with its expected (id, error pattern or None) per row."""
    files: dict[str, tuple[Path, list[tuple[Any, str | None]]]] = {}
    bom = folder / "bom.csv"
    bom.write_bytes('id,text\r\nb1,Great food and kind staff.\r\nb2,"Cold, late and rude."\r\n'.encode("utf-8-sig"))
    files["bom_csv"] = (bom, [("b1", None), ("b2", None)])
    latin_csv = folder / "latin1.csv"
    latin_csv.write_bytes('id,text\nl1,"Café très bon, merci."\nl2,Crème brûlée parfaite.\n'.encode("latin-1"))
    files["latin1_csv"] = (latin_csv, [("l1", None), ("l2", None)])
    latin_jsonl = folder / "latin1.jsonl"
    latin_jsonl.write_bytes('{"id": "j1", "text": "Crème brûlée exquise."}\n{"text": "Déçu."}\n'.encode("latin-1"))
    files["latin1_jsonl"] = (latin_jsonl, [("j1", None), (2, None)])
    utf16 = folder / "utf16.csv"
    utf16.write_bytes("text\nZürich est très beau.\n\U0001f600 happy\n".encode("utf-16"))
    files["utf16_csv"] = (utf16, [(1, None), (2, None)])  # no id column: the row numbers
    shapes = folder / "shapes.jsonl"
    shapes.write_text(
        "\n".join(
            [
                '{"text": "A fine first row."}',
                "[1, 2]",
                "42",
                '"just a string"',
                "null",
                "true",
                "{not json",
                "[" * 100_000 + "]" * 100_000,
                '{"text": "x", "temperature": NaN}',
                '{"id": "dup", "text": "one"}',
                '{"id": "dup", "text": "two"}',
                '{"text": "A fine last row."}',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    files["shapes_jsonl"] = (
        shapes,
        [
            (1, None),
            (2, "must be a JSON object.*array"),
            (3, "must be a JSON object.*number"),
            (4, "must be a JSON object.*string"),
            (5, "must be a JSON object.*null"),
            (6, "must be a JSON object.*boolean"),
            (7, "not valid JSON"),
            (8, "nested|too large|not valid JSON"),
            (9, "NaN, which JSON does not allow"),
            ("dup", None),
            ("dup", "appears twice"),
            (12, None),
        ],
    )
    return files


UPLOADS = ["bom_csv", "latin1_csv", "latin1_jsonl", "utf16_csv", "shapes_jsonl"]


def check_upload_results(results: list[dict[str, Any]], expected: list[tuple[Any, str | None]]) -> None:
    assert [r["id"] for r in results] == [i for i, _ in expected]
    for result, (row_id, error) in zip(results, expected, strict=True):
        if error is None:
            assert "output" in result, f"row {row_id}: {result}"
        else:
            check_one_line_error(result.get("error"))
            assert re.search(error, result["error"]), f"row {row_id}: {result['error']}"
