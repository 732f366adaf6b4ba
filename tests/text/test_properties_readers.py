"""Property-based tests of the batch readers: jsonl_rows, csv_rows, read_rows and texts_from_file give cleaned rows or
PlaygroundErrors for any text or bytes and never raise anything else. The file tests share one scratch folder (the
`scratch` fixture), since hypothesis cannot use the function-scoped tmp_path. No test loads a model."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from playground.core.errors import InputError, PlaygroundError, RowError
from playground.text.textio import (
    clean_text,
    csv_rows,
    decode,
    jsonl_rows,
    read_rows,
    texts_from_file,
)
from tests.strategies import (
    ANY_TEXT,
    CSV_TEXT,
    DEPTH,
    FAST,
    FILE_BYTES,
    FILES,
    HUGE_JSON,
    JSONL_TEXT,
    SURROGATE,
    VALID_TEXT,
    is_clean,
    same,
    strings_in,
)


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
