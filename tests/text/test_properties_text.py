"""Property-based tests of the text primitives: clean_text and clean_value leave clean, idempotent text, json_line
writes one UTF-8 line that reads back, the `--param` parser raises nothing but InputError on any string (huge
integers and deep nesting included), and decode turns any bytes into text, reading UTF-8, UTF-16, Latin-1 and
Windows-1252 back exactly. No test loads a model.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from playground.core.errors import InputError, PlaygroundError
from playground.text.textio import clean_text, clean_value, decode, json_line, jsonl_rows, parse_param
from tests.strategies import (
    ANY_TEXT,
    CONTROL,
    DEPTH,
    FAST,
    HUGE_JSON,
    JSON_VALUES,
    SURROGATE,
    VALID_JSON_VALUES,
    VALID_TEXT,
    is_clean,
    same,
    strings_in,
)


def _pair_surrogates(value: Any) -> Any:
    """The value as JSON reads it back: two surrogate code points that form a pair become one character."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    if isinstance(value, list):
        return [_pair_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_pair_surrogates(k): _pair_surrogates(v) for k, v in value.items()}
    return value


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
    assert all(is_clean(s) for s in strings_in(cleaned))
    assert same(clean_value(cleaned), cleaned)


@FAST
@given(JSON_VALUES)
@example("\ud800")
@example({"\udfff": ["\ud83d\ude00"]})
@example("a\u2028b\x85c")
def test_json_line_is_one_utf8_line_that_reads_back(value: Any) -> None:
    """json_line never raises, holds no raw CR or LF, encodes to UTF-8, is strict JSON (NaN and infinities become
    null) and json.loads gives the value back."""
    line = json_line(value)
    line.encode("utf-8")
    assert "\n" not in line
    assert "\r" not in line
    value = _finite(value)
    assert same(json.loads(line, parse_constant=_refuse), _pair_surrogates(value))
    if not any(SURROGATE.search(s) for s in strings_in(value)):
        assert same(json.loads(line), value)  # no surrogate: an exact round trip


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _refuse(name: str) -> Any:
    raise AssertionError(f"json_line wrote {name}, which is not JSON")


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
    assert same(items[0], expected)


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
    assert same(value, clean_value(expected))


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
    assert same(parsed, clean_value(value))
    if same(clean_value(value), value):
        assert same(parsed, value)


@FAST
@given(HUGE_JSON)
@example("9" * 5000)
def test_parse_param_huge_integer_is_input_error_or_value(raw: str) -> None:
    """`k=<5000 digits>` is read (as a string or a number) or refused with InputError, never ValueError."""
    with contextlib.suppress(PlaygroundError):
        key, value = parse_param(f"k={raw}")
        assert key == "k" and isinstance(value, (str, int, float, list, dict))


@FAST
@given(DEPTH)
@example(600)
def test_parse_param_deep_nesting_is_not_recursion_error(depth: int) -> None:
    """`k=[[[...]]]` nested hundreds deep is read or refused with InputError, never RecursionError."""
    with contextlib.suppress(PlaygroundError):
        key, value = parse_param("k=" + "[" * depth + "]" * depth)
        assert key == "k" and isinstance(value, (str, list))


# --- decode -----------------------------------------------------------------------------------------------------------


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
    check_single_byte_decode(text, "latin-1")


def check_single_byte_decode(text: str, encoding: str) -> None:
    """`decode` of text in a single-byte encoding: no U+FFFD, and the exact text whenever the bytes are not UTF-8."""
    data = text.encode(encoding)
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
    check_single_byte_decode(text, "cp1252")
