"""Stop sequences, table-driven: a stop split across streamed pieces still ends the text before it."""

from __future__ import annotations

import pytest

from playground.engines.base import trim_at_stops


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
