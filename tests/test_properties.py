"""Property-based tests: no input makes the validators, the `--param` parser, the batch readers or the post-processors
raise anything but PlaygroundError, and the invariants they promise hold for every input hypothesis can build.

No test loads a model.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from playground.backends.base import trim_at_stops
from playground.batch import BatchSummary, finished_ids, pending_rows
from playground.edits import apply_edits, diff_edits
from playground.errors import InputError, ParamError, PlaygroundError, RowError
from playground.params import MAX_NEW_TOKENS_CAP, PARAM_NAMES, GenerationParams, make_params
from playground.registry import Input, TaskSpec, all_tasks
from playground.taskkit import first_line, softmax, split_sentences, top_choice
from playground.tasks.clustering import clean_name, keywords
from playground.tasks.grammar import accept_rewrite, sentence_spans
from playground.tasks.sentiment import LABELS, parse_label
from playground.textio import (
    clean_text,
    clean_value,
    csv_rows,
    decode,
    json_line,
    jsonl_rows,
    normalise_id,
    parse_param,
    read_rows,
    texts_from_file,
)
from playground.ui.helpers import ADVANCED, advanced_arguments, parse_stop

FAST = settings(max_examples=100, deadline=None)
FILES = settings(FAST, max_examples=40)  # each example writes a file
SLOW = settings(FAST, max_examples=30)  # each example fits a TF-IDF model

# Characters that have broken text handling somewhere: line breaks of every kind, controls, BOM, lone surrogates,
# JSON and CSV syntax, and letters whose case mapping changes length or lands in ASCII.
NASTY_VALID = ["\r", "\n", "\r\n", "\t", " ", "\x00", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\x9f",
               "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffd", "é", "ÿ", "þ", "€", "ß", "İ", "\u212a", "😀",
               "=", ",", ";", '"', "'", "\\", "{", "}", "[", "]", ":", ".", "0", "-"]  # fmt: skip
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00"]  # the last is a pair split into code points
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")  # what clean_text must leave out
SURROGATE = re.compile("[\ud800-\udfff]")

VALID_TEXT = st.lists(st.characters() | st.sampled_from(NASTY_VALID), max_size=30).map("".join)
ANY_TEXT = st.lists(
    st.characters(exclude_categories=()) | st.sampled_from(NASTY_VALID) | st.sampled_from(SURROGATES), max_size=30
).map("".join)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
VALID_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | VALID_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(VALID_TEXT, inner, max_size=4),
    max_leaves=12,
)
PROSE_WORDS = ["I", "has", "have", "a", "cat", "cats", "the", "é", "naïve", "123", "_", " ", "  ", "\n", "\t", ".",
               ",", "!", "?", "'", "-", "\u00a0", "\u2028", "Mr.", "Dr.", "e.g.", "U.S.", "No.", "A", "É", "…", '"',
               "(", ")", "¿"]  # fmt: skip
PROSE = st.lists(st.sampled_from(PROSE_WORDS), max_size=16).map("".join)
# Numbers and number-like strings at the edges of what float(), int() and pydantic accept.
EDGE_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0, -0.0, 5e-324, 1e308, 10**400, -(10**400), 2**63, 2**64 + 1, True, False,
     "1e400", "-1e400", "nan", "inf", "", " ", "0x10", "1_000", "٣", " 7 ", "3.5", "auto"]
)  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    """Equality of JSON values where NaN equals NaN and a bool is not a number."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _pair_surrogates(value: Any) -> Any:
    """The value as JSON reads it back: two surrogate code points that form a pair become one character."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    if isinstance(value, list):
        return [_pair_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_pair_surrogates(k): _pair_surrogates(v) for k, v in value.items()}
    return value


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)


def _is_clean(text: str) -> bool:
    return not CONTROL.search(text) and clean_text(text) == text


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the file tests (hypothesis cannot use the function-scoped tmp_path)."""
    return tmp_path_factory.mktemp("properties")


# --- clean_text, clean_value, json_line ---------------------------------------------------------------------------


@FAST
@given(ANY_TEXT)
def test_clean_text_is_utf8_without_controls_and_idempotent(text: str) -> None:
    """Cleaned text encodes to UTF-8, has no control character but \\n and \\t, and cleaning it again is a no-op."""
    cleaned = clean_text(text)
    cleaned.encode("utf-8")
    assert not CONTROL.search(cleaned)
    assert "\r" not in cleaned
    assert clean_text(cleaned) == cleaned
    # Line breaks are kept, CRLF and CR counted as one LF each.
    assert cleaned.count("\n") == text.count("\n") + text.count("\r") - text.count("\r\n")
    assert cleaned.count("\t") == text.count("\t")


