"""Hostile inputs through the app's HTTP API: the hostile set (tests/data/hostile.jsonl) in every task's form and
batch upload, bad decoding parameters, lone surrogates that gradio_client cannot send, uploads in other encodings and
shapes. A sane output or a one-line error each time."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from playground.runtime.registry import get_task
from tests.hostile import (
    BY_NAME,
    COMPANIONS,
    DEFAULT_LABELS,
    TASKS,
    UPLOADS,
    build_row,
    check_one_line_error,
    check_output,
    check_results,
    check_upload_results,
    expected_error,
    hostile_value,
    result_lines,
    upload_files,
    write_jsonl,
)


def app_inputs(item: dict[str, Any], task: str) -> dict[str, Any]:
    """A hostile item as the form sends it: a texts box holds one text per line, labels are comma-separated."""
    spec = get_task(task)
    value = hostile_value(item)
    if spec.main_input.kind == "texts":
        inputs: dict[str, Any] = {spec.main_input.name: "\n".join([value, *COMPANIONS])}
    else:
        inputs = {spec.main_input.name: value}
    if task == "classification":
        inputs["labels"] = ", ".join(DEFAULT_LABELS)
    return inputs


def app_call(client: Any, api_name: str, **kwargs: Any) -> tuple[Any, str | None]:
    """(result, None) or (None, the error message the client got)."""
    from gradio_client.exceptions import AppError

    try:
        return client.predict(**kwargs, api_name=api_name), None
    except AppError as exc:
        return None, str(exc)


APP_ITEMS = ["control_chars", "rtl_override", "img_onerror", "jinja_expression", "prompt_injection", "emoji",
             "whitespace_only", "huge"]  # fmt: skip


@pytest.mark.model
@pytest.mark.parametrize("task", TASKS)
def test_hostile_inputs_through_the_app(task: str, client: Any) -> None:
    for name in APP_ITEMS:
        item = BY_NAME[name]
        inputs = app_inputs(item, task)
        result, error = app_call(client, f"/{task}", **inputs, max_new_tokens=8)
        expected = expected_error(item, task)
        if error is not None:
            check_one_line_error(error)
            assert expected and re.search(expected, error, re.IGNORECASE), f"{task}/{name}: {error}"
        else:
            assert expected is None, f"{task}/{name}: expected an error matching {expected!r}"
            check_output(task, inputs, result[-1]["output"], from_file=False)


APP_PARAMS: list[tuple[dict[str, Any], str | None]] = [
    ({"max_new_tokens": 0}, "minimum|max_new_tokens"),
    ({"max_new_tokens": -1}, "minimum|max_new_tokens"),
    ({"temperature": 9}, "maximum|temperature"),
    ({"top_p": 5}, "maximum|top_p"),
    ({"top_k": -3}, "top_k"),
    ({"top_k": 1e30}, "top_k"),
    ({"repetition_penalty": 0.1}, "minimum|repetition_penalty"),
    ({"num_beams": 3}, "num_beams|beam"),
    ({"seed": -1}, "seed"),
    ({"engine": "bogus"}, "choices"),
    ({"model": "no-such-model-xyz"}, "unknown model"),
    ({"stop": ""}, None),
    ({"stop": "\\n"}, None),
    ({"stop": [""]}, None),  # the form's parser drops empty stop sequences
]


@pytest.mark.model
@pytest.mark.parametrize(("params", "expected"), APP_PARAMS, ids=[json.dumps(p) for p, _ in APP_PARAMS])
def test_bad_decoding_parameters_through_the_app(params: dict[str, Any], expected: str | None, client: Any) -> None:
    kwargs = {"max_new_tokens": 8, **params}
    result, error = app_call(client, "/generation", prompt="Say hello.", **kwargs)
    if expected is None:
        assert error is None, error
        assert isinstance(result[0], str)
    else:
        assert error is not None, f"{params} was accepted"
        check_one_line_error(error)
        assert re.search(expected, error, re.IGNORECASE), error


@pytest.mark.parametrize(("params", "name"), [({"temperature": "nan"}, "temperature"), ({"seed": "abc"}, "seed")])
def test_a_non_number_for_a_numeric_control_gets_a_clear_error(params: dict[str, Any], name: str, client: Any) -> None:
    _, error = app_call(client, "/generation", prompt="Say hello.", max_new_tokens=8, **params)
    assert error is not None
    check_one_line_error(error)
    assert name in error


def raw_call(app_url: str, api_name: str, data: list[Any]) -> tuple[str, Any]:
    """Call an endpoint over plain HTTP with a JSON body that escapes lone surrogates, as JSON allows (gradio_client
    cannot send them: it encodes the body as UTF-8). Returns the last event's name and data."""
    import httpx

    base = f"{app_url}gradio_api/call/{api_name}"
    body = json.dumps({"data": data}, ensure_ascii=True)
    response = httpx.post(base, content=body, headers={"Content-Type": "application/json"}, timeout=60)
    response.raise_for_status()
    event_id = response.json()["event_id"]
    event, payload = "", None
    with httpx.stream("GET", f"{base}/{event_id}", timeout=300) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                payload = json.loads(line.removeprefix("data:"))
    return event, payload


