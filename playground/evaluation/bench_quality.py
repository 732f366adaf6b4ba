"""What each quality technique costs in time: `nlp-playground bench techniques`.

Every technique that became a task's default (each task's spec names them) is timed against the behaviour it
replaced, on the same inputs, in the same process, taking turns item by item so a change in the machine's speed
meets both. The inputs are the bundled eval sets (`assets/eval/`), so the bench needs nothing outside the package.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from playground.runtime.evalspec import Technique


def techniques() -> list[tuple[str, Technique]]:
    """(task, technique) for every technique a task's spec names, in the registry's order."""
    from playground.evaluation.evaluate import evaluable

    return [(task, technique) for task, spec in evaluable().items() for technique in spec.techniques]


def eval_inputs(task: str, row: dict[str, Any], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The task's inputs for an eval row, as the eval reads them."""
    from playground.evaluation.evaluate import eval_spec

    inputs = eval_spec(task).inputs
    assert inputs is not None  # a technique is timed item by item
    return inputs(row, rows)


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
    for task, technique in techniques():
        rows = read_eval_set(data_dir("assets") / "eval" / f"{technique.eval_set}.jsonl", limit)
        *items, spare = [eval_inputs(task, row, rows) for row in rows]
        for arguments in (technique.new, technique.old):  # warm-up on an item not timed: loads, calibration, fits
            _seconds(task, {**spare, **technique.both, **arguments})
        new = old = 0.0
        for item in items:
            new += _seconds(task, {**item, **technique.both, **technique.new})
            old += _seconds(task, {**item, **technique.both, **technique.old})
        option = ", ".join(f"{k}={v}" for k, v in technique.new.items())
        before = ", ".join(f"{k}={v}" for k, v in technique.old.items())
        if technique.both:
            option += " (" + ", ".join(f"{k}={v}" for k, v in technique.both.items()) + " on both sides)"
        lines.append(
            f"  {task} {option}: {new / len(items):.3f} s against {before} {old / len(items):.3f} s, "
            f"x{new / old:.2f} the time ({len(items)} items)"
        )
    return "\n".join(lines)