@FAST
@given(st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff", include_characters="\n\t")))
def test_clean_text_keeps_printable_text(text: str) -> None:
    """Text without controls, surrogates or BOM passes through unchanged."""
    assert clean_text(text) == text


@FAST
@given(JSON_VALUES)
def test_clean_value_cleans_every_string_and_is_idempotent(value: Any) -> None:
    """Every string inside the cleaned value (keys too) is clean; cleaning twice changes nothing."""
    cleaned = clean_value(value)
    assert all(_is_clean(s) for s in _strings(cleaned))
    assert _same(clean_value(cleaned), cleaned)


@FAST
@given(JSON_VALUES)
@example("\ud800")
@example({"\udfff": ["\ud83d\ude00"]})
@example("a\u2028b\x85c")
def test_json_line_is_one_utf8_line_that_reads_back(value: Any) -> None:
    """json_line never raises, holds no raw CR or LF, encodes to UTF-8 and json.loads gives the value back."""
    line = json_line(value)
    line.encode("utf-8")
    assert "\n" not in line
    assert "\r" not in line
    assert _same(json.loads(line), _pair_surrogates(value))
    if not any(SURROGATE.search(s) for s in _strings(value)):
        assert _same(json.loads(line), value)  # no surrogate: an exact round trip


@FAST
@given(st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=4))
@example({"text": "one\u2028line"})
@example({"text": "one\u0085line"})
def test_json_line_reads_back_as_one_jsonl_row(row: dict[str, Any]) -> None:
    """A dict written with json_line is exactly one row for jsonl_rows, with the same (cleaned) content."""
    items = list(jsonl_rows(json_line(row)))
    assert len(items) == 1
    expected = clean_value(json.loads(json_line(row)))
    expected.setdefault("id", 1)
    assert isinstance(items[0], dict)
    assert _same(items[0], expected)


# --- parse_param -----------------------------------------------------------------------------------------------------


@FAST
@given(ANY_TEXT | st.sampled_from(["=", "k=", "=v", " =1", "k==", "k=[", "k=NaN", "k=-Infinity", "\x00=1", "k=\ud800"]))
def test_parse_param_raises_only_input_error(text: str) -> None:
    """Any string gives (key, value) with a clean key, or InputError; the value is JSON when it parses, else text."""
    try:
        key, value = parse_param(text)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    raw = text.partition("=")[2]
    assert key
    assert key == clean_text(key).strip()
    assert "=" not in key
    try:
        expected = json.loads(raw)
    except (ValueError, RecursionError):
        expected = raw
    assert _same(value, clean_value(expected))


@FAST
@given(JSON_VALUES.filter(lambda v: not isinstance(v, str)) | st.binary())
def test_parse_param_refuses_non_strings(value: Any) -> None:
    """A non-string --param is an InputError, not a crash."""
    with pytest.raises(InputError):
        parse_param(value)


@FAST
@given(
    VALID_TEXT.filter(lambda k: "=" not in k and clean_text(k).strip() != ""),
    VALID_JSON_VALUES,
    st.booleans(),
)
def test_parse_param_reads_key_equals_json(key: str, value: Any, ascii_only: bool) -> None:
    """`key=<json>` gives the cleaned key and the JSON value (cleaned; unchanged when it was clean already)."""
    parsed_key, parsed = parse_param(f"{key}={json.dumps(value, ensure_ascii=ascii_only)}")
    assert parsed_key == clean_text(key).strip()
    assert _same(parsed, clean_value(value))
    if _same(clean_value(value), value):
        assert _same(parsed, value)


HUGE_INTEGER = st.integers(min_value=4301, max_value=6000).map(lambda n: "9" * n)  # past int()'s 4300-digit limit
HUGE_JSON = st.builds(str.format, st.sampled_from(["{}", "[{}]", '{{"a": {}}}', "-{}", "[1, {}]"]), HUGE_INTEGER)


@FAST
@given(HUGE_JSON)
@example("9" * 5000)
def test_parse_param_huge_integer_is_input_error_or_value(raw: str) -> None:
    """`k=<5000 digits>` is read (as a string or a number) or refused with InputError, never ValueError."""
    with contextlib.suppress(PlaygroundError):
        parse_param(f"k={raw}")


