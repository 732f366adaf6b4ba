"""Hostile inputs against every task, through the CLI batch mode and the app: a sane output or a one-line error.

The inputs live in tests/data/hostile.jsonl (tests/hostile.py reads them and says what each field means). Also here:
the lone-surrogate row of the issue, uploads in other encodings and shapes, and resuming a killed batch.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import InputError, PlaygroundError
from playground.frontends.cli import main
from playground.runtime import templates
from playground.runtime.registry import get_task
from playground.service import api, batch
from playground.text.textio import read_rows
from tests.fakes import FakePool
from tests.helpers import CLI, ENV, launch_app
from tests.hostile import (
    BY_NAME,
    CHEAP,
    COMPANIONS,
    DEFAULT_LABELS,
    HOSTILE,
    HUGE,
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
    strict_json,
    upload_files,
    write_jsonl,
)


def test_the_hostile_set_covers_what_the_issue_lists() -> None:
    names = set(BY_NAME)
    assert len(names) == len(HOSTILE), "names are row ids: they must be unique"
    for needed in ("lone_high_surrogate", "control_chars", "rtl_override", "zero_width", "emoji", "combining_marks",
                   "script_tag", "img_onerror", "jinja_expression", "jinja_block", "prompt_injection", "empty",
                   "whitespace_only", "huge", "long_single_token", "labels_empty", "labels_duplicates",
                   "labels_markup", "temperature_nan", "max_new_tokens_negative", "top_p_too_big",
                   "stop_empty_string"):  # fmt: skip
        assert needed in names
    assert len(hostile_value(BY_NAME["huge"])) >= 100_000
    for task in TASKS:
        assert sum(build_row(item, task) is not None for item in HOSTILE) >= 35


@pytest.mark.model
@pytest.mark.parametrize("task", TASKS)
def test_hostile_batch_through_the_cli(task: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(item, row) for item in HOSTILE if (row := build_row(item, task)) is not None]
    source = write_jsonl(tmp_path / "in.jsonl", [row for _, row in rows])
    target = tmp_path / "out.jsonl"
    code = main(["run", task, "--input", str(source), "--output", str(target), *CHEAP])
    err = capsys.readouterr().err
    assert code == 1, err[-2000:]  # some rows are meant to fail; the others are written all the same
    assert "Traceback" not in err, err[-2000:]
    results = result_lines(target)
    check_results(task, rows, results)
    failed = sum("error" in r for r in results)
    assert f"{len(results)} rows: {len(results) - failed} answered, {failed} error" in err and f"-> {target}" in err


@pytest.mark.model
def test_lone_surrogate_row_does_not_stop_the_batch(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"text": "Lovely staff and a great view."}\n'
        '{"text": "Broken \\ud800 text, but the food was great."}\n'
        '{"text": "Cold food and a rude waiter."}\n'
        '{"id": "\\udfff", "text": "\\ud800"}\n'
        '{"text": "Fine."}\n',
        encoding="ascii",
    )
    target = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [*CLI, "run", "sentiment", "--input", str(source), "--output", str(target)],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "UnicodeEncodeError" not in proc.stderr
    results = result_lines(target)
    assert [r["id"] for r in results] == [1, 2, 3, "\ufffd", 5]  # the rows after the surrogate are all there
    assert all(r["output"]["label"] in ("positive", "negative", "neutral") for r in results)
    assert "5 rows: 5 answered, 0 errors" in proc.stderr


@pytest.mark.model
def test_undecodable_argv_bytes_are_cleaned(tmp_path: Path) -> None:
    # A shell can pass bytes that are not UTF-8; Python hands them over as lone surrogates (surrogateescape).
    proc = subprocess.run(
        [*CLI, "run", "sentiment", "--text", b"Caf\xe9 was lovely \xff\xfe.", "--json"],
        capture_output=True,
        env={**os.environ, **ENV},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    result = strict_json(proc.stdout.decode("utf-8"))
    assert result["output"]["label"] in ("positive", "negative", "neutral")


@pytest.mark.parametrize("task", TASKS)
def test_huge_input_is_refused_fast_with_one_line(task: str, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    assert main(["run", task, "--text", HUGE, "--json"]) == 2
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "too long" in err and "Traceback" not in err
    assert len(err) < 300  # the message names the size, it does not echo the text
    assert elapsed < 2.0, f"{task} took {elapsed:.1f} s to refuse a huge input"


PARAM_CASES = [item for item in HOSTILE if "params" in item and "error" in item]


@pytest.mark.parametrize("item", PARAM_CASES, ids=[item["name"] for item in PARAM_CASES])
def test_bad_decoding_parameter_on_the_command_line(item: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    params = [f"{key}={json.dumps(value)}" for key, value in item["params"].items()]
    argv = ["run", "generation", "--text", "hi", *[arg for p in params for arg in ("--param", p)]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert re.search(item["error"], err, re.IGNORECASE), err
    check_one_line_error(err.removeprefix("error: ").rstrip("\n"))


@pytest.mark.parametrize("raw", ["nan", "NaN", "Infinity", "-1e999", "[]", "{}", '"0.5"x', "1,5"])
def test_non_numbers_for_temperature_on_the_command_line(raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "sentiment", "--text", "fine", "--param", f"temperature={raw}"]) == 2
    err = capsys.readouterr().err
    assert "temperature" in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("name", ["jinja_expression", "jinja_block", "chat_markup"])
def test_template_syntax_in_inputs_is_text_not_code(name: str) -> None:
    value = hostile_value(BY_NAME[name])
    summary = {"sentences": "two sentences", "words": 20}
    for template, key, extra in (("generation.j2", "prompt", {}), ("sentiment.j2", "text", {}),
                                 ("summarization.j2", "text", summary)):  # fmt: skip
        rendered = templates.render(template, **{key: value}, **extra)
        assert value in rendered  # inserted verbatim: "{{ 7*7 }}" is not evaluated to 49


def test_an_unknown_choice_is_named_in_its_error() -> None:
    with pytest.raises(InputError, match="unknown style '<script>'"):
        get_task("style_transfer").validate({"text": "hi", "style": "<script>"})


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("translation", {"text": "hi", "target_lang": "x" * 100_000}),
        ("style_transfer", {"text": "hi", "style": "y" * 100_000}),
        ("grammar", {"text": "hi", "language": "z" * 100_000}),
    ],
)
def test_a_huge_choice_value_gets_a_short_error(task: str, inputs: dict[str, Any]) -> None:
    with pytest.raises(PlaygroundError) as caught:
        get_task(task).validate(inputs)
    assert len(str(caught.value)) < 500, f"{len(str(caught.value))} characters"


def test_a_choice_given_a_list_says_what_is_wrong() -> None:
    with pytest.raises(InputError) as caught:
        get_task("summarization").validate({"text": "Cats sleep.", "mode": ["extractive"]})
    assert "empty" not in str(caught.value)


def test_clustering_identical_texts_with_forced_k_has_no_empty_cluster(fake_pool: FakePool) -> None:
    result = api.run("clustering", pool=fake_pool, texts=["same", "same", "same"], n_clusters=3)
    assert all(c["size"] >= 1 for c in result.output["clusters"]), result.output["clusters"]


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("clustering", {"texts": ["\x00\x07", "red apple", "green apple"]}),
        ("clustering", {"texts": "red apple\n\x1b\ngreen apple"}),  # as the app's texts box sends it
        ("classification", {"text": "The striker scored.", "labels": ["\x00", "sports", "cooking"]}),
    ],
)
def test_a_control_character_only_item_is_dropped_like_a_blank_one(
    task: str, inputs: dict[str, Any], fake_pool: FakePool
) -> None:
    result = api.run(task, pool=fake_pool, **inputs)
    assert result.done
    if task == "clustering":  # the two real texts are clustered; the control characters are no text
        assert len(result.output["assignments"]) == 2
    else:
        assert set(result.output["scores"]) == {"sports", "cooking"}


def test_results_are_strict_json_even_for_a_nan_id(tmp_path: Path, fake_pool: FakePool) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": NaN, "text": "fine"}\n{"id": Infinity, "text": "also fine"}\n', encoding="utf-8")
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", read_rows(source), target, pool=fake_pool)
    assert len(result_lines(target)) == 2


def test_upload_decoding_and_row_ids(tmp_path: Path) -> None:
    files = upload_files(tmp_path)
    rows = {name: read_rows(path) for name, (path, _) in files.items()}
    assert rows["bom_csv"][0] == {"id": "b1", "text": "Great food and kind staff."}  # no "\ufeffid" column
    assert rows["latin1_csv"][0]["text"] == "Café très bon, merci."
    assert rows["latin1_jsonl"][0]["text"] == "Crème brûlée exquise." and rows["latin1_jsonl"][1]["id"] == 2
    assert rows["utf16_csv"][1]["text"] == "\U0001f600 happy"
    for name, (_, expected) in files.items():
        assert len(rows[name]) == len(expected), name


@pytest.mark.parametrize("name", UPLOADS)
def test_upload_gives_one_line_per_row_on_a_fake_model(name: str, tmp_path: Path, fake_pool: FakePool) -> None:
    path, expected = upload_files(tmp_path)[name]
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", read_rows(path), target, pool=fake_pool)
    check_upload_results(result_lines(target), expected)


@pytest.mark.model
@pytest.mark.parametrize("name", UPLOADS)
def test_upload_gives_one_line_per_row_through_the_cli(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = upload_files(tmp_path)[name]
    target = tmp_path / "out.jsonl"
    code = main(["run", "sentiment", "--input", str(path), "--output", str(target)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    check_upload_results(result_lines(target), expected)
    assert code == (1 if any(e for _, e in expected) else 0)


@pytest.mark.model
def test_a_killed_batch_leaves_whole_lines_and_resume_finishes_it(tmp_path: Path) -> None:
    reviews = [
        "Great food.",
        "Terrible service.",
        "It was fine.",
        "Loved the view.",
        "Cold soup.",
        "Nice staff.",
        "Too noisy.",
        "Perfect stay.",
        "Dirty room.",
        "Friendly owner.",
        "Long wait.",
        "Would return.",
    ]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": f"r{i:02d}", "text": t} for i, t in enumerate(reviews)])
    target = tmp_path / "out.jsonl"
    # method=generate makes each row take a generation (a fraction of a second), so the kill lands mid-batch.
    args = ["run", "sentiment", "--input", str(source), "--output", str(target), "--param", "method=generate"]
    log = (tmp_path / "stderr.txt").open("wb")
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **ENV})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if target.exists() and target.read_bytes().count(b"\n") >= 3:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the batch ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    before = target.read_bytes()
    killed_rows = result_lines(target)  # every line whole and valid JSON
    assert 3 <= len(killed_rows) < len(reviews)

    resumed = subprocess.run([*CLI, *args, "--resume"], capture_output=True, text=True, env={**os.environ, **ENV},
                             timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    done = len(killed_rows)
    assert f"{len(reviews)} rows: {len(reviews) - done} answered, 0 errors, {done} already done" in resumed.stderr
    after = target.read_bytes()
    assert after.startswith(before)  # the finished rows were kept as they were, not run again
    ids = [r["id"] for r in result_lines(target)]
    assert sorted(ids) == [f"r{i:02d}" for i in range(len(reviews))]  # every id exactly once
    assert len(ids) == len(reviews)


def test_resume_repairs_a_torn_last_line(tmp_path: Path, fake_pool: FakePool) -> None:
    rows = [{"id": f"r{i}", "text": f"Review number {i} was fine."} for i in range(6)]
    target = tmp_path / "out.jsonl"
    first, _ = batch.run_file("sentiment", rows[:3], target, pool=fake_pool)
    assert first.done == 3
    with target.open("ab") as sink:
        sink.write(b'{"id": "r3", "output": {"label": "pos' + "é".encode()[:1])  # torn mid-character too
    summary, _ = batch.run_file("sentiment", rows, target, resume=True, pool=fake_pool)
    assert (summary.skipped, summary.done, summary.failed) == (3, 3, 0)
    assert [r["id"] for r in result_lines(target)] == [f"r{i}" for i in range(6)]


def test_resume_reruns_a_last_line_that_lacks_its_newline(tmp_path: Path, fake_pool: FakePool) -> None:
    rows = [{"id": i, "text": "Fine."} for i in range(1, 4)]
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", rows[:2], target, pool=fake_pool)
    target.write_bytes(target.read_bytes().rstrip(b"\n"))  # whole JSON, but the write of its newline never happened
    summary, _ = batch.run_file("sentiment", rows, target, resume=True, pool=fake_pool)
    assert (summary.skipped, summary.done) == (1, 2)
    assert [r["id"] for r in result_lines(target)] == [1, 2, 3]


def test_resume_refuses_a_file_that_is_not_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": "Fine."}])
    target = tmp_path / "notes.jsonl"
    target.write_text('{"id": 1, "output": {}}\nmy precious notes\n{"id": 2}\n', encoding="utf-8")
    before = target.read_bytes()
    assert main(["run", "sentiment", "--input", str(source), "--output", str(target), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "line 2 of notes.jsonl is not a result line" in err and err.count("\n") == 1
    assert target.read_bytes() == before  # nothing truncated, nothing appended


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    demo, url = launch_app()
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(app_url: str) -> Any:
    from gradio_client import Client

    return Client(app_url, verbose=False)


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
