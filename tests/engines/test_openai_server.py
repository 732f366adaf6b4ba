"""The openai engine against a real OpenAI-compatible server: llama-cpp-python's, serving the embedded SmolLM2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.errors import ModelError
from playground.engines.pool import ModelPool
from playground.frontends.cli import main
from playground.service import api
from playground.testing.localserver import llama_cpp_server

pytestmark = pytest.mark.model

GREEDY = {"temperature": 0.0, "max_new_tokens": 12}
REVIEWS = [
    "An absolute delight from start to finish.",
    "The acting was wooden and the plot made no sense.",
    "I loved every minute of it, a true masterpiece.",
    "Boring, predictable and far too long.",
    "A warm, funny and moving story.",
    "The worst film I have seen this year.",
    "Beautifully shot, with a wonderful cast.",
    "I walked out after half an hour; dreadful.",
    "Smart, touching and superbly acted.",
    "A tedious mess with nothing to say.",
    "The soundtrack is gorgeous and the ending made me cry.",
    "Cheap effects, lazy writing, awful dialogue.",
    "One of the best comedies in years.",
    "I regret paying for this disappointing sequel.",
    "A charming film the whole family will enjoy.",
    "Painfully slow and utterly forgettable.",
    "Brilliant performances in a gripping thriller.",
    "The characters were annoying and the jokes fell flat.",
    "Fresh, clever and full of heart.",
    "A dull, lifeless remake of a great original.",
]


SUMMARY_TEXT = "The cat sat on the mat. It was a sunny day and the cat was happy."


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with llama_cpp_server() as base_url:
        yield base_url


@pytest.fixture()
def remote(server: str) -> dict[str, object]:
    return {"engine": "openai", "base_url": server, "pool": ModelPool()}


def test_generation_streams_the_same_greedy_text_as_in_process(remote: dict[str, object]) -> None:
    results = list(api.stream("generation", prompt="The three primary colours are", **GREEDY, **remote))
    final = results[-1]
    assert len(results) > 2 and final.done  # streamed in pieces
    assert (final.model, final.engine) == ("smollm2", "openai")
    local = api.run("generation", prompt="The three primary colours are", **GREEDY)
    assert final.output["text"] == local.output["text"] and final.output["text"].strip()


def test_token_log_probabilities_come_from_the_server_as_in_process(remote: dict[str, object]) -> None:
    for task, inputs in (("generation", {"prompt": "Count from 1 to 5."}), ("summarization", {"text": SUMMARY_TEXT})):
        served = api.run(task, **inputs, logprobs=2, max_new_tokens=10, temperature=0, **remote)  # type: ignore[arg-type]
        local = api.run(task, **inputs, logprobs=2, max_new_tokens=10, temperature=0)
        assert [t["token"] for t in served.tokens or []] == [t["token"] for t in local.tokens or []], task
        for a, b in zip(served.tokens or [], local.tokens or [], strict=True):
            assert a["logprob"] == pytest.approx(b["logprob"], abs=1e-3) and len(a["top"]) == 2


def test_summarization_goes_through_the_servers_chat_template(remote: dict[str, object]) -> None:
    text = (
        "The city council voted on Tuesday to build a new library in the old market hall. Work starts in spring "
        "and the library should open in two years. It will have a children's floor and a cafe."
    )
    result = api.run("summarization", text=text, mode="abstractive", max_new_tokens=40, **remote)
    local = api.run("summarization", text=text, mode="abstractive", max_new_tokens=40)
    assert result.output["summary"] == local.output["summary"] and result.output["summary"]


def test_sentiment_labels_scored_remotely_match_in_process(remote: dict[str, object]) -> None:
    remote_labels = [api.run("sentiment", text=r, **remote) for r in REVIEWS]
    local_labels = [api.run("sentiment", text=r).output["label"] for r in REVIEWS]
    assert [r.output["label"] for r in remote_labels] == local_labels
    assert remote_labels[0].scorer == "next-token (top 5000)"  # this server's echo is unusable for SmolLM2


def test_classification_scores_user_labels_remotely(remote: dict[str, object]) -> None:
    items = ["The striker scored twice in the final.", "The central bank raised interest rates again."]
    labels = "sports, business, politics"
    # The label-name ensemble, where the LLM's label scores vote (the default lends these labels the topic library,
    # on the embedded models only).
    remote_out = [api.run("classification", text=t, labels=labels, method="names", **remote).output for t in items]
    local_out = [api.run("classification", text=t, labels=labels, method="names").output for t in items]
    assert [o["label"] for o in remote_out] == [o["label"] for o in local_out]
    for got, want in zip(remote_out, local_out, strict=True):  # single-token labels: the same numbers
        assert got["scores"] == pytest.approx(want["scores"], abs=0.02)


def test_a_batch_with_several_requests_in_flight_keeps_order(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "3")
    rows = tmp_path / "rows.jsonl"
    lines = [{"id": f"r{i}", "text": review} for i, review in enumerate(REVIEWS[:6])]
    lines.insert(3, {"id": "bad", "text": ""})  # an empty text is an error line, not a lost batch
    rows.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(["run", "sentiment", "--engine", "openai", "--base-url", server,
                 "--input", str(rows), "--output", str(out)])  # fmt: skip
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [w["id"] for w in written] == [line["id"] for line in lines]
    assert code == 1 and "error" in written[3] and all("output" in w for i, w in enumerate(written) if i != 3)


def test_a_model_the_server_does_not_serve_is_named_with_the_ones_it_does(remote: dict[str, object]) -> None:
    with pytest.raises(ModelError, match=r"does not serve 'llama-70b'; it serves: smollm2"):
        api.run("generation", prompt="Hi", model="llama-70b", **remote)


def test_a_remote_embedder_clusters_through_v1_embeddings() -> None:
    texts = ["I love my cat.", "My cat loves me.", "Cats are lovely pets.", "Stock markets fell sharply.",
             "Shares dropped on Wall Street.", "Investors sold stocks today."]  # fmt: skip
    with llama_cpp_server(alias="smollm2-embed", embedding=True) as url:
        result = api.run("clustering", texts=texts, n_clusters=2, embedder="openai:smollm2-embed", base_url=url,
                         pool=ModelPool())  # fmt: skip
    assert {"name": "smollm2-embed", "engine": "openai"} in result.models
    members = [set(c["members"]) for c in result.output["clusters"]]
    # SmolLM2 is no sentence embedder (the server sends one vector per token, averaged here): the wiring is checked,
    # not the grouping.
    assert len(members) == 2 and all(members) and set().union(*members) == set(texts)