DEPTH = st.integers(min_value=300, max_value=1100)


@FAST
@given(DEPTH)
@example(600)
def test_parse_param_deep_nesting_is_not_recursion_error(depth: int) -> None:
    """`k=[[[...]]]` nested hundreds deep is read or refused with InputError, never RecursionError."""
    with contextlib.suppress(PlaygroundError):
        parse_param("k=" + "[" * depth + "]" * depth)


# --- decode and the batch readers ------------------------------------------------------------------------------------


@FAST
@given(st.binary())
@example(b"\xff\xfe\x00")
@example(b"\xfe\xff\xd8\x00")
@example(b"\xef\xbb\xbf\xff")
def test_decode_never_raises_and_gives_encodable_text(data: bytes) -> None:
    """Any bytes decode to a str without lone surrogates."""
    text = decode(data)
    assert isinstance(text, str)
    text.encode("utf-8")


@FAST
@given(VALID_TEXT)
def test_decode_reads_utf8_and_utf16_with_bom(text: str) -> None:
    """UTF-8 (a leading BOM dropped) and UTF-16 with a BOM give the text back exactly."""
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode(text.encode("utf-16")) == text
    assert decode(b"\xfe\xff" + text.encode("utf-16-be")) == text
    if not text.startswith("\ufeff"):
        assert decode(text.encode("utf-8")) == text


PRINTABLE_LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF).filter(lambda c: not 0x7F <= ord(c) < 0xA0)


@FAST
@given(st.text(PRINTABLE_LATIN1, min_size=1))
@example("café")
@example("naïve façade ÿ")
def test_decode_reads_latin1_text(text: str) -> None:
    """Latin-1 bytes of printable Latin-1 text decode without U+FFFD; exactly when they are not also UTF-8."""
    data = text.encode("latin-1")
    # A file that starts with the bytes FF FE ("ÿþ") is UTF-16 by the documented BOM rule; not Latin-1's to claim.
    assume(not data.startswith((b"\xff\xfe", b"\xfe\xff")))
    decoded = decode(data)
    assert "\ufffd" not in decoded
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert decoded == text


CP1252_PRINTABLE = sorted({bytes([b]).decode("cp1252", "ignore") for b in range(0x20, 0x100) if b != 0x7F} - {""})


@FAST
@given(st.text(st.sampled_from(CP1252_PRINTABLE), min_size=1))
@example("“quoted” €5 – ok")
def test_decode_reads_cp1252_text(text: str) -> None:
    """Windows-1252 text (curly quotes, euro sign) decodes without U+FFFD; exactly when it is not also UTF-8."""
    data = text.encode("cp1252")
    assume(not data.startswith((b"\xff\xfe", b"\xfe\xff")))
    decoded = decode(data)
    assert "\ufffd" not in decoded
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert decoded == text


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
    assert all(_is_clean(s) for s in _strings(item))


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
    assert all(_same(a, b) for a, b in zip(_as_comparable(items), _as_comparable(expected), strict=True))


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
    assert all(t and t == t.strip() and _is_clean(t) for t in texts)
    assert texts_from_file(None) == texts_from_file("") == []


# --- task inputs -----------------------------------------------------------------------------------------------------

TASKS = all_tasks()


def _plausible_for(spec: Input) -> st.SearchStrategy[Any]:
    """Values a form or a JSONL row would give this input: mostly valid, with near-misses of its choices."""
    words = [*spec.choices, *spec.aliases]
    near = (
        st.sampled_from(words).flatmap(lambda w: st.sampled_from([w, w.upper(), f"  {w}\t", w.title(), w[:-1]]))
        if words
        else st.nothing()
    )
    some_text = (PROSE | VALID_TEXT | ANY_TEXT).filter(lambda t: clean_text(t).strip() != "")
    if spec.kind == "text":
        return some_text
    if spec.kind == "choice":
        return near
    if spec.kind == "options":
        return st.lists(near, min_size=1, max_size=4) | st.lists(near, min_size=1, max_size=4).map(",".join)
    if spec.kind == "count":
        numbers = st.integers(0, spec.max_items + 1)
        return numbers | numbers.map(str) | st.sampled_from(["auto", " Auto ", "2.0", "٣"])
    items = st.lists(some_text, min_size=spec.min_items - 1, max_size=min(spec.max_items + 1, 8))
    return items | items.map("\n".join) | items.map(",".join)


