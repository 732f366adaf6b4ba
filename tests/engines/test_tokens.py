"""Token log-probabilities: the stop-aware stream that carries them, and the real model's distributions."""

from __future__ import annotations

import math

import pytest

from playground.engines.base import TokenPiece, trim_tokens_at_stops
from playground.service import api
from tests.fakes import FakePool


def pieces(*texts: str) -> list[TokenPiece]:
    return [TokenPiece(t, [{"token": t, "logprob": -1.0, "top": []}]) for t in texts]


@pytest.mark.parametrize(
    ("texts", "stops", "text", "tokens"),
    [
        (["Hel", "lo", " world"], [], "Hello world", ["Hel", "lo", " world"]),
        (["one", " two", "\n", "three"], ["\n"], "one two", ["one", " two"]),
        (["a", "bE", "ND", "c"], ["END"], "ab", ["a"]),  # "bE" reaches into the stop: its token goes with it
        (["x", "E", "N", "D"], ["END"], "x", ["x"]),
        (["", "é", "!"], ["?"], "é!", ["", "é", "!"]),  # a token that made no text yet (half a character) is kept
    ],
)
def test_tokens_follow_their_text_through_stop_sequences(
    texts: list[str], stops: list[str], text: str, tokens: list[str]
) -> None:
    out = list(trim_tokens_at_stops(pieces(*texts), stops))
    assert "".join(out) == text
    assert [t["token"] for piece in out for t in piece.tokens] == tokens


def test_choice_tasks_report_each_labels_raw_log_likelihood(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [-1.0, -2.0, -3.0][: len(labels)]
    out = api.run("sentiment", pool=fake_pool, text="Fine.").output
    assert out["loglikelihoods"] == {"positive": -1.0, "negative": -2.0, "neutral": -3.0}
    assert api.run("generation", pool=fake_pool, prompt="Hi").tokens is None  # only when asked for


@pytest.mark.model
def test_the_token_view_of_the_real_model() -> None:
    question = {"prompt": "What colour is the sky on a clear day?", "max_new_tokens": 24, "repetition_penalty": 1.0}
    for sampling in ({"temperature": 0.0}, {"temperature": 1.0, "seed": 11}):
        plain = api.run("generation", **question, **sampling)
        shown = api.run("generation", **question, **sampling, logprobs=5)
        assert shown.output == plain.output  # reading the distribution changes nothing
        tokens = shown.tokens or []
        assert "".join(t["token"] for t in tokens) == shown.output["text"] and tokens
        for t in tokens:
            top = [a["logprob"] for a in t["top"]]
            assert len(top) == 5 and top == sorted(top, reverse=True)
            assert sum(math.exp(v) for v in top) <= 1 + 1e-6  # the rest of the vocabulary holds the remainder
            assert t["logprob"] <= 0 and (t["token"] in [a["token"] for a in t["top"]] or t["logprob"] <= top[-1])
            if sampling["temperature"] == 0:  # greedy with no penalty: the most likely token, as reported
                assert t["top"][0]["token"] == t["token"]


@pytest.mark.model
def test_tokens_of_a_chat_and_of_a_task_that_calls_the_model_per_sentence() -> None:
    chat = api.run("chat", messages="Name a fruit.", logprobs=1, max_new_tokens=12)
    assert "".join(t["token"] for t in chat.tokens or []) == chat.output["text"]
    translated = api.run("translation", text="Good morning. Thank you.", target_lang="fr", logprobs=1)
    assert translated.tokens and all(len(t["top"]) == 1 for t in translated.tokens)
