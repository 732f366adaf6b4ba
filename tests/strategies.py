"""Hypothesis strategies and helpers shared by the property-based tests (`test_properties_*.py`): the common
settings, text and JSON strategies seeded with the characters that have broken text handling before, prose for the
post-processors, huge and deeply nested JSON, and the helpers that compare JSON values and check that text is clean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

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
