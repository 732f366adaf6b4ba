"""Local `evaluate` metric modules, loaded by path so they work offline (the evaluate wheel ships none)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

METRICS_DIR = Path(__file__).resolve().parent
NAMES = ("accuracy_f1", "rouge", "bleu", "chrf", "gleu", "clustering", "silhouette")


@functools.cache
def load(name: str) -> Any:
    """Load one of this folder's metric modules; an unknown name is a ValueError naming the known ones."""
    if name not in NAMES:
        raise ValueError(f"unknown metric {name!r}; the metrics are {', '.join(NAMES)}")
    import evaluate

    return evaluate.load(str(METRICS_DIR / name))
