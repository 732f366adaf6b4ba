"""The openai engine against the loopback StubServer, through the real paths: api.run/stream/run_batch and the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import ModelError, PlaygroundError
from playground.core.logs import configure_logging
from playground.engines import remote as remote_engine
from playground.engines.catalogue import resolve
from playground.engines.pool import POOL, ModelPool
from playground.evaluation import evaluate as evaluation
from playground.frontends import cli
from playground.metrics import scores
from playground.runtime import templates
from playground.runtime.scoring import CONTENT_FREE, softmax
from playground.service import api
from playground.tasks import clustering
from playground.testing.stubserver import StubServer, fake_logprob, tokens

SECRET = "sk-test-Zq7x9SECRETvalue42"
LABELS = ("positive", "negative", "neutral")
WORDS = "one two three four five"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Short timeouts, no retries unless a test asks, no server or key from the environment, no cached /v1/models."""
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_TIMEOUT", "0.5")
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_RETRIES", "0")
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "NLP_PLAYGROUND_REMOTE_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    remote_engine._served.cache_clear()
    before = set(POOL.loaded())
    yield
    remote_engine._served.cache_clear()
    POOL.forget(set(POOL.loaded()) - before)  # the CLI runs on the shared pool: forget the stand-ins' models


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer(reply=lambda prompt: WORDS) as stub:
        yield stub


def run(task: str, server: StubServer, **arguments: Any) -> api.Result:
    arguments.setdefault("engine", "openai")
    return api.run(task, base_url=server.base_url, pool=ModelPool(), **arguments)


def failure(task: str, base_url: str, **arguments: Any) -> str:
    """The message of the error a run raises; it must be one line."""
    with pytest.raises(PlaygroundError) as caught:
        api.run(task, engine="openai", base_url=base_url, pool=ModelPool(), **arguments)
    message = str(caught.value)
    assert "\n" not in message
    return message


def cli_run(task: str, base_url: str, *extra: str) -> list[str]:
    return ["run", task, "--engine", "openai", "--base-url", base_url, *extra]


# Generation


def test_generation_streams_chat_messages(server: StubServer) -> None:
    results = list(
        api.stream("generation", prompt="Say hi", engine="openai", base_url=server.base_url, pool=ModelPool())
    )
    partial = [r for r in results if not r.done]
    assert len(partial) >= 3 and results[-1].done
    assert [r.output["text"] for r in partial][:3] == ["one", "one two", "one two three"]
    assert results[-1].output == {"text": WORDS, "checks": []}
    assert (results[-1].model, results[-1].engine) == ("stub", "openai")
    assert server.paths[-1] == "/v1/chat/completions"
    body = server.bodies[-1]
    assert body["stream"] is True and body["messages"] == [{"role": "user", "content": "Say hi"}]


def test_a_plain_prompt_goes_to_completions(server: StubServer) -> None:
    result = run("style_transfer", server, text="hey, whats up", candidates=1)  # a few-shot prompt, no chat message
    # The stub's words have nothing to do with the input: the check stage flags the whole rewrite.
    checks = result.output["checks"]
    assert result.output == {"text": WORDS, "checks": checks}
    assert [(c["kind"], c["start"], c["end"]) for c in checks] == [("meaning", 0, len(WORDS))]
    assert "meaning moved away from the input" in checks[0]["message"]
    assert server.paths[-1] == "/v1/completions"
    body = server.bodies[-1]
    assert body["prompt"].endswith("Text: hey, whats up\nFormal:") and body["stop"] == ["\n"]
    assert "messages" not in body


def test_summarization_sends_messages(server: StubServer) -> None:
    result = run("summarization", server, text="The cat sat on the mat. It was warm. Then it slept all day.")
    assert result.output["summary"]
    assert "/v1/chat/completions" in server.paths and "/v1/completions" not in server.paths
    chat = server.bodies[server.paths.index("/v1/chat/completions")]
    assert chat["messages"][0]["role"] == "user" and "The cat sat" in chat["messages"][0]["content"]


def test_sampling_parameters_reach_the_server(server: StubServer) -> None:
    sampling = {"temperature": 0.3, "top_p": 0.9, "max_new_tokens": 7, "seed": 42, "stop": ["END"]}
    run("generation", server, prompt="a", **sampling, top_k=5)
    body = server.bodies[-1]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.3, 0.9, 7, 42)
    assert body["stop"] == ["END"] and body["top_k"] == 5
    run("generation", server, prompt="a", temperature=0.0)
    plain = server.bodies[-1]
    assert "top_k" not in plain and "stop" not in plain
    assert plain["temperature"] == 0.0 and isinstance(plain["seed"], int)  # drawn when none is given, and sent


