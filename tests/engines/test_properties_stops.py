"""Property-based tests of stop sequences: trim_at_stops cuts a stream before its first stop, wherever the pieces
split it. No test loads a model."""

from __future__ import annotations

import itertools

from hypothesis import example, given
from hypothesis import strategies as st

from playground.engines.base import trim_at_stops
from tests.strategies import FAST

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
