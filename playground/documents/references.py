"""How an eval row names a passage of a collection, and whether a search hit or a citation is that passage."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from playground.core.errors import InputError


def squashed(text: str) -> str:
    """Text compared without case or whitespace: "€ 12" and "€12" are the same answer."""
    return re.sub(r"\s+", "", text).casefold()


def contains(text: str, phrase: str) -> bool:
    """Whether the text holds the phrase, case and whitespace aside."""
    return squashed(phrase) in squashed(text)


def passage(ref: Any) -> dict[str, str]:
    """A reference passage: the document's name and a phrase of the passage."""
    if not (isinstance(ref, Mapping) and isinstance(ref.get("doc"), str) and isinstance(ref.get("contains"), str)):
        raise InputError('a reference passage is {"doc": "file name", "contains": "a phrase of the passage"}')
    return {"doc": ref["doc"], "contains": ref["contains"]}


def matches(hit: Mapping[str, Any] | None, ref: Mapping[str, str]) -> bool:
    """A hit or citation is the reference passage when its document is the reference's and its text has the phrase."""
    return hit is not None and hit.get("doc") == ref["doc"] and contains(str(hit.get("text", "")), ref["contains"])


def first_relevant(hits: Sequence[Mapping[str, Any]], refs: Sequence[Mapping[str, str]]) -> int | None:
    """The 1-based rank of the first hit that is one of the reference passages, or None."""
    return next((rank for rank, hit in enumerate(hits, 1) if any(matches(hit, r) for r in refs)), None)
