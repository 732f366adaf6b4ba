"""Secrets in the environment (HF_TOKEN, *_API_KEY, ...) never reach a user or a log line.

Two kinds of errors are provoked in every task: ones where the secret is only in the environment (it must not
appear at all), and ones that repeat what the user typed, with the secret in it (the edges must mask it). The
edges are the Python API's exceptions, the CLI's output, batch result files, the app's HTTP errors and the logs.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import playground
from playground.core.logs import RedactingFilter, configure_logging
from playground.core.secrets import redact
from playground.frontends.cli import main
from playground.runtime.registry import all_tasks, get_task
from tests.fakes import FakeBackend

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # loopback only

HF_TOKEN = "hf_PLANTEDsecret123456"
API_KEY = "sk-PLANTEDsecret654321"
SECRETS = (HF_TOKEN, API_KEY)
EVAL = {"task": "sentiment", "eval_set": "bundled: sentiment"}  # the Evaluate tab on a bundled set
TASKS = [spec.name for spec in all_tasks()]


def assert_clean(*texts: Any) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"{secret} leaked in: {str(text)[:500]}"


def valid_inputs(task: str) -> dict[str, Any]:
    """Inputs that pass a task's validation, so that the error comes from the model or the parameters."""
    spec = get_task(task)
    inputs: dict[str, Any] = {spec.main_input.name: ["One text.", "Another text."] if spec.main_input.kind == "texts"
                              else "One text."}  # fmt: skip
    if task == "classification":
        inputs["labels"] = "sports, cooking"
    if any(i.kind == "collection" and i.required for i in spec.inputs):
        inputs["collection"] = "no-such-collection"
    return inputs


