"""Property-based tests of edits and sentences: diff_edits and apply_edits round-trip exactly, and split_sentences and
sentence_spans keep every visible character of any text. No test loads a model."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from playground.text.edits import apply_edits, diff_edits
from playground.text.sentences import sentence_spans, split_sentences
from tests.strategies import ANY_TEXT, FAST, PROSE


@FAST
@given(PROSE | ANY_TEXT, PROSE | ANY_TEXT)
@example("I has a cat.", "I have a cat.")
@example("a very very big dog", "a very big dog")
@example("", "new")
@example("old", "")
def test_diff_edits_apply_back_exactly(original: str, corrected: str) -> None:
    """Applying the edits of a rewrite to the original gives the rewrite, character for character."""
    edits = diff_edits(original, corrected)
    assert apply_edits(original, edits) == corrected
    cursor = 0
    for edit in edits:
        assert cursor <= edit["start"] <= edit["end"] <= len(original)
        assert original[edit["start"] : edit["end"]] == edit["original"]
        assert edit["original"] != edit["replacement"]
        cursor = edit["end"]
    assert diff_edits(original, original) == []


@FAST
@given(ANY_TEXT, st.lists(st.tuples(st.integers(-2, 40), st.integers(-2, 40), ANY_TEXT), max_size=4))
def test_apply_edits_applies_or_refuses_with_value_error(text: str, spans: list[tuple[int, int, str]]) -> None:
    """Arbitrary edits are applied (lengths add up) or refused with the documented ValueError."""
    edits = [{"start": s, "end": e, "replacement": r} for s, e, r in spans]
    try:
        out = apply_edits(text, edits)
    except ValueError as exc:
        assert "overlaps" in str(exc)
        return
    assert len(out) == len(text) - sum(e - s for s, e, _ in spans) + sum(len(r) for _, _, r in spans)


@FAST
@given(PROSE | ANY_TEXT)
@example('He said "Hi." Then Mr. Smith left! (Yes.) 2 cats.')
def test_split_sentences_keeps_every_visible_character(text: str) -> None:
    """Sentences are non-empty, stripped, within one line, and together hold all of the text but whitespace."""
    sentences = split_sentences(text)
    assert all(s and s == s.strip() and s.splitlines() == [s] for s in sentences)
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())


@FAST
@given(PROSE | ANY_TEXT)
def test_sentence_spans_cover_the_text_between_blanks(text: str) -> None:
    """Spans are ordered, disjoint, each a non-blank stretch, and only whitespace lies outside them."""
    spans = sentence_spans(text)
    cursor = 0
    outside = []
    for start, end in spans:
        assert cursor <= start < end <= len(text)
        assert text[start:end].strip()
        outside.append(text[cursor:start])
        cursor = end
    outside.append(text[cursor:])
    assert all(not gap.strip() for gap in outside)
