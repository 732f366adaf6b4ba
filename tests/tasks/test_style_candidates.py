"""Style transfer with candidates: copies go last, the rest ranked by target style times closeness to the input."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from playground.service import api
from playground.text.textio import same_words
from tests.fakes import FakePool


def by_sentiment(context: str, labels: Sequence[str]) -> list[float]:
    """positive, negative, neutral log-likelihoods: a review with 'terrible' in it reads negative."""
    return [-3.0, -0.3, -2.0] if "terrible" in context else [-0.3, -3.0, -2.0]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("The food was great.", "the food was great", True), ("The food was great.", "The food, was great!", True),
     ("The food was great.", "The food was terrible.", False), ("", "", True)],
)  # fmt: skip
def test_a_copy_has_the_same_words(a: str, b: str, same: bool) -> None:
    assert same_words(a, b) is same


def test_the_closest_rewrite_in_the_target_style_wins_and_copies_go_last(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.scorer = by_sentiment
    # The greedy answer copies the input; one sample wanders off the topic; one is the rewrite wanted.
    fake.enqueue(" The food was great.", " Bananas are terrible.", " The food was terrible.", " The food was great!")
    arguments = {"text": "The food was great.", "style": "negative", "candidates": 4, "seed": 7}
    out = api.run("style_transfer", pool=fake_pool, **arguments).output
    assert out["text"] == "The food was terrible."
    ranking = out["candidates"]
    assert len(ranking) == 4 and [c["copy"] for c in ranking] == [False, False, True, True]
    assert {c["text"] for c in ranking[2:]} == {"The food was great.", "The food was great!"}
    assert ranking[0]["style"] > 0.5 and ranking[0]["meaning"] > ranking[1]["meaning"]


def test_one_candidate_is_the_first_answer_alone(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.enqueue(" The food was great.")
    out = api.run("style_transfer", pool=fake_pool, text="The food was great.", style="negative", candidates=1).output
    assert out == {"text": "The food was great.", "checks": []}  # the input itself: its meaning did not move
    assert [kind for kind, _ in fake.history] == ["generate"]  # nothing sampled, nothing scored


def test_candidates_are_sampled_with_their_own_seeds(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    seen = []
    stream = fake.stream
    fake.stream = lambda prompt, params: seen.append((params.temperature, params.seed)) or stream(prompt, params)  # type: ignore[method-assign]
    api.run("style_transfer", pool=fake_pool, text="hi there", style="formal", candidates=3, seed=10)
    assert seen == [(0.0, 10), (0.8, 11), (0.8, 12)]


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("The room was dirty and the bed was uncomfortable.", "positive"),
        ("The staff were friendly and helpful.", "negative"),
    ],
)
def test_the_real_model_rewrites_into_the_target_sentiment(text: str, style: str) -> None:
    # Both pass for each of ten seeds tried; the fixed seed keeps the run repeatable. A review mixing two
    # complaints ("the food was cold and the waiter was rude") often keeps one: the 135M model's limit.
    out = api.run("style_transfer", text=text, style=style, seed=0).output
    assert not same_words(text, out["text"])  # a copy of the input would fail here
    assert api.run("sentiment", text=out["text"]).output["label"] == style  # and so would a paraphrase
    assert len(out["candidates"]) >= 2


def test_closeness_counts_the_words_a_rewrite_keeps() -> None:
    from playground.tasks.style_transfer import overlap

    source = "The pizza was cold and the service was slow."
    assert overlap(source, source) == pytest.approx(1.0)
    near = overlap("The pizza was hot and the service was quick.", source)
    far = overlap("Everything about this place is wonderful.", source)
    assert 0.3 < near < 1.0 and far < 0.3 and near > 2 * far
