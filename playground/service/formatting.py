"""Task outputs as plain text, for the terminal and for the comparison columns of the app."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from playground.service import api


def topics_line(topics: dict[str, list[str]]) -> str:
    """Which topics of the library each label took, on one line."""
    return "topic library: " + "; ".join(f"{label} ← {', '.join(names)}" for label, names in topics.items())


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def check_segments(text: str, checks: Sequence[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """The text cut where flagged spans begin and end: each piece with the numbers of the checks covering it."""
    cuts = sorted({0, len(text), *(c["start"] for c in checks), *(c["end"] for c in checks)})
    pieces = []
    for start, end in itertools.pairwise(cuts):
        if start < end:
            covering = [n for n, c in enumerate(checks) if c["start"] <= start and end <= c["end"]]
            pieces.append((text[start:end], covering))
    return pieces


def marked_text(text: str, checks: Sequence[dict[str, Any]]) -> str:
    """The text with each flagged span in ⟦ ⟧, followed by the numbers of its checks in superscript."""
    out = []
    for piece, covering in check_segments(text, checks):
        if not covering:
            out.append(piece)
        else:
            out.append("⟦" + piece + "⟧" + ",".join(str(n + 1).translate(SUPERSCRIPT) for n in covering))
    return "".join(out)


def check_lines(checks: Sequence[dict[str, Any]]) -> list[str]:
    """One line per check: its number, kind and message."""
    return [f"{str(n).translate(SUPERSCRIPT)} {c['kind']}: {c['message']}" for n, c in enumerate(checks, 1)]


def format_output(display: str, output: dict[str, Any], checked: str | None = None) -> str:
    """A readable rendering of a task's output for the terminal; with `checked` (the field the checks read), its
    flagged spans are marked and the checks listed under it."""
    shown = _format(display, output)
    checks = output.get("checks") or []
    text = output.get(checked) if checked else None
    if not checks or not isinstance(text, str):
        return shown
    if text and text in shown:
        shown = shown.replace(text, marked_text(text, checks), 1)
    return "\n".join([shown, "checks:", *check_lines(checks)])


def _format(display: str, output: dict[str, Any]) -> str:
    if display == "label":
        if not output.get("scores"):  # a generated label: the model's answer, parsed, with no probability
            return f"{output['label']}  (generated: {output.get('answer', '')!r}, no probabilities)"
        scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(output["scores"].items(), key=lambda kv: -kv[1]))
        topics = f"\n{topics_line(output['topics'])}" if output.get("topics") else ""
        parts = "; ".join(f"{m['text']!r} {m['label']}" for m in output.get("mixed") or [])
        mixed = f"\nmixed: {parts} (so the probabilities are lowered)" if parts else ""
        return f"{output['label']}  ({scores}){topics}{mixed}"
    if display == "edits":
        lines = [output["corrected"]]
        lines += [
            f"  [{e['start']}:{e['end']}] {e['original']!r} -> {e['replacement']!r} ({e['source']})"
            for e in output["edits"]
        ]
        lines += [f"  left out: {e['original']!r} -> {e['replacement']!r} (llm)" for e in output.get("left_out", [])]
        return "\n".join(lines)
    if display == "clusters":
        if "clusters" not in output:  # a partial result while the texts are embedded
            return str(output.get("progress", ""))
        lines = []
        for c in output["clusters"]:
            lines.append(f"#{c['id']} {c['name']} ({c['size']})")
            lines += [f"  - {m}" for m in c["members"]]
        return "\n".join(lines)
    if display == "keywords":
        lines = [f"{k['keyword']}  {k['score']:.3f}  ×{k['count']}" for k in output["keywords"]]
        return "\n".join(lines + ([f"\n{output['meta_description']}"] if output.get("meta_description") else []))
    if display == "ideas":
        return "\n".join(f"{n}. {i['title']}" + (f": {i['description']}" if i["description"] else "")
                         for n, i in enumerate(output["ideas"], 1))  # fmt: skip
    if display == "hits":
        return "\n".join(f"{n}. {h['doc']}  {h['score']:.3f}\n   {' '.join(str(h['text']).split())}"
                         for n, h in enumerate(output["hits"], 1)) or "no passage found"  # fmt: skip
    if display == "pairs":
        return "\n".join(f"{p['a']} ~ {p['b']}  {p['kind']} {p['score']:.3f}" for p in output["pairs"]) or (
            "no copies or paraphrases found"
        )
    return api.primary_text(output)