def positional(task: str, **inputs: Any) -> list[Any]:
    """Every parameter of a task's endpoint in order: inputs, upload slot, the Advanced controls' defaults, and the
    edited template slot (None) of a task that has one."""
    from playground.engines.params import GenerationParams

    spec = get_task(task)
    p = GenerationParams().merged(**spec.default_params)
    values: list[Any] = [inputs.get(i.name, i.default) for i in spec.inputs]
    if spec.main_input.kind == "texts":
        values.append(None)
    values += [spec.default_model, "auto", 8, p.temperature, p.top_p, p.top_k, p.repetition_penalty, p.num_beams]
    return [*values, None, 0, "", *([None] if spec.templates else [])]  # seed, logprobs, stop, then the template


@pytest.mark.model
@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("sentiment", {"text": "Great product \ud800 would buy again."}),
        ("classification", {"text": "\udfff The striker scored.", "labels": "sports, \ud800, cooking"}),
        ("generation", {"prompt": "Say \ud800 hello."}),
        ("clustering", {"texts": "The cat sleeps.\n\ud800\nThe dog barks."}),
    ],
)
def test_lone_surrogates_through_the_app(task: str, inputs: dict[str, Any], app_url: str) -> None:
    event, payload = raw_call(app_url, task, positional(task, **inputs))
    assert event == "complete", payload
    raw = payload[-1]
    json.dumps(raw, allow_nan=False).encode("utf-8")  # nothing unencodable came back
    check_output(task, inputs, raw["output"], from_file=False)


@pytest.mark.model
@pytest.mark.parametrize("task", TASKS)
def test_hostile_batch_file_through_the_app(task: str, client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    # Per-row generation parameters are not task inputs: the app ignores them (test_bad_parameter_for_an_app_batch).
    names = ["lone_high_surrogate", "control_chars", "script_tag", "jinja_block", "empty", "huge", "value_number"]
    rows = [(BY_NAME[n], row) for n in names if (row := build_row(BY_NAME[n], task)) is not None]
    source = write_jsonl(tmp_path / "hostile.jsonl", [row for _, row in rows])
    with source.open("a", encoding="ascii") as sink:
        sink.write("[1, 2]\n7\n")  # lines that are not objects: an error line each
    result, error = app_call(client, f"/{task}_batch", file=handle_file(str(source)), max_new_tokens=8)
    assert error is None, error
    results = result_lines(Path(result[0]))
    check_results(task, rows, results[:-2])
    assert [r["id"] for r in results[-2:]] == [len(rows) + 1, len(rows) + 2]
    for r in results[-2:]:
        check_one_line_error(r["error"])
    failed = sum("error" in r for r in results)
    assert f"{len(results)} rows: {len(results) - failed} answered, {failed} error" in result[1]


@pytest.mark.model
@pytest.mark.parametrize("name", UPLOADS)
def test_upload_gives_one_line_per_row_through_the_app(name: str, client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    path, expected = upload_files(tmp_path)[name]
    result, error = app_call(client, "/sentiment_batch", file=handle_file(str(path)))
    assert error is None, error
    check_upload_results(result_lines(Path(result[0])), expected)


@pytest.mark.model
def test_bad_parameter_for_an_app_batch(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    source = write_jsonl(tmp_path / "in.jsonl", [{"prompt": "Say hi."}, {"prompt": "Say bye."}])
    result, error = app_call(client, "/generation_batch", file=handle_file(str(source)), top_k=-3)
    if error is not None:  # refused as a whole
        check_one_line_error(error)
        assert "top_k" in error
        return
    results = result_lines(Path(result[0]))
    assert [r["id"] for r in results] == [1, 2]
    for r in results:
        check_one_line_error(r["error"])
        assert "top_k" in r["error"]
