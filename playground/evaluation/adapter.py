"""How a task is evaluated: an eval row becomes the task's inputs, its output a prediction, and metrics compare them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Adapter:
    """How a task is evaluated: eval row -> task inputs, output -> prediction, and the metrics that compare them."""

    inputs: Callable[[Row, Sequence[Row]], dict[str, Any]]
    reference: Callable[[Row], Any]
    prediction: Callable[[dict[str, Any]], Any]
    score: Callable[[Sequence[Any], Sequence[Any], Sequence[Row]], dict[str, float]]
    item_score: Callable[[Any, Any, Row], float]
    best: float = 1.0  # the best item_score there is (chrF runs to 100)