def test_beam_search_is_a_clear_error(server: StubServer) -> None:
    assert "num_beams" in failure("generation", server.base_url, prompt="a", num_beams=2)
    assert "/v1/chat/completions" not in server.paths


# Models


def test_no_model_named_means_the_servers_first() -> None:
    with StubServer(models=("first", "second")) as server:
        result = run("generation", server, prompt="hi")
    assert result.model == "first"
    assert server.bodies[-1]["model"] == "first"


def test_resolving_a_servers_model_asks_no_server() -> None:
    # Port 9 (discard) has no server: resolving a name must not reach for one; the engine asks when it loads.
    ref = resolve("", engine="openai", base_url="http://127.0.0.1:9/v1")
    assert (ref.name, ref.engine, ref.source) == ("", "openai", "http://127.0.0.1:9/v1")
    assert resolve("openai:", base_url="http://127.0.0.1:9/v1").name == ""


def test_openai_prefix_needs_no_engine() -> None:
    with StubServer(models=("first", "second")) as server:
        result = run("generation", server, prompt="hi", model="openai:second", engine=None)
    assert (result.model, result.engine) == ("second", "openai")
    assert server.bodies[-1]["model"] == "second"


def test_a_model_the_server_does_not_list(server: StubServer) -> None:
    message = failure("generation", server.base_url, prompt="hi", model="nope")
    assert server.base_url in message and "'nope'" in message and "stub" in message
    prefixed = failure("generation", server.base_url, prompt="hi", model="openai:nope")
    assert server.base_url in prefixed and "stub" in prefixed


def test_no_server_configured() -> None:
    with pytest.raises(ModelError, match="OPENAI_BASE_URL"):
        api.run("generation", prompt="hi", engine="openai", pool=ModelPool())


def test_openai_base_url_from_the_environment(server: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url + "/")
    assert api.run("generation", prompt="hi", engine="openai", pool=ModelPool()).output == {"text": WORDS, "checks": []}


# Label scoring


def echo_score(context: str, continuation: str) -> float:
    """What the stub's echoed log-probabilities give a continuation: its tokens' values, the join included."""
    text = context + continuation
    ends = [(word, start + len(word)) for word, start in tokens(text)]
    return sum(fake_logprob(word, i) for i, (word, end) in enumerate(ends) if end > len(context))


def expected_sentiment(text: str) -> list[float]:
    """The calibrated label probabilities that the stub's echoed log-probabilities imply."""

    def probs(review: str) -> list[float]:
        context = templates.render("sentiment.j2", text=review)
        return softmax([echo_score(context, f" {label}") for label in LABELS])

    rows = [probs(cf) for cf in CONTENT_FREE]
    bias = [sum(column) / len(rows) for column in zip(*rows, strict=True)]
    adjusted = [p / b for p, b in zip(probs(text), bias, strict=True)]
    return [a / sum(adjusted) for a in adjusted]


@pytest.mark.parametrize("text", ["I loved every minute of it", "Dull, slow and far too long"])
def test_echo_scoring_follows_the_servers_logprobs(server: StubServer, text: str) -> None:
    result = run("sentiment", server, text=text, method="score")
    expected = expected_sentiment(text)
    assert result.scorer == "echo"
    assert result.output["label"] == LABELS[expected.index(max(expected))]
    assert [result.output["scores"][label] for label in LABELS] == pytest.approx(expected, rel=1e-6)
    assert all(body["echo"] is True for body in server.bodies if body and "prompt" in body)


@pytest.mark.slow  # 7 s and more: the stand-in sends 5,000 top log-probabilities for each token
def test_next_token_scoring_when_the_server_cannot_echo() -> None:
    def top(prompt: str) -> dict[str, float]:  # the review makes " negative" likely; content-free prompts don't
        if "zebra" in prompt:
            return {" negative": -0.1, " positive": -3.0, " neutral": -2.5, " the": -4.0}
        return {" negative": -1.1, " positive": -1.1, " neutral": -1.1}

    with StubServer(echo_logprobs=False, top_logprobs=top) as server:
        result = run("sentiment", server, text="the zebra film")
    assert result.scorer == f"next-token (top {remote_engine.TOP_LOGPROBS[0]})"
    assert result.output["label"] == "negative"
    assert result.output["scores"]["negative"] > 0.8


def test_a_server_without_logprobs_cannot_score() -> None:
    with StubServer(echo_logprobs=False, top_logprobs=lambda prompt: {}) as server:
        message = failure("sentiment", server.base_url, text="fine")
    assert "vLLM" in message and "llama-cpp-python" in message and server.base_url in message


