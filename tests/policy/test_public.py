"""Public mode: the policy read from the environment, and a public app refusing what it must through its HTTP API.

A public deployment (SPACE_ID or NLP_PLAYGROUND_PUBLIC=1) runs only the presets and the allow-listed ids, with
smaller limits. Every refusal here must be fast, come before any model resolution, disk probe or network
connection, and say nothing about the server (no paths, no file content, no traceback).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import InputError, ModelError, ParamError
from playground.engines import catalogue as models
from playground.engines.pool import ModelPool
from playground.evaluation import evaluate as evaluation
from playground.frontends.ui import task_tab
from playground.frontends.ui.app import launch_settings
from playground.policy.limits import PUBLIC_LIMITS, Limits, Policy
from playground.runtime import context
from playground.runtime.registry import get_task
from playground.service import api, batch
from tests.helpers import app_error, launch_app

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # loopback only

PUBLIC_ENV = {"NLP_PLAYGROUND_PUBLIC": "1", "NLP_PLAYGROUND_ALLOWED_MODELS": "org/allowed-model"}
BAD_MODELS = ["/etc/passwd", "/tmp", "../../", "file:///etc/passwd", "http://127.0.0.1:1/x", "meta-llama/Llama-3-70B"]
EVAL = {"task": "sentiment", "eval_set": "bundled: sentiment"}  # the Evaluate tab on a bundled set
FAST_S = 1.0  # a refusal is a dictionary lookup; a second covers the HTTP round trip on a loaded 2-core runner


@pytest.fixture(scope="module")
def public_url() -> Iterator[str]:
    policy = Policy.from_env(PUBLIC_ENV)
    demo, url = launch_app(launch_settings(policy), policy=policy)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def public_client(public_url: str) -> Iterator[Any]:
    from gradio_client import Client

    c = Client(public_url, verbose=False)
    yield c
    c.close()


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any step towards loading a model, probing a typed path or connecting to a typed URL.

    The app runs handlers in worker threads of this process, so module-level patches see them. Each patched
    entry point records its call and raises, so a request that got that far also fails.
    """
    touched: list[str] = []

    def trap(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            touched.append(f"{name}{args!r}")
            raise AssertionError(f"{name} was reached")

        return fail

    monkeypatch.setattr(api, "stream", trap("api.stream"))
    monkeypatch.setattr(models, "resolve", trap("models.resolve"))
    monkeypatch.setattr(context, "resolve", trap("context.resolve"))
    monkeypatch.setattr(ModelPool, "get", trap("ModelPool.get"))
    monkeypatch.setattr(batch, "run_file", trap("batch.run_file"))
    monkeypatch.setattr(evaluation, "evaluate", trap("evaluation.evaluate"))
    monkeypatch.setattr(task_tab, "texts_from_file", trap("texts_from_file"))

    probes = {os.path.normpath(m) for m in BAD_MODELS if m != "/tmp"}  # Gradio itself works under /tmp
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str | os.PathLike) and os.path.normpath(os.fspath(path)) in probes:
            touched.append(f"os.stat({path!r})")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == 1:
            touched.append(f"connect({address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return touched


def assert_reveals_nothing(message: str) -> None:
    assert "root:" not in message  # /etc/passwd's first line
    assert "Traceback" not in message and 'File "' not in message
    assert os.getcwd() not in message and "site-packages" not in message and "/tmp/gradio" not in message
    assert "smollm2-135m" in message  # it tells the user what is allowed


# ---- the policy from the environment -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "public"),
    [
        ({}, False),
        ({"SPACE_ID": "someone/playground"}, True),
        ({"NLP_PLAYGROUND_PUBLIC": "1"}, True),
        ({"NLP_PLAYGROUND_PUBLIC": "true"}, True),
        ({"NLP_PLAYGROUND_PUBLIC": " Yes "}, True),
        ({"NLP_PLAYGROUND_PUBLIC": "on"}, True),
        ({"SPACE_ID": "someone/playground", "NLP_PLAYGROUND_PUBLIC": "0"}, False),
        ({"SPACE_ID": "someone/playground", "NLP_PLAYGROUND_PUBLIC": "false"}, False),
        ({"SPACE_ID": "someone/playground", "NLP_PLAYGROUND_PUBLIC": "  "}, True),  # blank: SPACE_ID decides
        ({"SPACE_ID": "", "NLP_PLAYGROUND_PUBLIC": ""}, False),
        ({"NLP_PLAYGROUND_PUBLIC": "0"}, False),
    ],
)
def test_public_mode_from_env(env: dict[str, str], public: bool) -> None:
    policy = Policy.from_env(env)
    assert policy.public is public
    assert policy.limits == (PUBLIC_LIMITS if public else Limits())


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NLP_PLAYGROUND_PUBLIC", raising=False)
    monkeypatch.setenv("SPACE_ID", "someone/playground")
    monkeypatch.setenv("NLP_PLAYGROUND_ALLOWED_MODELS", "org/a")
    assert Policy.from_env() == Policy(public=True, allowed_models=frozenset({"org/a"}), limits=PUBLIC_LIMITS)
    monkeypatch.setenv("NLP_PLAYGROUND_PUBLIC", "0")
    assert Policy.from_env() == Policy()


