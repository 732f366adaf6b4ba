"""The command line, as a user runs it: the installed console script in a subprocess, with no network."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from playground.frontends.cli import main
from tests.helpers import CLI, ENV, EXPECTED_TASKS, cli


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "sentimnt", "--text", "x"], "unknown task 'sentimnt'"),
        (["run", "sentiment", "--text", "   "], "text is empty"),
        (["run", "sentiment", "--text", "x" * 5000], "too long"),
        (["run", "classification", "--text", "x", "--param", 'labels=["a"]'], "at least 2 labels"),
        (["run", "sentiment", "--text", "x", "--param", "temperature=9"], "temperature"),
        (["run", "sentiment", "--text", "x", "--param", "oops"], "key=value"),
        (["run", "translation", "--text", "hi", "--param", "target_lang=xx"], "unknown target_lang"),
        (["run", "sentiment", "--input", "missing.jsonl", "--output", "o.jsonl"], "file not found: missing.jsonl"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_tasks_lists_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "--json"]) == 0
    assert {t["name"] for t in json.loads(capsys.readouterr().out)} == EXPECTED_TASKS


@pytest.mark.model
def test_sentiment_json_from_the_console_script() -> None:
    proc = cli("run", "sentiment", "--text", "The food was cold and the waiter was rude.", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result) >= {"task", "output", "model", "timings"}
    assert result["task"] == "sentiment" and result["output"]["label"] == "negative"


@pytest.mark.model
def test_each_task_answers_from_the_cli() -> None:
    calls = {
        "generation": ["--text", "Say hello.", "--param", "max_new_tokens=10"],
        "translation": ["--text", "Thank you very much.", "--param", "target_lang=es"],
        "summarization": [
            "--text",
            "Cats sleep a lot. They also purr. Dogs bark at night.",
            "--param",
            "mode=extractive",
        ],
        "sentiment": ["--text", "Great!"],
        "grammar": ["--text", "She go home."],
        "style_transfer": ["--text", "hey whats up", "--param", "style=formal"],
        "classification": ["--text", "The match ended in a draw.", "--param", 'labels=["sports","politics"]'],
        "clustering": ["--text", "red apple", "--text", "green apple", "--text", "fast car", "--param", "n_clusters=2"],
    }
    for task, args in calls.items():
        proc = cli("run", task, *args, "--json")
        assert proc.returncode == 0, f"{task}: {proc.stderr}"
        assert json.loads(proc.stdout)["output"], task


@pytest.mark.model
def test_batch_writes_one_line_per_input_and_survives_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "good", "text": "I hated every minute of it."}\n'
        "not json\n"
        '{"id": "empty", "text": ""}\n'
        '{"id": "fine", "text": "Wonderful, I loved it."}\n',
        encoding="utf-8",
    )
    target = tmp_path / "out.jsonl"
    proc = cli("run", "sentiment", "--input", str(source), "--output", str(target))
    assert proc.returncode == 1  # some lines failed; the rest were written
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["good", 2, "empty", "fine"]
    assert rows[0]["output"]["label"] == "negative" and rows[3]["output"]["label"] == "positive"
    assert "not valid JSON" in rows[1]["error"] and "empty" in rows[2]["error"]
    assert "4 rows: 2 answered, 2 errors" in proc.stderr


@pytest.mark.model
def test_json_output_is_clean_of_native_library_lines() -> None:
    # Gemma's load makes llama.cpp print "llama_kv_cache_iswa: using full-size SWA cache ..." on stderr by itself;
    # `run ... --json 2>&1 | jq` must still read one JSON document.
    args = ("run", "translation", "--text", "Good morning.", "--param", "target_lang=es", "--json")
    proc = subprocess.run([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["output"]["target_lang"] == "es"


@pytest.mark.model
def test_verbose_shows_the_native_lines_on_request() -> None:
    proc = cli("run", "translation", "--text", "Good morning.", "--param", "target_lang=es", "--json", "-vv")
    assert proc.returncode == 0, proc.stderr
    assert "llama.cpp:" in proc.stderr and json.loads(proc.stdout)["task"] == "translation"
