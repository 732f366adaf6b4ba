"""The CLI's plain view of outputs that have no main text: search hits and duplicate pairs."""

from __future__ import annotations

from playground.service.formatting import format_output


def test_search_hits_show_rank_document_score_and_passage() -> None:
    hits = [{"doc": "guide.md", "text": "The museum opens\nat 10:00.", "score": 0.0312, "start": 0, "end": 9}]
    assert format_output("hits", {"hits": hits}) == "1. guide.md  0.031\n   The museum opens at 10:00."
    assert format_output("hits", {"hits": []}) == "no passage found"


def test_duplicate_pairs_show_both_sides_kind_and_score() -> None:
    pairs = [{"a": 0, "b": 2, "score": 1.0, "kind": "copy", "spans": []}]
    assert format_output("pairs", {"pairs": pairs}) == "0 ~ 2  copy 1.000"
    assert format_output("pairs", {"pairs": []}) == "no copies or paraphrases found"


def test_a_generated_label_is_shown_as_generated_not_as_a_certainty() -> None:
    shown = format_output("label", {"label": "neutral", "answer": "Neutral, I think.", "method": "generate"})
    assert shown == "neutral  (generated: 'Neutral, I think.', no probabilities)" and "1.00" not in shown
    assert format_output("label", {"label": "positive", "scores": {"positive": 0.8, "negative": 0.2}}) == (
        "positive  (positive 0.80, negative 0.20)"
    )


def test_a_mixed_review_lists_its_parts() -> None:
    parts = [{"text": "tiny room", "label": "negative"}, {"text": "lovely breakfast", "label": "positive"}]
    output = {"label": "negative", "scores": {"neutral": 0.3, "negative": 0.7}, "mixed": parts}
    assert format_output("label", output).endswith(
        "\nmixed: 'tiny room' negative; 'lovely breakfast' positive (so the probabilities are lowered)"
    )
