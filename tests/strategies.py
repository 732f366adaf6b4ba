"""Hypothesis strategies and helpers shared by the property-based tests (`test_properties_*.py` in each layer's
folder): the common settings, text and JSON strategies seeded with the characters that have broken text handling
before, prose for the post-processors, huge and deeply nested JSON, the contents of batch files, generation parameter
values at the edges of their ranges, and the helpers that compare JSON values, check that text is clean and that
parameters are in range.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from playground.engines.params import MAX_NEW_TOKENS_CAP, PARAM_NAMES, GenerationParams
from playground.text.textio import clean_text

FAST = settings(max_examples=100, deadline=None)

# Characters that have broken text handling somewhere: line breaks of every kind, controls, BOM, lone surrogates,
# JSON and CSV syntax, and letters whose case mapping changes length or lands in ASCII.
NASTY_VALID = ["\r", "\n", "\r\n", "\t", " ", "\x00", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\x9f",
               "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffd", "é", "ÿ", "þ", "€", "ß", "İ", "\u212a", "😀",
               "=", ",", ";", '"', "'", "\\", "{", "}", "[", "]", ":", ".", "0", "-"]  # fmt: skip
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00"]  # the last is a pair split into code points
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")  # what clean_text must leave out
SURROGATE = re.compile("[\ud800-\udfff]")

# Valid text has no lone surrogate; hypothesis's characters() yields them unless category Cs is excluded.
VALID_CHAR = st.characters(exclude_categories=("Cs",))
VALID_TEXT = st.lists(VALID_CHAR | st.sampled_from(NASTY_VALID), max_size=30).map("".join)
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

HUGE_INTEGER = st.integers(min_value=4301, max_value=6000).map(lambda n: "9" * n)  # past int()'s 4300-digit limit
HUGE_JSON = st.builds(str.format, st.sampled_from(["{}", "[{}]", '{{"a": {}}}', "-{}", "[1, {}]"]), HUGE_INTEGER)
DEPTH = st.integers(min_value=300, max_value=1100)


def same(a: Any, b: Any) -> bool:
    """Equality of JSON values where NaN equals NaN and a bool is not a number."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k)
            yield from strings_in(v)


def is_clean(text: str) -> bool:
    return not CONTROL.search(text) and clean_text(text) == text


# --- batch files --------------------------------------------------------------------------------------------------

FILES = settings(FAST, max_examples=40)  # each example writes a file

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


CSV_TEXT = st.lists(
    st.sampled_from([",", '"', "\n", "\r", "\r\n", " ", "\x00", "id", "text", "a", "é", "\ufeff", "\ud800"])
    | st.characters(exclude_categories=()),
    max_size=60,
).map("".join)


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, "replace" if codec == "cp1252" else "surrogatepass")


FILE_BYTES = st.binary(max_size=300) | st.builds(
    _encode, JSONL_TEXT | CSV_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
)


# --- generation parameters ------------------------------------------------------------------------------------------

# Numbers and number-like strings at the edges of what float(), int() and pydantic accept.
EDGE_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0, -0.0, 5e-324, 1e308, 10**400, -(10**400), 2**63, 2**64 + 1, True, False,
     "1e400", "-1e400", "nan", "inf", "", " ", "0x10", "1_000", "٣", " 7 ", "3.5", "auto"]
)  # fmt: skip

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
    "logprobs": st.integers(-1, 6),
    "draft": st.sampled_from(["none", "prompt-lookup", "prompt-lookup:0", "prompt-lookup:64", "prompt-lookup:65"])
    | st.from_regex(r"(none|prompt-lookup)(:-?\d{1,3})?", fullmatch=True)
    | ANY_TEXT,
}
assert set(NEAR_RANGE) == PARAM_NAMES  # a new parameter needs a range here


def check_params(params: GenerationParams) -> None:
    """Every field of valid parameters is in its documented range."""
    assert 1 <= params.max_new_tokens <= MAX_NEW_TOKENS_CAP
    assert 0.0 <= params.temperature <= 2.0
    assert 0.0 < params.top_p <= 1.0
    assert 0 <= params.top_k <= 1000
    assert 0.5 <= params.repetition_penalty <= 2.0
    assert 1 <= params.num_beams <= 8
    assert params.seed is None or 0 <= params.seed <= 2**32 - 1
    assert all(isinstance(s, str) and s for s in params.stop)
    assert 0 <= params.logprobs <= 5
    assert 0 <= params.draft_tokens <= 64 and not (params.draft_tokens and (params.logprobs or params.num_beams > 1))