def _values_for(spec: Input) -> st.SearchStrategy[Any]:
    """Values aimed at one input: plausible ones, arbitrary JSON, and edge numbers."""
    return st.one_of(_plausible_for(spec), JSON_VALUES, st.lists(ANY_TEXT, max_size=6), EDGE_NUMBERS)


def _check_cleaned(spec: Input, raw: Any, value: Any) -> None:
    """The invariants of one validated input value."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and not spec.required):
        assert value == spec.default
        return
    if spec.kind == "text":
        assert isinstance(value, str)
        assert value and value == value.strip() and _is_clean(value) and len(value) <= spec.max_chars
    elif spec.kind == "choice":
        assert value in spec.choices or value in spec.aliases.values()
    elif spec.kind == "options":
        assert value and value == [c for c in spec.choices if c in value]
    elif spec.kind == "count":
        assert value == "auto" or (type(value) is int and 1 <= value <= spec.max_items)
    else:  # texts, labels
        assert isinstance(value, list)
        assert spec.min_items <= len(value) <= spec.max_items
        assert all(isinstance(t, str) and t and t == t.strip() and _is_clean(t) for t in value)
        assert all(len(t) <= spec.max_chars for t in value)
        if spec.kind == "labels":
            assert len(set(value)) == len(value)


INPUTS = [field for spec in TASKS for field in spec.inputs]


@FAST
@given(st.sampled_from(INPUTS), st.data())
def test_input_validate_raises_only_input_error(field: Input, data: st.DataObject) -> None:
    """Each input of each task, given any value, returns a cleaned value or raises InputError."""
    value = data.draw(_values_for(field) | st.none(), label=field.name)
    try:
        cleaned = field.validate(value)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    _check_cleaned(field, value, cleaned)


@FAST
@given(st.sampled_from(TASKS), st.data())
def test_task_validate_raises_only_input_error(spec: TaskSpec, data: st.DataObject) -> None:
    """Every task's validate, on any JSON object, returns cleaned inputs or raises InputError."""
    raw: dict[str, Any] = {}
    for field in spec.inputs:
        if data.draw(st.integers(0, 4), label=f"has {field.name}"):
            raw[field.name] = data.draw(_values_for(field), label=field.name)
    if not data.draw(st.integers(0, 5), label="no extra key"):
        raw.update(data.draw(st.dictionaries(ANY_TEXT, JSON_VALUES, min_size=1, max_size=2), label="extra"))
    try:
        cleaned = spec.validate(raw)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    assert set(cleaned) == {i.name for i in spec.inputs}
    for field in spec.inputs:
        _check_cleaned(field, raw.get(field.name), cleaned[field.name])


@FAST
@given(st.sampled_from(TASKS), st.data())
def test_task_validate_accepts_its_own_output(spec: TaskSpec, data: st.DataObject) -> None:
    """Plausible inputs validate to values with the promised invariants, which validate again to themselves."""
    raw = {f.name: data.draw(_plausible_for(f), label=f.name) for f in spec.inputs}
    try:
        cleaned = spec.validate(raw)
    except PlaygroundError:
        return
    assert set(cleaned) == {i.name for i in spec.inputs}
    for field in spec.inputs:
        _check_cleaned(field, raw[field.name], cleaned[field.name])

    def lists(inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in inputs.items()}

    assert lists(spec.validate(cleaned)) == lists(cleaned)


# --- generation parameters -------------------------------------------------------------------------------------------

PARAM_VALUES = JSON_VALUES | EDGE_NUMBERS | st.lists(ANY_TEXT, max_size=3)
# Values around each parameter's range, so that valid parameters come up as often as refused ones.
NEAR_RANGE: dict[str, st.SearchStrategy[Any]] = {
    "max_new_tokens": st.integers(-1, MAX_NEW_TOKENS_CAP + 1),
    "temperature": st.floats(-0.5, 2.5),
    "top_p": st.floats(-0.1, 1.1),
    "top_k": st.integers(-1, 1001),
    "repetition_penalty": st.floats(0.4, 2.1),
    "num_beams": st.integers(0, 9),
    "seed": st.none() | st.integers(-1, 2**32),
    "stop": st.none() | VALID_TEXT | st.lists(VALID_TEXT, max_size=3),
}
assert set(NEAR_RANGE) == PARAM_NAMES  # a new parameter needs a range here
PARAM_DICTS = st.one_of(
    st.fixed_dictionaries({}, optional=NEAR_RANGE),
    st.fixed_dictionaries({}, optional={name: NEAR_RANGE[name] | PARAM_VALUES for name in sorted(PARAM_NAMES)}),
    st.dictionaries(ANY_TEXT, PARAM_VALUES, max_size=2),
)


