"""Property-based tests of the batch readers and of batch resume: jsonl_rows, csv_rows, read_rows and
texts_from_file give cleaned rows or PlaygroundErrors for any text or bytes and never raise anything else, and
finished_ids and pending_rows read back what a run wrote, cut a torn last line and never run an id twice. The file
tests share one scratch folder, since hypothesis cannot use the function-scoped tmp_path. No test loads a model.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from playground.core.errors import InputError, PlaygroundError, RowError
from playground.service.batch import BatchSummary, finished_ids, pending_rows
from playground.text.textio import (
    clean_text,
    clean_value,
    csv_rows,
    decode,
    json_line,
    jsonl_rows,
    normalise_id,
    read_rows,
    texts_from_file,
)
from tests.strategies import (
    ANY_TEXT,
    DEPTH,
    FAST,
    HUGE_JSON,
    JSON_SCALARS,
    JSON_VALUES,
    SURROGATE,
    VALID_JSON_VALUES,
    VALID_TEXT,
    is_clean,
    same,
    strings_in,
)

FILES = settings(FAST, max_examples=40)  # each example writes a file


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the file tests (hypothesis cannot use the function-scoped tmp_path)."""
    return tmp_path_factory.mktemp("properties")


# --- jsonl_rows, csv_rows, read_rows, texts_from_file -----------------------------------------------------------------


JSONL_LINE = st.one_of(
    ANY_TEXT,
    st.builds(json.dumps, JSON_VALUES, ensure_ascii=st.booleans()),
    st.builds(json.dumps, st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=4), ensure_ascii=st.booleans()),
    st.integers(1, 60).map(lambda n: "[" * n),
    st.integers(1, 60).map(lambda n: '{"a": ' + "[" * n + "]" * n + "}"),
    st.sampled_from(["", "   ", "\ufeff{}", '{"id": null}', '{"id": 3}', "{}", "[]", "NaN", '"x"', "{'a': 1}"]),
)


def _join_lines(lines: list[str], separator: str) -> str:
    return separator.join(lines)


JSONL_TEXT = st.builds(_join_lines, st.lists(JSONL_LINE, max_size=8), st.sampled_from(["\n", "\r\n", "\r"]))


def _check_row(item: Any) -> None:
    """A reader's item: a dict with an id whose strings are clean, or a PlaygroundError."""
    if isinstance(item, PlaygroundError):
        return
    assert isinstance(item, dict), item
    assert "id" in item
    assert all(is_clean(s) for s in strings_in(item))


@FAST
@given(JSONL_TEXT)
def test_jsonl_rows_yields_one_row_or_error_per_nonblank_line(text: str) -> None:
    """One item per non-blank line: a cleaned dict with an id (the line number by default), or a RowError."""
    lines = [line for line in re.split("\r\n|\r|\n", text) if line.strip()]  # JSON's line breaks only
    items = list(jsonl_rows(text))
    assert len(items) == len(lines)
    for item in items:
        _check_row(item)
        if isinstance(item, PlaygroundError):
            assert isinstance(item, RowError)
            assert isinstance(item.row_id, int)


@FAST
@given(HUGE_JSON)
@example('{"a": ' + "9" * 5000 + "}")
def test_jsonl_rows_huge_integer_is_row_error(line: str) -> None:
    """A line holding a 5000-digit number is a RowError for that line, not an exception for the whole file."""
    for item in jsonl_rows(f'{{"ok": 1}}\n{line}\n'):
        _check_row(item)


@FAST
@given(DEPTH)
@example(600)
def test_jsonl_rows_deep_nesting_is_row_error(depth: int) -> None:
    """A line nested hundreds deep is a row or a RowError, never RecursionError."""
    for item in jsonl_rows('{"a": ' + "[" * depth + "]" * depth + "}"):
        _check_row(item)


CSV_TEXT = st.lists(
    st.sampled_from([",", '"', "\n", "\r", "\r\n", " ", "\x00", "id", "text", "a", "é", "\ufeff", "\ud800"])
    | st.characters(exclude_categories=()),
    max_size=60,
).map("".join)


