"""The check stage: which spans of a written text are flagged, and that every way out carries the flags."""

from __future__ import annotations

from typing import Any

import pytest

from playground.runtime.checks import Check, repeated, run_checks, sentences_beyond
from playground.runtime.registry import all_tasks
from playground.service import api
from playground.service.formatting import format_output
from tests.fakes import FakePool

ARTICLE = (
    "The riverside market has run every Saturday since 2010. Forty stalls sell fruit, bread and cheese. "
    "The town hall manages the pitches. Traders pay a small fee each week. Visitors come from nearby villages."
)


def test_a_repeated_sentence_is_flagged_from_its_second_time() -> None:
    text = "The cat sat on the mat. The dog barked. The cat sat on the mat."
    assert [(c.kind, text[c.start : c.end]) for c in repeated(text)] == [("repeated", "The cat sat on the mat.")]
    assert repeated("Yes. Yes. Yes.") == []  # too short to be a loop


def test_sentences_past_those_asked_for_are_one_length_span() -> None:
    text = "One. Two. Three. Four."
    (check,) = sentences_beyond(text, 2, "Two sentences")
    assert text[check.start : check.end] == "Three. Four." and "has 4 sentences" in check.message
    assert sentences_beyond("One. Two.", 2, "Two sentences") == []


def test_the_stage_sorts_checks_drops_bad_spans_and_says_when_a_check_failed() -> None:
    def spans(ctx: Any, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
        return [Check("length", "b", 4, 9), Check("unsupported", "a", 0, 3), Check("length", "out", 5, 99)]

    def broken(ctx: Any, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
        raise RuntimeError("boom")

    found = run_checks("text", (spans, broken), None, {}, {"text": "abc defgh"})  # type: ignore[arg-type]
    assert [(c["kind"], c["start"], c["end"]) for c in found] == [("unchecked", 0, 0), ("unsupported", 0, 3),
                                                                   ("length", 4, 9)]  # fmt: skip
    assert "broken could not run (RuntimeError)" in found[0]["message"]
    assert run_checks("text", (spans,), None, {}, {"other": 1}) == []  # type: ignore[arg-type]


def test_every_task_that_writes_text_names_an_output_field() -> None:
    writers = {s.name for s in all_tasks() if s.checked}
    assert {"generation", "translation", "summarization", "grammar", "style_transfer", "chat", "draft", "expand",
            "qa"} <= writers  # fmt: skip
    assert not {"sentiment", "classification", "clustering", "search", "duplicates"} & writers


def test_an_invented_number_in_a_summary_is_flagged_in_every_output(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("The market has run since 1985. Forty stalls sell food.")
    results = list(api.stream("summarization", pool=fake_pool, text=ARTICLE, length="medium"))
    assert all("checks" not in r.output for r in results[:-1])  # partial results are not checked
    out = results[-1].output
    flagged = [(c["kind"], out["summary"][c["start"] : c["end"]]) for c in out["checks"]]
    assert flagged == [("unsupported", "1985")]
    assert '"checks": [{"kind": "unsupported"' in results[-1].to_json()
    plain = format_output("text", out, "summary")
    assert "since ⟦1985⟧¹." in plain and plain.endswith("¹ unsupported: the number '1985' is not in the text")


def test_a_summary_longer_than_asked_is_flagged(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("A market runs. Stalls sell fruit. The town hall manages it.")
    out = api.run("summarization", pool=fake_pool, text=ARTICLE * 3, length="medium").output
    assert [(c["kind"], out["summary"][c["start"] : c["end"]]) for c in out["checks"]] == [
        ("length", "The town hall manages it.")
    ]


def test_a_clean_summary_gets_an_empty_list(fake_pool: FakePool) -> None:
    # The fake embedder puts texts that share their first word close together: this one is near the first sentence.
    fake_pool.fake("smollm2-135m").enqueue("The Saturday market has run since 2010.")
    assert api.run("summarization", pool=fake_pool, text=ARTICLE).output["checks"] == []


def test_a_summary_sentence_far_from_every_sentence_of_the_text_is_an_unsupported_claim(fake_pool: FakePool) -> None:
    summary = "The Saturday market has run since 2010. Shoppers mostly complain about the prices."
    fake_pool.fake("smollm2-135m").enqueue(summary)
    checks = api.run("summarization", pool=fake_pool, text=ARTICLE, length="long").output["checks"]
    assert [(c["kind"], summary[c["start"] : c["end"]]) for c in checks] == [
        ("unsupported", "Shoppers mostly complain about the prices.")
    ]
    assert "no sentence of the text says this" in checks[0]["message"]


@pytest.mark.parametrize("text", ["The meeting moved to Thursday.", "Totally unrelated words about cooking."])
def test_a_rewrite_that_drops_a_name_or_moves_away_is_flagged(fake_pool: FakePool, text: str) -> None:
    source = "Lunch with Maria is on Thursday at noon."
    fake_pool.fake("smollm2-135m").enqueue(text)
    out = api.run("style_transfer", pool=fake_pool, text=source, style="formal", candidates=1).output
    kinds = {c["kind"] for c in out["checks"]}
    assert kinds == {"meaning"} and all((c["start"], c["end"]) == (0, len(text)) for c in out["checks"])