def _check_params(params: GenerationParams) -> None:
    """Every field of valid parameters is in its documented range."""
    assert 1 <= params.max_new_tokens <= MAX_NEW_TOKENS_CAP
    assert 0.0 <= params.temperature <= 2.0
    assert 0.0 < params.top_p <= 1.0
    assert 0 <= params.top_k <= 1000
    assert 0.5 <= params.repetition_penalty <= 2.0
    assert 1 <= params.num_beams <= 8
    assert params.seed is None or 0 <= params.seed <= 2**32 - 1
    assert all(isinstance(s, str) and s for s in params.stop)


@FAST
@given(PARAM_DICTS)
@example({"temperature": math.nan})
@example({"max_new_tokens": 10**400, "seed": -1})
@example({"stop": [""]})
@example({"stop": {"a": 1}})
@example({"temprature": 0.5})
def test_make_params_raises_only_param_error(values: dict[str, Any]) -> None:
    """make_params returns parameters in range, or ParamError; merged() on them behaves the same."""
    try:
        params = make_params(values)
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)
        return
    _check_params(params)
    try:
        _check_params(params.merged(**values))
    except ParamError:
        pytest.fail("parameters that validated once must validate again")


BLANK = st.sampled_from(["", None])


def _advanced_values(wild: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """The ten Advanced controls' values: blank, as the widgets give them, or drawn from wild."""
    return st.tuples(
        BLANK | VALID_TEXT | wild,  # model
        BLANK | st.sampled_from(["auto", "transformers", "llamacpp"]) | wild,  # engine
        *(BLANK | NEAR_RANGE[name] | NEAR_RANGE[name].map(str) | wild for name in ADVANCED[2:-1]),
        BLANK | VALID_TEXT | st.lists(VALID_TEXT, max_size=3) | wild,  # stop
    ).map(list)


ADVANCED_VALUES = _advanced_values(st.nothing()) | _advanced_values(PARAM_VALUES | st.floats().map(str))


@FAST
@given(ADVANCED_VALUES)
@example(["", "auto", "1e400", "nan", "inf", None, "", "", "", "stop\\nhere"])
@example([None, None, 10**400, None, None, None, None, None, -(10**400), None])
def test_advanced_arguments_then_make_params_raise_only_param_error(values: list[Any]) -> None:
    """The Advanced controls' values give typed api arguments or ParamError, and so does building params from them."""
    try:
        args = advanced_arguments(values)
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)
        return
    assert set(args) <= set(ADVANCED)
    for name in ("max_new_tokens", "top_k", "num_beams", "seed"):
        assert name not in args or type(args[name]) is int
    for name in ("temperature", "top_p", "repetition_penalty"):
        assert name not in args or (isinstance(args[name], float) and math.isfinite(args[name]))
    assert all(isinstance(s, str) and s for s in args.get("stop", []))
    try:
        _check_params(make_params({k: v for k, v in args.items() if k in PARAM_NAMES}))
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)


@FAST
@given(JSON_VALUES | st.lists(JSON_VALUES, max_size=4).map(tuple))
def test_parse_stop_gives_nonempty_strings(value: Any) -> None:
    """Any box value gives a list of non-empty stop strings; a text box gives one per line, \\n unescaped."""
    stops = parse_stop(value)
    assert all(isinstance(s, str) and s for s in stops)
    if isinstance(value, str):
        assert stops == [line.replace("\\n", "\n") for line in value.splitlines() if line]


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


# --- post-processors -------------------------------------------------------------------------------------------------


@FAST
@given(PROSE | ANY_TEXT, PROSE | ANY_TEXT)
@example("I has a cat.", "I have a cat.")
@example("a very very big dog", "a very big dog")
@example("", "new")
@example("old", "")
def test_diff_edits_apply_back_exactly(original: str, corrected: str) -> None:
    """Applying the edits of a rewrite to the original gives the rewrite, character for character."""
    edits = diff_edits(original, corrected)
    assert apply_edits(original, edits) == corrected
    cursor = 0
    for edit in edits:
        assert cursor <= edit["start"] <= edit["end"] <= len(original)
        assert original[edit["start"] : edit["end"]] == edit["original"]
        assert edit["original"] != edit["replacement"]
        cursor = edit["end"]
    assert diff_edits(original, original) == []


