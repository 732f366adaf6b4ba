"""Property-based tests of the task post-processors: accept_rewrite, clean_name, keywords and parse_label never crash
and give what their tasks expect. No test loads a model."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from playground.runtime.runners import first_line
from playground.tasks.clustering import clean_name, keywords
from playground.tasks.grammar import accept_rewrite
from playground.tasks.sentiment import LABELS, parse_label
from tests.strategies import ANY_TEXT, FAST, PROSE, VALID_TEXT

SLOW = settings(FAST, max_examples=30)  # each example fits a TF-IDF model


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
