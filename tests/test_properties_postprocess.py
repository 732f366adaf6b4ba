"""Property-based tests of the post-processors: diff_edits and apply_edits round-trip exactly, trim_at_stops
cuts a stream before its first stop, first_line, softmax, top_choice, split_sentences and sentence_spans keep their
promises for any text or scores, and the task post-processors (accept_rewrite, clean_name, keywords, parse_label)
never crash and give what their tasks expect. No test loads a model.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from playground.engines.base import trim_at_stops
from playground.runtime.runners import first_line
from playground.runtime.scoring import softmax, top_choice
from playground.tasks.clustering import clean_name, keywords
from playground.tasks.grammar import accept_rewrite
from playground.tasks.sentiment import LABELS, parse_label
from playground.text.edits import apply_edits, diff_edits
from playground.text.sentences import sentence_spans, split_sentences
from tests.strategies import ANY_TEXT, FAST, PROSE, VALID_TEXT

SLOW = settings(FAST, max_examples=30)  # each example fits a TF-IDF model


# --- post-processors -------------------------------------------------------------------------------------------------


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


STOP_TEXT = st.text("ab\nc", max_size=12)


def _expected_trim(pieces: list[str], stops: list[str]) -> str:
    """What a stream cut at stops must give: at the first piece that completes a stop, cut before the earliest stop
    lying wholly in the text seen so far."""
    joined = "".join(pieces)
    ends = [joined.find(s) + len(s) for s in stops if s in joined]
    if not ends:
        return joined
    boundary = next(b for b in itertools.accumulate(len(p) for p in pieces) if b >= min(ends))
    seen = joined[:boundary]
    return joined[: min(seen.find(s) for s in stops if s in seen)]


@FAST
@given(st.lists(STOP_TEXT, max_size=8), st.lists(st.text("ab\nc", min_size=1, max_size=4), max_size=3))
@example(["ab", "c"], ["abcd", "c"])
@example(["a", "b\n", "c"], ["\n"])
def test_trim_at_stops_cuts_before_stops(pieces: list[str], stops: list[str]) -> None:
    """The re-yielded text is a prefix of the stream, holds no stop, and ends where the first stop is completed."""
    out = list(trim_at_stops(iter(pieces), stops))
    text = "".join(out)
    joined = "".join(pieces)
    assert joined.startswith(text)
    assert not any(s in text for s in stops)
    assert text == _expected_trim(pieces, stops)
    if stops:
        assert all(out)  # no empty pieces
    if not any(s in joined for s in stops):
        assert text == joined


@FAST
@given(ANY_TEXT)
def test_first_line_is_the_first_nonblank_line(text: str) -> None:
    """first_line is '' for blank text, else the first non-blank line, stripped, with no line break in it."""
    line = first_line(text)
    nonblank = [x.strip() for x in text.splitlines() if x.strip()]
    assert line == (nonblank[0] if nonblank else "")
    assert line.splitlines() in ([line], [])


@FAST
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=8))
@example([1e308, -1e308])
@example([-1e308, -1e308])
def test_softmax_is_a_distribution_keeping_order(values: list[float]) -> None:
    """softmax gives probabilities in [0, 1] summing to 1, the largest score getting the largest one."""
    probs = softmax(values)
    assert len(probs) == len(values)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert math.isclose(sum(probs), 1.0, rel_tol=1e-9)
    assert probs[values.index(max(values))] == max(probs)
    for (v1, p1), (v2, p2) in itertools.combinations(zip(values, probs, strict=True), 2):
        assert (v1 < v2) <= (p1 <= p2)


@FAST
@given(st.lists(VALID_TEXT, min_size=1, max_size=6, unique=True), st.data())
def test_top_choice_picks_the_most_probable_label(labels: list[str], data: st.DataObject) -> None:
    """The label is the (first) most probable one and the scores map every label to its probability."""
    probs = data.draw(st.lists(st.floats(0, 1), min_size=len(labels), max_size=len(labels)))
    result = top_choice(labels, probs)
    assert result["label"] == labels[probs.index(max(probs))]
    assert result["scores"] == dict(zip(labels, probs, strict=True))


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


@FAST
@given(VALID_TEXT.filter(lambda t: t != "") | PROSE.filter(lambda t: t != ""), PROSE | ANY_TEXT)
def test_accept_rewrite_keeps_original_or_a_plausible_line(original: str, rewrite: str) -> None:
    """The result is the original, or the rewrite's first line when its length is 0.5-1.6 times the original's."""
    result = accept_rewrite(original, rewrite)
    if result != original:
        assert result == first_line(rewrite)
        assert result and 0.5 <= len(result) / len(original) <= 1.6


@FAST
@given(PROSE.filter(str.strip))
def test_accept_rewrite_empty_original(rewrite: str) -> None:
    """An empty original never crashes the post-processor, and nothing is made out of nothing."""
    assert accept_rewrite("", rewrite) == ""


@FAST
@given(PROSE | ANY_TEXT)
@example('"**Topic: Cats.**"\nmore')
@example("one two three four five six")
def test_clean_name_is_empty_or_a_short_title(text: str) -> None:
    """A cluster name is '' or one to five single-spaced words, without quotes, stars, hashes, colons or dots."""
    name = clean_name(text)
    if name:
        words = name.split()
        assert 1 <= len(words) <= 5
        assert name == " ".join(words)
        assert not set(name) & set('"*#:.')


KEYWORD_TEXT = st.lists(
    st.sampled_from(["cat", "cats", "dog", "the", "and", "rocket", "engine", "fuel", "Kelvin", "\u212aelvin", "a"])
    | ANY_TEXT,
    max_size=6,
).map(" ".join)


@SLOW
@given(st.lists(KEYWORD_TEXT, max_size=4), st.lists(KEYWORD_TEXT, max_size=4), st.integers(1, 4))
def test_keywords_are_words_of_the_members(members: list[str], others: list[str], top: int) -> None:
    """Keywords are 'misc' or at most `top` lower-case words taken from the members."""
    result = keywords(members, others, top=top)
    if result == "misc":
        return
    terms = result.split(", ")
    assert 1 <= len(terms) <= top
    text = " ".join(members).lower()
    assert all(re.fullmatch("[a-z]{2,}", t) and t in text for t in terms)


@FAST
@given(PROSE | ANY_TEXT)
def test_parse_label_always_gives_a_label(answer: str) -> None:
    """Any answer maps to one of the three labels."""
    assert parse_label(answer) in LABELS


@FAST
@given(
    st.sampled_from(LABELS),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.text(" .:!\n*-'\"", max_size=6),
    st.text(" .:!\n*-'\"xyz", max_size=6),
)
def test_parse_label_finds_the_label_word(label: str, case: Any, before: str, after: str) -> None:
    """A label word set off by punctuation or blanks, in any case, is the label found."""
    assert parse_label(f"{before}{case(label)} {after}") == label
