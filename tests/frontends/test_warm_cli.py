"""The CLI sends a single run to a running app (NLP_PLAYGROUND_URL, or the address `serve` writes) instead of
loading the models again; the app's answer and its errors come back as a local run's would."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from playground.frontends import warm
from tests.helpers import cli, free_port

pytestmark = pytest.mark.model


def test_a_run_goes_to_the_named_app_and_gives_its_result(app_url: str) -> None:
    text = "The food was cold, the waiter was rude, and we waited an hour. Never again."
    done = cli("run", "sentiment", "--text", text, "--json", env={"NLP_PLAYGROUND_URL": app_url})
    assert done.returncode == 0, done.stderr
    assert f"sent to the app at {app_url}" in done.stderr
    result = json.loads(done.stdout)
    assert result["task"] == "sentiment" and result["output"]["label"] == "negative"
    assert result["model"] and result["timings"]["total_s"] > 0  # the app's own record of the run


def test_the_plain_view_and_settings_travel(app_url: str) -> None:
    env = {"NLP_PLAYGROUND_URL": app_url}
    args = ("run", "translation", "--text", "Good morning.", "--param", "target_lang=fr", "--param", "seed=3")
    sent, here = cli(*args, env=env), cli(*args, "--local", env=env)
    assert sent.returncode == 0 and here.returncode == 0, sent.stderr + here.stderr
    assert "sent to the app" in sent.stderr and "sent to the app" not in here.stderr
    assert sent.stdout == here.stdout and sent.stdout.strip()  # the same seed gives the same translation


def test_the_apps_refusal_is_one_line(app_url: str) -> None:
    env = {"NLP_PLAYGROUND_URL": app_url}
    done = cli("run", "translation", "--text", "Hello.", "--param", "target_lang=xx", env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("error: ") and "xx" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_app_that_does_not_answer_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    done = cli("run", "sentiment", "--text", "Fine.", env={"NLP_PLAYGROUND_URL": url})
    assert done.returncode == 2, done.stderr
    assert f"the app at {url} could not run sentiment" in done.stderr and "--local" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_address_file_names_a_live_app_only(app_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.delenv("NLP_PLAYGROUND_URL")
    assert warm.running_app() is None  # no file
    with warm.announced(app_url):
        assert json.loads(warm.address_file().read_text())["pid"] == os.getpid()
        assert warm.running_app() == app_url
    assert not warm.address_file().exists()  # removed when the app stops
    gone = f"http://127.0.0.1:{free_port()}/"
    warm.address_file().write_text(json.dumps({"url": gone, "pid": os.getpid()}))
    assert warm.running_app() is None  # a live process, but nothing answers there
    warm.address_file().write_text("not json")
    assert warm.running_app() is None
    monkeypatch.setenv("NLP_PLAYGROUND_URL", "off")
    warm.address_file().write_text(json.dumps({"url": app_url, "pid": os.getpid()}))
    assert warm.running_app() is None  # off keeps every run in the process