def test_allow_list_parsing() -> None:
    env = {"NLP_PLAYGROUND_PUBLIC": "1", "NLP_PLAYGROUND_ALLOWED_MODELS": " org/b, org/a\norg/c ,, smollm2-135m\t"}
    policy = Policy.from_env(env)
    assert policy.allowed_models == {"org/a", "org/b", "org/c", "smollm2-135m"}
    # The presets of the role first, then the allowed ids sorted, a preset listed once.
    assert policy.models() == ["smollm2-135m", "gemma3-270m", "org/a", "org/b", "org/c"]
    assert policy.models("embedder") == ["minilm-l6-v2", "org/a", "org/b", "org/c", "smollm2-135m"]
    assert Policy.from_env({"NLP_PLAYGROUND_PUBLIC": "1"}).allowed_models == frozenset()
    # Locally the allow-list means nothing: everything is allowed anyway.
    assert Policy.from_env({"NLP_PLAYGROUND_ALLOWED_MODELS": "org/a"}).allowed_models == frozenset()


def test_check_model_in_public_mode() -> None:
    policy = Policy.from_env(PUBLIC_ENV)
    for allowed in ("smollm2-135m", " gemma3-270m ", "org/allowed-model", None, "", "  "):
        policy.check_model(allowed)  # None or blank means the task's default
    policy.check_model("minilm-l6-v2", role="embedder")
    for refused, role in [*((m, "llm") for m in BAD_MODELS), ("minilm-l6-v2", "llm"), ("smollm2-135m", "embedder"),
                          (42, "llm"), (["smollm2-135m"], "llm")]:  # fmt: skip
        with pytest.raises(ModelError) as info:
            policy.check_model(refused, role=role)
        assert str(refused) not in str(info.value) and "NLP_PLAYGROUND_ALLOWED_MODELS" in str(info.value)


def test_check_limits_in_public_mode() -> None:
    policy = Policy.from_env(PUBLIC_ENV)
    policy.check({"text": "x" * 4000}, {"max_new_tokens": 512})
    with pytest.raises(ParamError, match="max_new_tokens: at most 512"):
        policy.check({}, {"max_new_tokens": 513})
    with pytest.raises(InputError, match="the limit is 4000"):
        policy.check({"text": "x" * 4001}, {})
    with pytest.raises(InputError, match="at most 100 texts"):
        policy.check({"texts": ["a"] * 101}, {})
    with pytest.raises(ModelError):
        policy.check({}, {"embedder": "/etc/passwd"})
    policy.check_rows(200)
    with pytest.raises(InputError, match="at most 200"):
        policy.check_rows(201)
    with pytest.raises(InputError, match="at most 100"):
        policy.check_rows(101, "items")


