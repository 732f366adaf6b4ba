"""Pure helpers, table-driven: edits, stops, sentence splitting, label scoring, cluster names, CLI params."""

from __future__ import annotations

import pytest

from playground.engines.base import trim_at_stops
from playground.runtime.runners import first_line
from playground.runtime.scoring import softmax, top_choice
from playground.tasks.clustering import clean_name, keywords
from playground.tasks.grammar import accept_rewrite
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
    ("pieces", "stops", "expected"),
    [
        (["Hello", " world"], [], "Hello world"),
        (["Hello\nmore"], ["\n"], "Hello"),
        (["Hel", "lo EN", "D tail"], ["END"], "Hello "),
        (["abc"], ["zzz"], "abc"),
        (["STOP"], ["STOP"], ""),
    ],
)
def test_trim_at_stops_handles_stops_split_across_pieces(pieces: list, stops: list, expected: str) -> None:
    assert "".join(trim_at_stops(pieces, stops)) == expected


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


def test_softmax_and_top_choice() -> None:
    probs = softmax([-1.0, -3.0, -1.0])
    assert sum(probs) == pytest.approx(1.0)
    assert probs[0] == pytest.approx(probs[2])
    result = top_choice(["a", "b"], [0.2, 0.8])
    assert result == {"label": "b", "scores": {"a": 0.2, "b": 0.8}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("\n  first \nsecond", "first"), ("", ""), ("only", "only")],
)
def test_first_line(text: str, expected: str) -> None:
    assert first_line(text) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(" Football\nTexts:", "Football"), (' "Cooking."', "Cooking"), ("", ""), ("a b c d e f g", "")],
)
def test_clean_cluster_name(answer: str, expected: str) -> None:
    assert clean_name(answer) == expected


def test_keywords_pick_distinctive_words() -> None:
    assert "bread" in keywords(["bake bread", "bread dough"], ["football match"])


@pytest.mark.parametrize(
    ("model_text", "original", "corrected"),
    [
        (" I have a cat.\nOriginal: more", "I has a cat.", "I have a cat."),
        ("", "I has a cat.", "I has a cat."),  # nothing usable: keep the original
        (" " + "blah " * 40, "I has a cat.", "I has a cat."),  # a rambling rewrite is not a correction
    ],
)
def test_grammar_accepts_only_plausible_rewrites(model_text: str, original: str, corrected: str) -> None:
    assert accept_rewrite(original, model_text) == corrected


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