# Embeddings


def test_server_embeddings_cluster(server: StubServer) -> None:
    texts = ["cats purr softly", "dogs bark loudly", "cats meow at night", "dogs chase balls"]
    remote = {"model": "openai:stub", "embedder": "openai:stub", "engine": None}
    result = run("clustering", server, texts=texts, n_clusters=2, **remote)
    assert "/v1/embeddings" in server.paths
    assert server.bodies[server.paths.index("/v1/embeddings")]["input"] == texts
    assert result.output["k"] == 2 and len(result.output["assignments"]) == 4
    assert sum(c["size"] for c in result.output["clusters"]) == 4


# Robustness


def test_server_down() -> None:
    with StubServer() as stub:
        url = stub.base_url
    message = failure("generation", url, prompt="hi")
    assert url in message and "is it running" in message


def test_slow_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_TIMEOUT", "0.2")
    with StubServer(delay=0.8) as server:
        message = failure("generation", server.base_url, prompt="hi", model="stub")
    assert "0.2 s" in message and "NLP_PLAYGROUND_REMOTE_TIMEOUT" in message
    assert server.requests == 1


def test_503_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_RETRIES", "2")
    with StubServer(fail_first=2, reply=lambda prompt: WORDS) as server:
        assert run("generation", server, prompt="hi", model="stub").output == {"text": WORDS, "checks": []}
    assert server.requests == 4  # two failures, then /v1/models and the chat request
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_RETRIES", "1")
    with StubServer(fail_first=2) as server:
        assert "answered 503" in failure("generation", server.base_url, prompt="hi", model="stub")
    assert server.requests == 2


def test_400_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_RETRIES", "3")
    with StubServer(fail_first=1, fail_status=400) as server:
        message = failure("generation", server.base_url, prompt="hi", model="stub")
    assert "answered 400" in message and "Stub failure" in message
    assert server.requests == 1


def test_a_dropped_connection_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_RETRIES", "1")
    with StubServer(drop_first=1, reply=lambda prompt: WORDS) as server:
        assert run("generation", server, prompt="hi", model="stub").output == {"text": WORDS, "checks": []}
    assert server.requests == 3


class LeakyStub(StubServer):
    """A server whose error message quotes the request's Authorization header, as some do."""

    def respond(self, number: int, method: str, path: str, body: Any, authorization: str | None) -> Any:
        if path.endswith("/completions"):
            return 400, {"error": {"message": f"rejected {authorization}", "type": "invalid_request_error"}}, False
        return super().respond(number, method, path, body, authorization)


def test_the_api_key_stays_secret(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with StubServer(api_key=SECRET) as server:
        result = run("generation", server, prompt="hi")
        assert SECRET not in result.to_json()
        try:
            assert cli.main(cli_run("generation", server.base_url, "--text", "hi", "-vv")) == 0
        finally:
            configure_logging(0)
    out, err = capsys.readouterr()
    assert "echo: hi" in out and SECRET not in out + err
    with LeakyStub() as leaky:
        rows = [{"prompt": "a"}]
        items = list(api.run_batch("generation", rows, engine="openai", base_url=leaky.base_url, pool=ModelPool()))
        assert cli.main(cli_run("generation", leaky.base_url, "--text", "hi")) == 2
    out, err = capsys.readouterr()
    assert items[0].error is not None and "rejected" in items[0].error and SECRET not in items[0].error
    assert "rejected" in err and SECRET not in out + err


def test_a_wrong_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with StubServer(api_key="sk-the-other-key-0000") as server:
        message = failure("generation", server.base_url, prompt="hi")
        assert cli.main(cli_run("generation", server.base_url, "--text", "hi")) == 2
    assert "OPENAI_API_KEY" in message and server.base_url in message and SECRET not in message
    out, err = capsys.readouterr()
    assert "check OPENAI_API_KEY" in err and SECRET not in out + err


# Concurrency


def batch_rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "prompt": f"row {i}"} for i in range(n)]


def test_run_batch_keeps_order_with_several_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "4")
    rows = batch_rows(16)
    rows[5] = {"id": "r5", "prompt": ""}  # an empty text
    rows[9] = {"id": "r9", "prompt": "row 9", "tempreature": 0.5}  # a misspelt parameter
    with StubServer(delay=0.2) as server:
        items = list(api.run_batch("generation", rows, engine="openai", base_url=server.base_url, pool=ModelPool()))
    assert [item.id for item in items] == [row["id"] for row in rows]
    failed = {item.id: item.error for item in items if item.error is not None}
    assert set(failed) == {"r5", "r9"}
    assert "empty" in str(failed["r5"]) and "tempreature" in str(failed["r9"])
    for number, item in enumerate(items):
        if item.id not in failed:
            assert item.result is not None and item.result.output == {"text": f"echo: row {number}", "checks": []}
    assert 2 <= server.max_in_flight <= 4