@FAST
@given(ANY_TEXT, st.lists(st.tuples(st.integers(-2, 40), st.integers(-2, 40), ANY_TEXT), max_size=4))
def test_apply_edits_applies_or_refuses_with_value_error(text: str, spans: list[tuple[int, int, str]]) -> None:
    """Arbitrary edits are applied (lengths add up) or refused with the documented ValueError."""
    edits = [{"start": s, "end": e, "replacement": r} for s, e, r in spans]
    try:
        out = apply_edits(text, edits)
    except ValueError as exc:
        assert "overlaps" in str(exc)
        return
    assert len(out) == len(text) - sum(e - s for s, e, _ in spans) + sum(len(r) for _, _, r in spans)


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


@FAST
@given(PROSE | ANY_TEXT)
@example('He said "Hi." Then Mr. Smith left! (Yes.) 2 cats.')
def test_split_sentences_keeps_every_visible_character(text: str) -> None:
    """Sentences are non-empty, stripped, within one line, and together hold all of the text but whitespace."""
    sentences = split_sentences(text)
    assert all(s and s == s.strip() and s.splitlines() == [s] for s in sentences)
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())


@FAST
@given(PROSE | ANY_TEXT)
def test_sentence_spans_cover_the_text_between_blanks(text: str) -> None:
    """Spans are ordered, disjoint, each a non-blank stretch, and only whitespace lies outside them."""
    spans = sentence_spans(text)
    cursor = 0
    outside = []
    for start, end in spans:
        assert cursor <= start < end <= len(text)
        assert text[start:end].strip()
        outside.append(text[cursor:start])
        cursor = end
    outside.append(text[cursor:])
    assert all(not gap.strip() for gap in outside)


@FAST
@given(VALID_TEXT.filter(lambda t: t != "") | PROSE.filter(lambda t: t != ""), PROSE | ANY_TEXT)
def test_accept_rewrite_keeps_original_or_a_plausible_line(original: str, rewrite: str) -> None:
    """The result is the original, or the rewrite's first line when its length is 0.5-1.6 times the original's."""
    result = accept_rewrite(original, rewrite)
    if result != original:
        assert result == first_line(rewrite)
        assert result and 0.5 <= len(result) / len(original) <= 1.6


@FAST
@given(PROSE.filter(str.strip))
def test_accept_rewrite_empty_original(rewrite: str) -> None:
    """An empty original never crashes the post-processor."""
    accept_rewrite("", rewrite)


@FAST
@given(PROSE | ANY_TEXT)
@example('"**Topic: Cats.**"\nmore')
@example("one two three four five six")
def test_clean_name_is_empty_or_a_short_title(text: str) -> None:
    """A cluster name is '' or one to five single-spaced words, without quotes, stars, hashes, colons or dots."""
    name = clean_name(text)
    if name:
        words = name.split()
        assert 1 <= len(words) <= 5
        assert name == " ".join(words)
        assert not set(name) & set('"*#:.')


KEYWORD_TEXT = st.lists(
    st.sampled_from(["cat", "cats", "dog", "the", "and", "rocket", "engine", "fuel", "Kelvin", "\u212aelvin", "a"])
    | ANY_TEXT,
    max_size=6,
).map(" ".join)


@SLOW
@given(st.lists(KEYWORD_TEXT, max_size=4), st.lists(KEYWORD_TEXT, max_size=4), st.integers(1, 4))
def test_keywords_are_words_of_the_members(members: list[str], others: list[str], top: int) -> None:
    """Keywords are 'misc' or at most `top` lower-case words taken from the members."""
    result = keywords(members, others, top=top)
    if result == "misc":
        return
    terms = result.split(", ")
    assert 1 <= len(terms) <= top
    text = " ".join(members).lower()
    assert all(re.fullmatch("[a-z]{2,}", t) and t in text for t in terms)


@FAST
@given(PROSE | ANY_TEXT)
def test_parse_label_always_gives_a_label(answer: str) -> None:
    """Any answer maps to one of the three labels."""
    assert parse_label(answer) in LABELS


@FAST
@given(
    st.sampled_from(LABELS),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.text(" .:!\n*-'\"", max_size=6),
    st.text(" .:!\n*-'\"xyz", max_size=6),
)
def test_parse_label_finds_the_label_word(label: str, case: Any, before: str, after: str) -> None:
    """A label word set off by punctuation or blanks, in any case, is the label found."""
    assert parse_label(f"{before}{case(label)} {after}") == label
