"""What each quality technique costs in time: `nlp-playground bench techniques`.

Every technique that became a task's default is timed against the behaviour it replaced, on the same inputs, in the
same process, taking turns item by item so a change in the machine's speed meets both. The inputs are the bundled
eval sets (`assets/eval/`), so the bench needs nothing outside the package.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Technique:
    """A task's default against the old behaviour, as the option that switches between them."""

    task: str
    eval_set: str  # a bundled eval set the inputs come from
    inputs: Callable[[dict[str, Any]], dict[str, Any]]
    new: dict[str, Any]
    old: dict[str, Any]
    both: dict[str, Any] = field(default_factory=dict)  # settings both sides share, to time one technique alone


def _translation_inputs(row: dict[str, Any]) -> dict[str, Any]:
    return {"text": row["source"], "target_lang": row["target_lang"], "source_lang": row.get("source_lang", "auto")}


TECHNIQUES = (
    Technique("sentiment", "sentiment", lambda r: {"text": r["text"]}, {"method": "ensemble"}, {"method": "score"}),
    Technique(
        "classification",
        "classification",
        lambda r: {"text": r["text"], "labels": r["labels"]},
        {"method": "ensemble"},
        {"method": "names"},
    ),
    Technique(
        "translation",
        "translation",
        _translation_inputs,
        {"examples": 5},
        {"examples": 2},
        {"candidates": 1},  # the shots alone, as measured when they became the default
    ),
    Technique(
        "translation",
        "translation",
        _translation_inputs,
        {"candidates": 5},
        {"candidates": 1},
    ),
    Technique(
        "style_transfer",
        "style_registers",
        lambda r: {"text": r["source"], "style": r["target_style"]},
        {"candidates": 8},
        {"candidates": 1},
    ),
)


def _seconds(task: str, arguments: dict[str, Any]) -> float:
    from playground.service import api

    start = time.perf_counter()
    api.run(task, seed=0, **arguments)
    return time.perf_counter() - start


def bench_techniques(limit: int = 12) -> str:
    """Seconds per item of each technique and of what it replaced, and their ratio."""
    from playground.core.resources import data_dir
    from playground.evaluation.evaluate import read_eval_set

    lines = ["quality techniques, seconds per item (the new default against the old behaviour, same inputs):"]
    for technique in TECHNIQUES:
        rows = read_eval_set(data_dir("assets") / "eval" / f"{technique.eval_set}.jsonl", limit)
        *items, spare = [technique.inputs(row) for row in rows]
        for arguments in (technique.new, technique.old):  # warm-up on an item not timed: loads, calibration, fits
            _seconds(technique.task, {**spare, **technique.both, **arguments})
        new = old = 0.0
        for item in items:
            new += _seconds(technique.task, {**item, **technique.both, **technique.new})
            old += _seconds(technique.task, {**item, **technique.both, **technique.old})
        option = ", ".join(f"{k}={v}" for k, v in technique.new.items())
        before = ", ".join(f"{k}={v}" for k, v in technique.old.items())
        if technique.both:
            option += " (" + ", ".join(f"{k}={v}" for k, v in technique.both.items()) + " on both sides)"
        lines.append(
            f"  {technique.task} {option}: {new / len(items):.3f} s against {before} {old / len(items):.3f} s, "
            f"x{new / old:.2f} the time ({len(items)} items)"
        )
    return "\n".join(lines)
