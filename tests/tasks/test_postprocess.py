"""The task post-processors, table-driven: cluster names and keywords, plausible grammar rewrites."""

from __future__ import annotations

import pytest

from playground.tasks.clustering import clean_name, keywords
from playground.tasks.grammar import accept_rewrite


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
