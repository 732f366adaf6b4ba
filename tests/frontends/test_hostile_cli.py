"""Hostile inputs through the command line: every task's batch of the hostile set (tests/data/hostile.jsonl), the
lone-surrogate row of the issue, undecodable arguments, huge inputs and bad parameters, uploads in other encodings and
shapes, and resuming a killed batch. A sane output or a one-line error each time."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from playground.frontends.cli import main
from tests.helpers import CLI, ENV
from tests.hostile import (
    CHEAP,
    HOSTILE,
    HUGE,
    TASKS,
    UPLOADS,
    build_row,
    check_one_line_error,
    check_results,
    check_upload_results,
    result_lines,
    strict_json,
    upload_files,
    write_jsonl,
)


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


def test_resume_refuses_a_file_that_is_not_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": "Fine."}])
    target = tmp_path / "notes.jsonl"
    target.write_text('{"id": 1, "output": {}}\nmy precious notes\n{"id": 2}\n', encoding="utf-8")
    before = target.read_bytes()
    assert main(["run", "sentiment", "--input", str(source), "--output", str(target), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "line 2 of notes.jsonl is not a result line" in err and err.count("\n") == 1
    assert target.read_bytes() == before  # nothing truncated, nothing appended
