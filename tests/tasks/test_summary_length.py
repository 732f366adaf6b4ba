"""Summaries that summarize: a word budget by length, answers cut at a sentence or clause, never a copy."""

from __future__ import annotations

import pytest

from playground.service import api
from playground.tasks.summarization import LENGTHS, MIN_WORDS, extractive_count, fit_words, word_budget
from tests.fakes import FakePool

# A news paragraph of about 170 words, written for these tests.
NEWS = (
    "The regional water authority said on Monday that it will spend 40 million pounds over five years to replace "
    "old pipes in Northfield, after a summer in which leaks cost the town almost a fifth of its drinking water. "
    "Engineers found that many of the cast-iron mains were laid more than a century ago and now crack whenever "
    "the ground dries out. Work will begin in the spring on the streets with the most bursts, starting near the "
    "hospital and the two largest schools, and each section should take about six weeks. Residents will get "
    "letters a fortnight before digging starts, and the authority promised that no home would be without water "
    "for more than eight hours. Local councillors welcomed the plan but asked why it had taken three dry summers "
    "to act. The authority's chief executive, Maria Lund, said the money had only now been approved by the "
    "regulator, and that bills would not rise to pay for it."
)


@pytest.mark.parametrize(("length", "share"), [(name, share) for name, (_, share) in LENGTHS.items()])
def test_the_word_budget_is_a_share_of_the_text(length: str, share: float) -> None:
    words = len(NEWS.split())
    assert word_budget(NEWS, length) == int(words * share)
    assert word_budget("Five words are right here.", length) == 5  # never more than the text has
    assert word_budget(" ".join(["word"] * 20), length) == MIN_WORDS  # a short text still gets a sentence


@pytest.mark.parametrize(
    ("summary", "budget", "expected"),
    [
        ("One two three. Four five six seven.", 7, "One two three. Four five six seven."),
        ("One two three. Four five six seven.", 6, "One two three."),
        ("The council approved the plan on Tuesday, adding lanes over three years.", 9,
         "The council approved the plan on Tuesday."),
        ("The council approved the plan on Tuesday - adding lanes over three years.", 9,
         "The council approved the plan on Tuesday."),
        ("Alpha beta, gamma delta epsilon zeta eta theta iota kappa.", 6, "Alpha beta, gamma delta epsilon zeta…"),
        ("", 5, ""),
    ],
)  # fmt: skip
def test_an_answer_is_cut_at_a_sentence_then_a_clause_then_a_word(summary: str, budget: int, expected: str) -> None:
    assert fit_words(summary, budget) == expected
    assert len(fit_words(summary, budget).split()) <= budget


def test_extractive_keeps_more_sentences_for_longer_lengths() -> None:
    assert [extractive_count(12, length) for length in ("short", "medium", "long")] == [1, 3, 6]


def test_a_model_that_copies_its_input_is_cut_to_the_budget(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.default_text = NEWS  # the worst answer: the whole text again
    out = api.run("summarization", pool=fake_pool, text=NEWS).output
    assert len(out["summary"].split()) <= out["max_words"] == word_budget(NEWS, "medium")
    assert out["summary"] and NEWS.startswith(out["summary"][:-1])
    prompt = fake.history[-1][1]
    assert "in two sentences" in str(prompt)


@pytest.mark.model
@pytest.mark.parametrize("length", list(LENGTHS))
def test_the_real_model_summarizes_news_within_its_share(length: str) -> None:
    out = api.run("summarization", text=NEWS, length=length).output
    summary, words = out["summary"], len(out["summary"].split())
    assert 5 <= words <= LENGTHS[length][1] * len(NEWS.split()) + 1  # a copy or a paraphrase of it would not fit
    assert summary not in NEWS  # not the first sentences cut out either: the model wrote it
    assert any(term in summary.lower() for term in ("pipe", "water", "leak", "northfield"))
