"""Text helpers, table-driven: edits with exact offsets, sentence splitting and spans, the CLI's `--param` parser."""

from __future__ import annotations

import pytest

from playground.text.edits import apply_edits, diff_edits
from playground.text.sentences import sentence_spans, split_sentences
from playground.text.textio import parse_param


@pytest.mark.parametrize(
    ("original", "corrected", "expected"),
    [
        ("I has a cat.", "I have a cat.", [(2, 5, "has", "have")]),
        ("I has three cat.", "I have three cats.", [(2, 5, "has", "have"), (12, 15, "cat", "cats")]),
        ("She go to school", "She goes to the school", [(4, 6, "go", "goes"), (10, 10, "", "the ")]),
        ("a very very big dog", "a very big dog", [(1, 6, " very", "")]),  # either copy is right; the first goes
        ("same text", "same text", []),
        ("one cat dogs", "one cats dog", [(4, 12, "cat dogs", "cats dog")]),
        ("Hi", "Hi!", [(2, 2, "", "!")]),
    ],
)
def test_diff_edits_have_exact_offsets(original: str, corrected: str, expected: list) -> None:
    edits = diff_edits(original, corrected)
    assert [(e["start"], e["end"], e["original"], e["replacement"]) for e in edits] == expected
    assert all(original[e["start"] : e["end"]] == e["original"] for e in edits)
    assert apply_edits(original, edits) == corrected


def test_apply_edits_rejects_overlaps() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        apply_edits("abcdef", [{"start": 0, "end": 3, "replacement": "x"}, {"start": 2, "end": 4, "replacement": "y"}])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Dr. Smith arrived. He sat down.", ["Dr. Smith arrived.", "He sat down."]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("Pi is 3.14 today. Yes.", ["Pi is 3.14 today.", "Yes."]),
        ("line one\nline two", ["line one", "line two"]),
        ("no end punctuation", ["no end punctuation"]),
    ],
)
def test_split_sentences(text: str, expected: list) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("First line\n\n  Second one!  ", ["First line", "Second one!"]),
    ],
)
def test_sentence_spans_point_into_the_text(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seed=3", ("seed", 3)),
        ('labels=["a","b"]', ("labels", ["a", "b"])),
        ("style=formal", ("style", "formal")),
        ("stop=", ("stop", "")),
        ("x=a=b", ("x", "a=b")),
    ],
)
def test_parse_param(text: str, expected: tuple) -> None:
    assert parse_param(text) == expected
