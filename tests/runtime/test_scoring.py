"""The runners' helpers, table-driven: softmax and the top choice, the first line of an answer."""

from __future__ import annotations

import pytest

from playground.runtime.runners import first_line
from playground.runtime.scoring import softmax, top_choice


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
