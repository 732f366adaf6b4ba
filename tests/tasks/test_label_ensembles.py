"""The sentiment ensemble: its voters (calibrated label scores, the noisy channel, the exemplar classifier, a second
model's label scores) and how they are combined; on fakes for the wiring, on the embedded models for the labels."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from playground.components.exemplars import exemplars
from playground.runtime.scoring import weighted_vote
from playground.service import api
from tests.fakes import FakePool


def test_weighted_vote_multiplies_the_voters_distributions() -> None:
    combined = weighted_vote([(1.0, [0.6, 0.4]), (0.5, [0.2, 0.8])])
    left, right = 0.6 * math.sqrt(0.2), 0.4 * math.sqrt(0.8)
    assert combined == pytest.approx([left / (left + right), right / (left + right)])
    # A voter with weight 0 changes nothing; a confident voter can overturn a hesitant one.
    assert weighted_vote([(1.0, [0.55, 0.45]), (0.0, [0.01, 0.99])]) == pytest.approx([0.55, 0.45])
    assert weighted_vote([(1.0, [0.55, 0.45]), (0.7, [0.1, 0.9])])[1] > 0.5


def test_the_sentiment_exemplars_cover_every_label_without_repeats() -> None:
    rows = exemplars("sentiment")
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == {"positive", "negative", "neutral"}
    assert counts["positive"] >= 50 and counts["negative"] >= 50 and counts["neutral"] >= 15
    texts = [r["text"].lower() for r in rows]
    assert len(set(texts)) == len(texts)


def test_the_ensemble_asks_each_voter_and_lets_them_outvote_the_prompt(fake_pool: FakePool) -> None:
    llm = fake_pool.fake("smollm2-135m")
    # The exemplar voter runs for real here, on the fake embedder's vectors: its lean is whatever they give, so the
    # channel below is made confident enough to decide whatever it says.

    def scorer(context: str, continuations: list[str]) -> list[float]:
        if context.startswith("A ") and context.endswith("review:"):  # the channel: P(text | label)
            return [-30.0 if "positive" in context else -3.0 if "negative" in context else -30.0]
        if "Cold soup" not in context:  # a content-free input: the prompt's own bias, even
            return [-1.0, -1.0, -1.0]
        return [-0.5, -0.7, -3.0]  # the label prompt: slightly positive for the review

    llm.scorer = scorer
    second = fake_pool.fake("gemma3-270m")
    second.scorer = lambda context, labels: [-1.0, -1.0, -1.0]  # undecided: it must not sway the vote
    result = api.run("sentiment", pool=fake_pool, text="Cold soup, rude staff.")
    out = result.output
    assert set(out["voters"]) == {"prompt", "channel", "exemplars", "second_model"}
    assert out["voters"]["second_model"]["positive"] == pytest.approx(1 / 3)
    assert any("Cold soup" in str(c[1][0]) for c in second.history if c[0] == "score")  # type: ignore[index]
    assert out["voters"]["prompt"]["positive"] > out["voters"]["prompt"]["negative"]
    assert out["voters"]["channel"]["negative"] > 0.9
    assert out["label"] == "negative"  # the channel's confidence outweighs the prompt's lean
    channel_calls = [c[1] for c in llm.history if c[0] == "score" and str(c[1][0]).endswith("review:")]  # type: ignore[index]
    assert [call[0] for call in channel_calls] == [f"A {x} review:" for x in ("positive", "negative", "neutral")]  # type: ignore[index]
    assert all(call[1] == [" Cold soup, rude staff."] for call in channel_calls)  # type: ignore[index]
    embedded = [c[1] for c in fake_pool.fake("minilm-l6-v2").history if c[0] == "embed"]
    assert ["Cold soup, rude staff."] in embedded


def test_a_server_that_cannot_echo_skips_the_channel() -> None:
    from playground.engines.pool import ModelPool
    from playground.testing.stubserver import StubServer

    def top(prompt: str) -> dict[str, float]:
        return {" negative": -0.2, " positive": -2.0, " neutral": -2.5} if "zebra" in prompt else {" x": -1.0}

    with StubServer(echo_logprobs=False, top_logprobs=top) as server:
        remote = {"engine": "openai", "base_url": server.base_url, "pool": ModelPool()}
        result = api.run("sentiment", text="the zebra film", **remote)
    assert str(result.scorer).startswith("next-token")
    # A request per review token is not spent on the channel; the second model runs in process.
    assert set(result.output["voters"]) == {"prompt", "exemplars", "second_model"}
    assert not any("review:" in str(body.get("prompt", "")) for body in server.bodies if body)


def test_the_second_model_is_not_asked_twice_when_it_is_the_tasks_model(fake_pool: FakePool) -> None:
    fake_pool.fake("gemma3-270m").scorer = lambda context, labels: [-0.5, -0.7, -3.0]
    out = api.run("sentiment", pool=fake_pool, text="Fine.", model="gemma3-270m").output
    assert set(out["voters"]) == {"prompt", "channel", "exemplars"}


def test_score_alone_has_no_voters(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [-0.5, -0.7, -3.0]
    out = api.run("sentiment", pool=fake_pool, text="Fine.", method="score").output
    assert "voters" not in out and out["label"] == "positive"


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The food was cold.", "negative"),  # the calibrated prompt alone calls this positive
        ("The battery died after two days and support never answered.", "negative"),
        ("What a wonderful, funny and moving film!", "positive"),
        ("Our guide was friendly and the views were breathtaking.", "positive"),
    ],
)
def test_the_ensemble_labels_reviews_on_the_embedded_models(text: str, label: str) -> None:
    out = api.run("sentiment", text=text, seed=0).output
    assert out["label"] == label
    assert out["scores"][label] > 0.5
    assert set(out["voters"]) == {"prompt", "channel", "exemplars", "second_model"}
    assert max(out["voters"]["second_model"], key=out["voters"]["second_model"].get) == label  # Gemma agrees here
    assert all(sum(v.values()) == pytest.approx(1.0) for v in out["voters"].values())


def test_classification_votes_with_the_embedder_on_label_sentences(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [-1.0] * len(labels)  # the LLM has no opinion
    out = api.run(
        "classification", pool=fake_pool, text="Goals in the final.", labels="Sports, Business", method="names"
    ).output
    embedded = [c[1] for c in fake_pool.fake("minilm-l6-v2").history if c[0] == "embed"]
    assert ["Goals in the final.", "This text is about Sports.", "This text is about Business."] in embedded
    assert set(out["voters"]) == {"prompt", "embedder"}
    assert out["voters"]["prompt"]["Sports"] == pytest.approx(0.5)
    # With the LLM undecided, the embedder's vote is the answer.
    embedder_choice = max(out["voters"]["embedder"], key=out["voters"]["embedder"].get)
    assert out["label"] == embedder_choice
    alone = api.run("classification", pool=fake_pool, text="Goals.", labels="Sports, Business", method="score").output
    assert "voters" not in alone


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The striker scored twice in the cup final on Saturday.", "sports"),
        ("The central bank raised interest rates to slow inflation.", "business"),
        ("Researchers unveiled a faster chip for smartphones.", "science and technology"),
        ("The prime minister met rebel leaders to discuss a ceasefire.", "politics"),
    ],
)
def test_classification_ensemble_on_the_embedded_models(text: str, label: str) -> None:
    labels = ["sports", "business", "science and technology", "politics"]
    out = api.run("classification", text=text, labels=labels).output
    assert out["label"] == label
    # Each label names topics of the library, so its sentences vote (the test_topics file has the wiring).
    assert set(out["voters"]["topics"]) == set(labels)
    assert out["topics"]["science and technology"] == ["science", "technology"]
    # The final probabilities are the voters' product at the topic temperature, not at the weights' full sharpness.
    from playground.runtime.scoring import weighted_vote
    from playground.tasks.classification import TOPIC_TEMPERATURE, TOPIC_WEIGHTS

    members = [(w / TOPIC_TEMPERATURE, [out["voters"][n][x] for x in labels]) for n, w in TOPIC_WEIGHTS.items()]
    assert [out["scores"][x] for x in labels] == pytest.approx(weighted_vote(members), abs=1e-4)


def test_the_technique_bench_compares_valid_options_of_each_task() -> None:
    from playground.core.resources import data_dir
    from playground.evaluation.bench_quality import eval_inputs, techniques
    from playground.evaluation.evaluate import read_eval_set
    from playground.runtime.registry import get_task

    named = techniques()
    assert {task for task, _ in named} >= {"sentiment", "classification", "translation", "style_transfer"}
    for task, technique in named:
        spec = get_task(task)
        rows = read_eval_set(data_dir("assets") / "eval" / f"{technique.eval_set}.jsonl", 1)
        inputs = eval_inputs(task, rows[0], rows)
        for option in (technique.new, technique.old):
            spec.validate({**inputs, **technique.both, **option})  # raises on an unknown option
        assert technique.new != technique.old
        defaults = spec.validate({**inputs, **technique.both})
        assert all(defaults[k] == v for k, v in technique.new.items())  # the bench times the task's default
