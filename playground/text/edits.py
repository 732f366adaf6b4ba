"""Edits with character offsets into the original text: computed from a rewrite, and applied back."""

from __future__ import annotations

import difflib
import re
from typing import Any, TypedDict

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


class Edit(TypedDict, total=False):
    start: int  # offset of the first changed character in the original
    end: int  # offset just past the last changed character
    original: str
    replacement: str
    source: str  # the engine that proposed it
    message: str
    rule: str  # the engine's id for the rule behind it (Harper rule name, LanguageTool rule id)


def diff_edits(original: str, corrected: str, source: str = "llm") -> list[Edit]:
    """Word-level diff: the smallest spans of original that, replaced, give corrected exactly."""
    a = [m for m in _TOKEN.finditer(original)]
    b = [m for m in _TOKEN.finditer(corrected)]
    matcher = difflib.SequenceMatcher(None, [m.group() for m in a], [m.group() for m in b], autojunk=False)
    spans: list[tuple[int, int, int, int]] = []  # start/end in original, start/end in corrected
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = a[i1].start() if i1 < len(a) else len(original)
        end = a[i2 - 1].end() if i2 > i1 else start
        c_start = b[j1].start() if j1 < len(b) else len(corrected)
        c_end = b[j2 - 1].end() if j2 > j1 else c_start
        # Two changes split only by one unchanged blank read as one edit to a person ("has cat" -> "have cats").
        if spans and original[spans[-1][1] : start].isspace() and corrected[spans[-1][3] : c_start].isspace():
            start, c_start = spans[-1][0], spans[-1][2]
            spans.pop()
        spans.append((start, end, c_start, c_end))
    return [
        Edit(start=s, end=e, original=original[s:e], replacement=corrected[cs:ce], source=source)
        for s, e, cs, ce in spans
    ]


def apply_edits(text: str, edits: list[Edit] | list[dict[str, Any]]) -> str:
    """Apply non-overlapping edits to text; raises ValueError when two overlap or one is out of range."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e["start"], e["end"])):
        if edit["start"] < cursor or edit["end"] > len(text) or edit["start"] > edit["end"]:
            raise ValueError(f"edit {edit} overlaps another or lies outside the text")
        out.append(text[cursor : edit["start"]])
        out.append(edit["replacement"])
        cursor = edit["end"]
    out.append(text[cursor:])
    return "".join(out)
