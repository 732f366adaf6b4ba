"""Property-based tests of batch resume: finished_ids and pending_rows read back what a run wrote, cut a torn last
line and never run an id twice. The file tests share one scratch folder (the `scratch` fixture), since hypothesis
cannot use the function-scoped tmp_path. No test loads a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from playground.core.errors import InputError, PlaygroundError, RowError
from playground.service.batch import BatchSummary, finished_ids, pending_rows
from playground.text.textio import (
    clean_value,
    json_line,
    normalise_id,
)
from tests.strategies import ANY_TEXT, FAST, FILE_BYTES, FILES, JSON_SCALARS, VALID_JSON_VALUES, VALID_TEXT

ID_VALUES = (JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2)).map(clean_value)  # ids come from cleaned rows
TORN_TAIL = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")) | st.builds(
    lambda obj, cut: json_line(obj).encode("utf-8")[:cut], st.dictionaries(ANY_TEXT, JSON_SCALARS), st.integers(0, 60)
)


@FILES
@given(st.lists(ID_VALUES, max_size=6), TORN_TAIL, st.dictionaries(VALID_TEXT, VALID_JSON_VALUES, max_size=3))
def test_finished_ids_reads_whole_lines_and_cuts_the_torn_tail(
    scratch: Path, ids: list[Any], tail: bytes, extra: dict[str, Any]
) -> None:
    """Whole result lines give their ids; the partial line after the last newline is cut off the file."""
    target = scratch / "results.jsonl"
    whole = "".join(json_line({**extra, "id": i}) + "\n" for i in ids).encode("utf-8")
    target.write_bytes(whole + tail)
    assert finished_ids(target) == {normalise_id(i) for i in ids}
    assert target.read_bytes() == whole


@FILES
@given(st.binary(max_size=200) | FILE_BYTES)
@example(b'{"id": 1}\n' + b"9" * 5000 + b"\n")
@example(b'{"id": 1}\n\xff\xfe\n')
def test_finished_ids_on_any_file_is_ids_or_input_error(scratch: Path, data: bytes) -> None:
    """Whatever the output file holds, finished_ids gives a set of ids or InputError (and never cuts whole lines)."""
    target = scratch / "any.jsonl"
    target.write_bytes(data)
    try:
        ids = finished_ids(target)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    assert all(isinstance(i, str) for i in ids)
    assert target.read_bytes() == data[: data.rfind(b"\n") + 1]


@FILES
@given(st.integers(min_value=1_000, max_value=50_000))
@example(100_000)
def test_finished_ids_deep_nesting_is_input_error(scratch: Path, depth: int) -> None:
    """A results file with a line like `[[[[...` is refused with InputError, never RecursionError."""
    target = scratch / "deep.jsonl"
    target.write_bytes(b"[" * depth + b"\n")
    with pytest.raises(InputError):
        finished_ids(target)


ROW_IDS = st.sampled_from([1, 2, 3, "1", "a", None, 2.0, True, "é"])
ROWS = st.lists(
    st.one_of(
        st.builds(lambda i: {"id": i, "text": "t"}, ROW_IDS),
        st.builds(dict, text=st.just("no id")),  # a fresh dict each time: rows are told apart by identity
        st.builds(lambda i: RowError("bad row", i), st.none() | ROW_IDS),
    ),
    max_size=10,
)


@FAST
@given(ROWS, st.sets((ROW_IDS | st.integers(1, 10)).map(normalise_id), max_size=4))
def test_pending_rows_skips_done_ids_and_refuses_repeats(rows: list[Any], done: set[str]) -> None:
    """No pending row has a done id, every row is either yielded or counted as skipped, and ids run at most once."""
    summary = BatchSummary()
    pending = list(pending_rows(rows, done, summary))
    assert len(pending) + summary.skipped == len(rows)

    def key(number: int, row: Any) -> str:
        if isinstance(row, PlaygroundError):
            row_id = getattr(row, "row_id", None)
            return normalise_id(number if row_id is None else row_id)
        return normalise_id(row.get("id", number))

    keys = [key(n, r) for n, r in enumerate(rows, 1)]
    assert summary.skipped == sum(k in done for k in keys)
    number_of = {id(r): n for n, r in enumerate(rows, 1)}
    runnable = [keys[number_of[id(r)] - 1] for r in pending if isinstance(r, dict)]
    assert not set(runnable) & done
    assert len(runnable) == len(set(runnable))
    assert all(id(r) in number_of or isinstance(r, RowError) for r in pending)  # new items only refuse repeats
