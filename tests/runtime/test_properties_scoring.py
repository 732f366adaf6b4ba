"""Property-based tests of the runners' helpers: first_line, softmax and top_choice keep their promises for any
text or scores. No test loads a model."""

from __future__ import annotations

import itertools
import math

from hypothesis import example, given
from hypothesis import strategies as st

from playground.runtime.runners import first_line
from playground.runtime.scoring import softmax, top_choice
from tests.strategies import ANY_TEXT, FAST, VALID_TEXT


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
