"""How right the checks are: run the check stage over recorded outputs whose errors were labelled by hand.

A row of a check set holds a task, the inputs it was given, the output a model wrote for them (recorded once, so
the labels stay true whatever the models do later), the kinds of check its labeller looked for (`labelled`), and
the errors found (`errors`: each a kind and an exact piece of the checked text). `nlp-playground eval checks`
reruns the task's checks on every row and scores each kind:

- by span: a flag is right when it overlaps an error of its kind (precision), and an error is caught when a flag
  of its kind overlaps it (recall);
- by output: whether an output with at least one error of the kind has at least one flag of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.engines.pool import POOL, ModelPool
from playground.runtime.checks import KINDS
from playground.runtime.registry import get_task
from playground.service import api
from playground.text.textio import json_line

Row = dict[str, Any]
Span = tuple[int, int]
NAME = "checks"  # what `eval` and the Evaluate tab call this evaluation, beside the task names


@dataclass
class CheckedItem:
    """One recorded output: the errors labelled in it and the flags the checks raised, by kind, as spans."""

    id: Any
    task: str
    text: str
    labelled: tuple[str, ...]
    errors: dict[str, list[Span]] = field(default_factory=dict)
    flags: dict[str, list[Span]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "task": self.task, "text": self.text, "labelled": list(self.labelled),
            "errors": {k: [self.text[a:b] for a, b in v] for k, v in self.errors.items()},
            "flags": {k: [self.text[a:b] for a, b in v] for k, v in self.flags.items()},
            "messages": self.messages, **({"error": self.error} if self.error else {}),
        }  # fmt: skip


def labelled_spans(row: Row, text: str) -> dict[str, list[Span]]:
    """The row's labelled errors as spans of the checked text, by kind; a one-line error for a piece not in it."""
    spans: dict[str, list[Span]] = {}
    for entry in row.get("errors", []):
        kind, piece = entry.get("kind"), entry.get("text")
        if kind not in KINDS or not isinstance(piece, str) or not piece:
            raise InputError(f"item {row.get('id')}: an error needs a kind of {', '.join(KINDS)} and a text")
        start = text.find(piece)
        if start < 0:
            raise InputError(f"item {row.get('id')}: the error {piece!r} is not in the recorded output")
        spans.setdefault(kind, []).append((start, start + len(piece)))
    return spans


def check_item(row: Row, pool: ModelPool = POOL, config: Mapping[str, Any] | None = None) -> CheckedItem:
    """Rerun the checks of the row's task over its recorded output and gather flags and labels by kind."""
    task = str(row.get("task", ""))
    item = CheckedItem(row.get("id"), task, "", tuple(row.get("labelled", ())))
    try:
        if not task or not isinstance(row.get("output"), dict):
            raise InputError(f"item {item.id}: a check item needs `task`, `inputs` and the recorded `output`")
        spec = get_task(task)
        output, inputs = row.get("output"), row.get("inputs")
        if not isinstance(output, dict) or not isinstance(inputs, dict) or spec.checked is None:
            raise InputError(f"item {item.id}: a check item needs `inputs` and `output` of a task that writes text")
        item.text = str(output.get(spec.checked, ""))
        item.errors = labelled_spans(row, item.text)
        for check in api.check(task, output, pool=pool, **{**inputs, **(config or {})}):
            item.flags.setdefault(check["kind"], []).append((check["start"], check["end"]))
            item.messages.append(f"{check['kind']}: {check['message']}")
    except PlaygroundError as exc:
        item.error = user_message(exc)
    return item


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in others)


def kind_figures(items: Sequence[CheckedItem], kind: str) -> dict[str, float]:
    """Precision and recall of one kind's flags, by span and by output, over the items labelled for that kind."""
    looked = [i for i in items if kind in i.labelled and i.error is None]
    errors = [(i, s) for i in looked for s in i.errors.get(kind, [])]
    flags = [(i, s) for i in looked for s in i.flags.get(kind, [])]
    right = sum(_overlaps(s, i.errors.get(kind, [])) for i, s in flags)
    caught = sum(_overlaps(s, i.flags.get(kind, [])) for i, s in errors)
    wrong_items = [bool(i.errors.get(kind)) for i in looked]
    flagged_items = [bool(i.flags.get(kind)) for i in looked]
    both = sum(w and f for w, f in zip(wrong_items, flagged_items, strict=True))
    figures: dict[str, float] = {"outputs": len(looked), "errors": len(errors), "flags": len(flags)}
    figures["precision"] = round(right / len(flags), 4) if flags else float("nan")
    figures["recall"] = round(caught / len(errors), 4) if errors else float("nan")
    figures["output_precision"] = round(both / sum(flagged_items), 4) if any(flagged_items) else float("nan")
    figures["output_recall"] = round(both / sum(wrong_items), 4) if any(wrong_items) else float("nan")
    return figures


def evaluate_checks(
    rows: Sequence[Row],
    kinds: Sequence[str] | None = None,
    config: Mapping[str, Any] | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda items: items,
    pool: ModelPool = POOL,
) -> tuple[dict[str, dict[str, float]], list[CheckedItem]]:
    """The figures of each kind labelled in the rows (or of `kinds`), and the per-item flags and labels."""
    unknown = [k for k in kinds or () if k not in KINDS]
    if unknown:
        raise InputError(f"unknown check kind {unknown[0]!r}; the kinds: {', '.join(KINDS)}")
    items = [check_item(row, pool, config) for row in progress(rows)]
    if all(i.error is not None for i in items):
        raise InputError(f"every item failed; the first error: {items[0].error}")
    wanted = list(kinds or dict.fromkeys(k for i in items for k in i.labelled if k in KINDS))
    return {kind: kind_figures(items, kind) for kind in wanted}, items


COLUMNS = ("outputs", "errors", "flags", "precision", "recall", "output_precision", "output_recall")


def figures_table(figures: Mapping[str, Mapping[str, float]]) -> str:
    """A plain-text table: one row per kind, the columns of COLUMNS."""
    lines = [["kind", *COLUMNS]]
    for kind, row in figures.items():
        lines.append([kind, *(f"{row[c]:.4g}" if row[c] == row[c] else "-" for c in COLUMNS)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines)


def write_items(items: Sequence[CheckedItem], path: Path) -> None:
    """Write each item's flags and labelled errors as a JSONL line."""
    path.write_text("".join(json_line(i.to_dict()) + "\n" for i in items), encoding="utf-8")


def mismatched(items: Sequence[CheckedItem]) -> list[CheckedItem]:
    """The items whose flags and labelled errors differ (or that failed), failures first."""
    wrong = [
        i for i in items if i.error is not None or {k: v for k, v in i.flags.items() if k in i.labelled} != i.errors
    ]
    return sorted(wrong, key=lambda i: i.error is None)