@FAST
@given(CSV_TEXT | ANY_TEXT)
@example("text\n" + "x" * 140_000 + "\nok\n")
@example('a\n"unclosed')
@example('a,b\n"x"y,"\rq\n')
def test_csv_rows_yields_only_rows_or_errors(text: str) -> None:
    """Any text gives cleaned dicts with an id (named by the cleaned header), or PlaygroundErrors; nothing raises."""
    for item in csv_rows(text):
        _check_row(item)
        if isinstance(item, dict):
            assert all(k == "id" or (k and k == k.strip()) for k in item)


CSV_NAME = VALID_TEXT.filter(lambda h: clean_text(h).strip() != "") | st.sampled_from(["id", "text", "label"])


@FAST
@given(st.lists(CSV_NAME, min_size=1, max_size=4, unique_by=lambda h: clean_text(h).strip()), st.data())
def test_csv_rows_reads_what_csv_writer_wrote(header: list[str], data: st.DataObject) -> None:
    """A CSV written by csv.writer reads back as its rows, cleaned, blank rows left out, ids the row number."""
    width = len(header)
    rows = data.draw(st.lists(st.lists(VALID_TEXT, min_size=width, max_size=width), max_size=5))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    expected = []
    for number, values in enumerate(rows, 1):
        if not any(v.strip() for v in values):
            continue
        row: dict[str, Any] = {clean_text(h).strip(): clean_text(v) for h, v in zip(header, values, strict=True)}
        if not row.get("id"):
            row["id"] = number
        expected.append(row)
    assert list(csv_rows(buffer.getvalue())) == expected


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, "replace" if codec == "cp1252" else "surrogatepass")


FILE_BYTES = st.binary(max_size=300) | st.builds(
    _encode, JSONL_TEXT | CSV_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
)


def _as_comparable(items: Sequence[Any]) -> list[Any]:
    return [(type(i).__name__, str(i)) if isinstance(i, PlaygroundError) else i for i in items]


@FILES
@given(FILE_BYTES, st.sampled_from([".jsonl", ".json", ".csv", ".JSONL", ".CSV", ".txt", ""]))
def test_read_rows_reads_any_bytes(scratch: Path, data: bytes, suffix: str) -> None:
    """Any file gives what the matching reader gives for its decoded text, or InputError for an unknown type."""
    path = scratch / f"rows{suffix}"
    path.write_bytes(data)
    if suffix.lower() not in (".jsonl", ".json", ".csv"):
        with pytest.raises(InputError):
            read_rows(path)
        return
    items = read_rows(path)
    for item in items:
        _check_row(item)
    reader = csv_rows if suffix.lower() == ".csv" else jsonl_rows
    expected = list(reader(decode(data)))
    assert all(same(a, b) for a, b in zip(_as_comparable(items), _as_comparable(expected), strict=True))


@FILES
@given(ANY_TEXT.filter(lambda n: "/" not in n and "\x00" not in n and n not in ("", ".", "..")))
def test_read_rows_missing_file_is_input_error(scratch: Path, name: str) -> None:
    """A file that is not there, or a folder, is an InputError naming it."""
    assume(not SURROGATE.search(name))
    for path in (scratch / "missing" / f"{name}.jsonl", scratch / "missing" / f"{name}.csv"):
        with pytest.raises(InputError):
            read_rows(path)
    folder = scratch / "folder.csv"
    folder.mkdir(exist_ok=True)
    with pytest.raises(InputError):
        read_rows(folder)


@FILES
@given(FILE_BYTES, st.sampled_from([".txt", ".csv", ".CSV", ".md"]))
def test_texts_from_file_gives_clean_nonblank_texts(scratch: Path, data: bytes, suffix: str) -> None:
    """Any upload gives clean, stripped, non-empty texts, or InputError."""
    path = scratch / f"texts{suffix}"
    path.write_bytes(data)
    try:
        texts = texts_from_file(path)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    assert all(t and t == t.strip() and is_clean(t) for t in texts)
    assert texts_from_file(None) == texts_from_file("") == []


# --- batch resume ----------------------------------------------------------------------------------------------------

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