def test_local_mode_restricts_nothing() -> None:
    policy = Policy.from_env({})
    policy.check_model("/etc/passwd")
    policy.check({"text": "x" * 50_000}, {"model": "../../", "embedder": "/tmp", "max_new_tokens": 10_000})
    policy.check_rows(10**6)
    assert launch_settings(policy) == {}
    assert launch_settings(Policy.from_env(PUBLIC_ENV)) == {"max_file_size": "2mb", "state_session_capacity": 100}


def sentiment_values(model: Any, max_new_tokens: Any = None) -> list[Any]:
    """The values of the sentiment tab's components, as its handler receives them (the template editor last)."""
    return ["A lovely day.", None, model, "auto", max_new_tokens, None, None, None, None, None, None, None, None, None]


def test_local_mode_passes_a_local_path_on(tmp_path: Path) -> None:
    weights = tmp_path / "my-model.gguf"
    weights.write_bytes(b"GGUF")
    inputs, arguments = task_tab.collect(get_task("sentiment"), sentiment_values(str(weights)), Policy.from_env({}))
    assert inputs == {"text": "A lovely day."} and arguments == {"model": str(weights)}


@pytest.mark.parametrize("model", BAD_MODELS)
def test_the_handler_refuses_before_touching_anything(model: str, tripwire: list[str]) -> None:
    """The policy layer itself (what runs if a request gets past the page's dropdown)."""
    policy = Policy.from_env(PUBLIC_ENV)
    with pytest.raises(ModelError) as info:
        task_tab.collect(get_task("sentiment"), sentiment_values(model), policy)
    assert tripwire == []  # nothing was loaded, read or fetched (a timing check would only measure the machine)
    assert model not in str(info.value) and "smollm2-135m" in str(info.value)
    with pytest.raises(ParamError, match="at most 512"):
        task_tab.collect(get_task("sentiment"), sentiment_values("smollm2-135m", 513), policy)


# ---- the public app through gradio_client ------------------------------------------------------------------


def test_public_page_offers_only_allowed_models(public_client: Any) -> None:
    endpoint = public_client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/sentiment"]
    model = next(p for p in endpoint["parameters"] if p["parameter_name"] == "model")
    assert model["type"]["enum"] == ["smollm2-135m", "gemma3-270m", "org/allowed-model"]
    tokens = next(p for p in endpoint["parameters"] if p["parameter_name"] == "max_new_tokens")
    assert "512" in tokens["type"]["description"]


@pytest.mark.parametrize("model", BAD_MODELS)
def test_bad_model_is_refused_fast_before_any_access(public_client: Any, tripwire: list[str], model: str) -> None:
    message, seconds = app_error(
        lambda: public_client.predict(text="A lovely day.", model=model, api_name="/sentiment")
    )
    assert seconds < FAST_S, f"refusing {model!r} took {seconds:.2f} s"
    assert tripwire == []
    assert_reveals_nothing(message)


def test_refusal_repeats_nothing_the_user_typed(public_client: Any) -> None:
    for model in BAD_MODELS:
        message, _ = app_error(
            lambda model=model: public_client.predict(text="Hi.", model=model, api_name="/sentiment")
        )
        assert model not in message, message


def test_bad_model_is_refused_by_batch_and_evaluate(public_client: Any, tripwire: list[str], tmp_path: Path) -> None:
    from gradio_client import handle_file

    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": 1, "text": "A lovely day."}\n', encoding="utf-8")
    for model in ("/etc/passwd", "../../", "http://127.0.0.1:1/x"):
        message, seconds = app_error(
            lambda model=model: public_client.predict(
                file=handle_file(str(rows)), model=model, api_name="/sentiment_batch"
            )
        )
        assert seconds < FAST_S + 0.5  # plus the upload
        assert_reveals_nothing(message)
        message, seconds = app_error(
            lambda model=model: public_client.predict(**EVAL, limit=2, model=model, api_name="/evaluate")
        )
        assert seconds < FAST_S
        assert_reveals_nothing(message)
    # A model named in the Evaluate tab's settings box is checked too.
    message, _ = app_error(
        lambda: public_client.predict(
            **EVAL, limit=2, settings="model=/etc/passwd\nembedder=/tmp", api_name="/evaluate"
        )
    )
    assert "/etc/passwd" not in message and "runs only these models" in message
    assert tripwire == []