@pytest.fixture(scope="module", autouse=True)
def planted() -> Iterator[None]:
    """The secrets in this process's environment, where the app's handlers and the CLI read it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", HF_TOKEN)
        mp.setenv("OPENAI_API_KEY", API_KEY)
        yield


# ---- redact() and the log filter ---------------------------------------------------------------------------


def test_redact_masks_secret_looking_variables() -> None:
    env = {"HF_TOKEN": HF_TOKEN, "OPENAI_API_KEY": API_KEY, "DB_PASSWORD": "hunter2hunter2", "MY_SECRET": "abcdefgh"}
    env |= {"AWS_CREDENTIALS": "AKIAxxxxxxxx", "SHORT_TOKEN": "abc", "HOME": "/root/home", "PATH": "/usr/bin"}
    text = f"{HF_TOKEN} {API_KEY} hunter2hunter2 abcdefgh AKIAxxxxxxxx abc /root/home /usr/bin"
    assert redact(text, env) == "[redacted] [redacted] [redacted] [redacted] [redacted] abc /root/home /usr/bin"
    assert redact(f"x{HF_TOKEN}x{HF_TOKEN}") == "x[redacted]x[redacted]"  # os.environ by default
    assert redact("nothing to hide") == "nothing to hide"


class CapturedStderr:
    """What has reached sys.stderr so far in this test (pytest's capture, which the handler writes to)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.text = ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().err
        return self.text


@pytest.fixture
def log_stream(capsys: pytest.CaptureFixture[str]) -> CapturedStderr:
    """What the package's own log handler (installed by configure_logging) writes, captured.

    The handler writes to whatever sys.stderr is when a record comes: in a test, pytest's capture.
    """
    configure_logging(0)
    handler = next(h for h in logging.getLogger("playground").handlers if getattr(h, "_playground", False))
    assert isinstance(handler, logging.StreamHandler)
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    capsys.readouterr()
    return CapturedStderr(capsys)


def test_log_lines_are_written_masked(log_stream: CapturedStderr, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("playground.test_secrets")
    log.warning("token %s and key %s", HF_TOKEN, API_KEY)
    log.error(f"inline {HF_TOKEN}")
    written = log_stream.getvalue()
    assert written.count("[redacted]") == 3 and "token [redacted] and key [redacted]" in written
    assert_clean(written)
    assert_clean(caplog.text)  # the record was masked in place, before other handlers saw it


def test_log_tracebacks_are_written_masked(log_stream: CapturedStderr) -> None:
    log = logging.getLogger("playground.test_secrets")
    try:
        raise RuntimeError(f"the hub said no to {HF_TOKEN}")
    except RuntimeError:
        log.exception("loading failed")
    assert "loading failed" in log_stream.getvalue()
    assert_clean(log_stream.getvalue())


# ---- the Python API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_api_errors_carry_no_environment_secret(task: str) -> None:
    spec = get_task(task)
    good = valid_inputs(task)
    attempts: list[dict[str, Any]] = [
        {spec.main_input.name: "   "},
        {**good, "model": "no-such-model"},
        {**good, "embedder": "no-such-embedder"},
        {**good, "temperature": -1},
        {**good, "top_k": "many"},
        {**good, "no_such_param": 1},
        {**good, "engine": "no-such-engine"},
    ]
    for arguments in attempts:
        with pytest.raises(playground.PlaygroundError) as info:
            playground.run(task, **arguments)
        assert_clean(str(info.value), repr(info.value), "".join(traceback.format_exception(info.value)))


def test_a_hub_id_that_fails_offline_carries_no_secret() -> None:
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("sentiment", {"text": "Fine.", "model": "org/does-not-exist"}),
        ("clustering", {"texts": ["a b", "c d"], "embedder": "org/does-not-exist"}),
    ]
    for task, arguments in attempts:
        with pytest.raises(playground.PlaygroundError) as info:
            playground.run(task, **arguments)
        assert "does-not-exist" in str(info.value)
        assert_clean(str(info.value), "".join(traceback.format_exception(info.value)))


# ---- the CLI -----------------------------------------------------------------------------------------------


def cli_attempts(task: str, tmp_path: Path) -> list[list[str]]:
    good = valid_inputs(task)
    spec = get_task(task)
    main_value = good[spec.main_input.name]
    text = ["--text", main_value] if isinstance(main_value, str) else [a for t in main_value for a in ("--text", t)]
    extra = ["--param", f"labels={good['labels']}"] if "labels" in good else []
    # Clustering names its clusters without the LLM; search and duplicates use none: their model is the embedder.
    model = "--embedder" if task == "clustering" or not spec.uses_llm else "--model"
    return [
        ["run", task, "--text", "  ", *extra],  # empty input
        ["run", task, *text, *extra, model, HF_TOKEN],  # unknown model: repeats the name
        ["run", task, *text, *extra, model, f"org/{API_KEY}"],  # a hub id that fails offline
        ["run", task, *text, *extra, "--param", f"{HF_TOKEN}=1"],  # unknown parameter: repeats the name
        ["run", task, *text, *extra, "--param", f"temperature={API_KEY}"],
        ["run", task, "--input", str(tmp_path / f"{HF_TOKEN}.jsonl"), "--output", str(tmp_path / "out.jsonl")],
    ]


@pytest.mark.parametrize("task", TASKS)
def test_cli_errors_are_masked(task: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in cli_attempts(task, tmp_path):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2 and err.startswith("error: "), (argv, out, err)
        assert_clean(out, err)
    assert "[redacted]" in err  # the missing file's name was masked, not dropped


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_batch_files_with_errors_carry_no_environment_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_rows(tmp_path / "in.jsonl", [{"id": 1, "text": ""}, {"id": 2, "text": "Hi.", "method": "guess"},
                                                {"id": 3, "text": "Hi.", "temperature": -1}])  # fmt: skip
    for model in ("no-such-model", "org/does-not-exist"):
        target = tmp_path / f"out-{model.replace('/', '-')}.jsonl"
        assert main(["run", "sentiment", "--input", str(source), "--output", str(target), "--model", model]) == 1
        out, err = capsys.readouterr()
        lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        assert [line["id"] for line in lines] == [1, 2, 3] and all("error" in line for line in lines)
        assert_clean(out, err, target.read_text(encoding="utf-8"))


def test_cli_batch_files_mask_secrets_in_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_rows(tmp_path / "in.jsonl", [{"id": 1, "text": "Hi."}])
    target = tmp_path / "out.jsonl"
    assert main(["run", "sentiment", "--input", str(source), "--output", str(target), "--model", HF_TOKEN]) == 1
    out, err = capsys.readouterr()
    assert_clean(out, err)
    assert_clean(target.read_text(encoding="utf-8"))


# ---- the app -----------------------------------------------------------------------------------------------
# The shared default app (`client`), in local mode: any model name reaches the engine, and its error message. Its
# handlers read the environment `planted` fills when they run.


def app_error(call: Any) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("task", TASKS)
def test_app_errors_are_masked(
    task: str, client: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="playground")
    spec = get_task(task)
    good = {k: "\n".join(v) if isinstance(v, list) else v for k, v in valid_inputs(task).items()}
    endpoint = f"/{task}"
    empty = {**good, spec.main_input.name: "  "}
    messages = [
        app_error(lambda: client.predict(**empty, api_name=endpoint)),
        app_error(lambda: client.predict(**good, model=HF_TOKEN, api_name=endpoint)),
        app_error(lambda: client.predict(**good, model="no-such-model", top_k=-3, api_name=endpoint)),
        app_error(lambda: client.predict(**good, stop=API_KEY, top_k=-3, api_name=endpoint)),
        app_error(lambda: client.predict(file=None, api_name=f"{endpoint}_batch")),
        app_error(lambda: client.predict(file=None, model=API_KEY, api_name=f"{endpoint}_batch")),
    ]
    assert "[redacted]" in messages[1]
    out, err = capfd.readouterr()
    assert_clean(*messages, out, err, caplog.text)


def test_app_hub_id_and_evaluate_errors_are_masked(
    client: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="playground")
    messages = [
        app_error(lambda: client.predict(text="Fine.", model=f"org/{HF_TOKEN}", api_name="/sentiment")),
        app_error(lambda: client.predict(text="Fine.", model="org/does-not-exist", api_name="/sentiment")),
        app_error(lambda: client.predict(**EVAL, limit=2, model=HF_TOKEN, api_name="/evaluate")),
        app_error(lambda: client.predict(**EVAL, limit=2, settings=f"{API_KEY}=1", api_name="/evaluate")),
        app_error(lambda: client.predict(task="sentiment", eval_set=None, api_name="/evaluate")),
    ]
    assert all("[redacted]" in m for m in (messages[0], messages[2], messages[3])), messages
    out, err = capfd.readouterr()
    assert_clean(*messages, out, err, caplog.text)


def test_app_batch_results_mask_secrets(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    source = write_rows(tmp_path / "in.jsonl", [{"id": 1, "text": "Hi."}, {"id": 2, "text": ""}])
    result_file, report, errors = client.predict(file=handle_file(str(source)), model=HF_TOKEN,
                                                 api_name="/sentiment_batch")  # fmt: skip
    assert "2 rows: 0 answered, 2 errors" in report
    assert_clean(report, json.dumps(errors), Path(result_file).read_text(encoding="utf-8"))


def test_app_evaluate_items_mask_secrets(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio_client import handle_file

    from playground.engines.pool import POOL

    monkeypatch.setattr(POOL, "_loader", FakeBackend)  # the good item is scored by a fake, quickly
    monkeypatch.setattr(POOL, "_backends", {})
    monkeypatch.setattr(POOL, "_key_locks", {})
    # The second item lacks `text`; its error lists the fields it has, one of them named like the secret.
    source = write_rows(tmp_path / "set.jsonl", [{"id": 1, "text": "Lovely.", "label": "positive"},
                                                 {"id": 2, HF_TOKEN: "Awful.", "label": "negative"}])  # fmt: skip
    metrics, worst, result_file, _ = client.predict(task="sentiment", file=handle_file(str(source)), limit=2,
                                                 api_name="/evaluate")  # fmt: skip
    assert any(row[-1] for row in worst["data"])  # the failed item is listed with its error
    assert_clean(json.dumps(metrics), json.dumps(worst), Path(result_file).read_text(encoding="utf-8"))