def test_run_batch_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "1")
    with StubServer(delay=0.05) as server:
        items = list(
            api.run_batch("generation", batch_rows(4), engine="openai", base_url=server.base_url, pool=ModelPool())
        )
    assert [item.id for item in items] == ["r0", "r1", "r2", "r3"] and all(item.error is None for item in items)
    assert server.max_in_flight == 1


def test_cli_batch_writes_one_line_per_row_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "3")
    source, target = tmp_path / "rows.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in batch_rows(6)), encoding="utf-8")
    with StubServer(delay=0.05) as server:
        assert cli.main(cli_run("generation", server.base_url, "--input", str(source), "--output", str(target))) == 0
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [f"r{i}" for i in range(6)]
    assert [line["output"]["text"] for line in lines] == [f"echo: row {i}" for i in range(6)]
    assert {line["model"] for line in lines} == {"stub"}
    assert server.max_in_flight >= 2
    assert "6 rows: 6 answered, 0 errors" in capsys.readouterr().err


class FakeMetric:
    """Stands in for an `evaluate` module (loading the real ones takes seconds); the wiring is what is tested."""

    def __init__(self, name: str) -> None:
        self.name = name

    def compute(self, **inputs: Any) -> dict[str, float]:
        return {self.name: 1.0}


def test_evaluate_runs_items_concurrently_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scores, "load", FakeMetric)
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "3")
    rows = [{"id": i, "text": f"review {i}", "label": "positive"} for i in range(6)]
    with StubServer(delay=0.02) as server:
        config = {"engine": "openai", "base_url": server.base_url}
        report = evaluation.evaluate("sentiment", rows, config, pool=ModelPool())
    assert [item.id for item in report.items] == list(range(6)) and report.errors == 0
    assert report.metrics["n"] == 6 and 2 <= server.max_in_flight <= 3


def test_evaluate_clustering_with_a_server_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clustering, "load_metric", FakeMetric)
    rows = [{"text": t, "label": t.split()[0]} for t in ("cats purr", "dogs bark", "cats meow", "dogs howl")]
    with StubServer() as server:  # no OPENAI_BASE_URL: the config's base_url must reach every model it names
        config = {"model": "openai:stub", "embedder": "openai:stub", "base_url": server.base_url}
        report = evaluation.evaluate("clustering", rows, config, pool=ModelPool())
    assert report.metrics["k"] == 2 and report.metrics["n"] == 4
    # The clustering run embeds the texts; the silhouette's second look at them comes from the embedding cache.
    assert server.paths.count("/v1/embeddings") == 1


# The command line


def test_cli_models_lists_the_servers(capsys: pytest.CaptureFixture[str]) -> None:
    with StubServer(models=("stub", "other")) as server:
        assert cli.main(["models", "--base-url", server.base_url]) == 0
    out = capsys.readouterr().out
    assert "openai:stub" in out and "openai:other" in out and server.base_url in out
    assert out.index("openai:stub") < out.index("openai:other")


def test_cli_models_server_down(capsys: pytest.CaptureFixture[str]) -> None:
    with StubServer() as stub:
        url = stub.base_url
    assert cli.main(["models", "--base-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and url in err and "is it running" in err and err.count("\n") == 1


def test_cli_sentiment_json_names_its_scorer(server: StubServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(cli_run("sentiment", server.base_url, "--text", "What a lovely day", "--json")) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["scorer"] == "echo" and printed["engine"] == "openai" and printed["model"] == "stub"
    assert printed["output"]["label"] in LABELS


def test_closing_a_stream_closes_the_connection_so_the_server_stops() -> None:
    long_answer = " ".join(f"word{i}" for i in range(200))
    with StubServer(reply=lambda prompt: long_answer, chunk_delay=0.02) as stub:
        results = api.stream("generation", prompt="Go on", max_new_tokens=500, engine="openai",
                             base_url=stub.base_url, pool=ModelPool())  # fmt: skip
        partial = [next(results) for _ in range(3)]
        results.close()  # what Stop in the app does
        for _ in range(100):  # the server notices at its next write; bounded wait
            if stub.cut_streams:
                break
            time.sleep(0.05)
    assert stub.cut_streams == 1 and "word199" not in partial[-1].output["text"]