def test_too_many_new_tokens_are_refused(public_client: Any, tripwire: list[str]) -> None:
    message, seconds = app_error(lambda: public_client.predict(prompt="Hi", max_new_tokens=513, api_name="/generation"))
    assert "512" in message and seconds < FAST_S
    message, _ = app_error(lambda: public_client.predict(file=None, max_new_tokens=1000, api_name="/sentiment_batch"))
    assert "512" in message
    message, _ = app_error(
        lambda: public_client.predict(**EVAL, limit=1, settings="max_new_tokens=1000", api_name="/evaluate")
    )
    assert "max_new_tokens: at most 512" in message
    assert tripwire == []


def test_too_many_new_tokens_as_a_float_are_refused(public_client: Any, fake_models: dict[str, Any]) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="max_new_tokens"):
        public_client.predict(**EVAL, limit=1, settings="max_new_tokens=1000.0", api_name="/evaluate")


def test_a_batch_row_over_the_public_input_limit_is_refused(
    public_client: Any, fake_models: dict[str, Any], tmp_path: Path
) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    rows = tmp_path / "long.jsonl"
    rows.write_text(json.dumps({"id": 1, "prompt": "word " * 1200}) + "\n", encoding="utf-8")  # 6000 characters
    try:
        result_file, _report, _errors = public_client.predict(file=handle_file(str(rows)), api_name="/generation_batch")
    except AppError as exc:
        assert "4000" in str(exc)
        return
    line = json.loads(Path(result_file).read_text(encoding="utf-8").splitlines()[0])
    assert "4000" in line.get("error", ""), line


def test_an_allow_listed_hub_id_passes_the_policy(public_client: Any) -> None:
    """It is not refused by the policy; offline, loading it fails with a message about the hub instead."""
    message, _ = app_error(lambda: public_client.predict(text="Hi.", model="org/allowed-model", api_name="/sentiment"))
    assert "org/allowed-model" in message and "runs only these models" not in message
    assert "Traceback" not in message


def test_an_upload_over_the_size_limit_is_refused(public_client: Any, tmp_path: Path) -> None:
    import httpx
    from gradio_client import handle_file

    big = tmp_path / "big.jsonl"
    line = json.dumps({"text": "x" * 990}) + "\n"
    big.write_text(line * (3 * 1024 * 1024 // len(line) + 1), encoding="utf-8")
    assert big.stat().st_size > 3 * 1024 * 1024 - 1024
    with pytest.raises(Exception, match=r"(?i)maximum file size") as info:
        public_client.predict(file=handle_file(str(big)), api_name="/sentiment_batch")
    assert str(2 * 1024 * 1024) in str(info.value)
    # The server enforces it too, for a client that does not check first.
    with big.open("rb") as handle:
        response = httpx.post(public_client.upload_url, files=[("files", (big.name, handle))], timeout=30)
    assert response.status_code == 413
    assert "maximum allowed size" in response.text


@pytest.mark.model
def test_a_preset_runs_in_public_mode(public_client: Any) -> None:
    label, stats, raw = public_client.predict(text="The food was cold and the waiter was rude.", model="smollm2-135m",
                                       api_name="/sentiment")  # fmt: skip
    assert label["label"] in {"positive", "negative", "neutral"} and raw["model"] == "smollm2-135m"
    assert "smollm2-135m" in stats


def test_an_edited_template_is_held_to_the_input_limit() -> None:
    policy = Policy.from_env(PUBLIC_ENV)
    values = sentiment_values("smollm2-135m")
    values[-1] = "{{ text }}" + " " * policy.limits.max_input_chars
    with pytest.raises(InputError, match="the edited template is too long for this public deployment"):
        task_tab.collect(get_task("sentiment"), values, policy)
    values[-1] = "Review: {{ text }}\nSentiment:"
    assert task_tab.collect(get_task("sentiment"), values, policy)[1]["template"] == values[-1]
