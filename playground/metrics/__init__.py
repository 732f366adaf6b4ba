"""Local `evaluate` metric modules, loaded by path so they work offline (the evaluate wheel ships none).
Imports no other part of the playground."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import evaluate

METRICS_DIR = Path(__file__).resolve().parent
# Each name is a folder here holding `<name>.py`, the layout `evaluate.load(path)` expects, or a config of one
# (one module per metric family: BLEU and chrF are the two scores of the sacrebleu module).
NAMES: tuple[str, ...] = ("accuracy_f1", "rouge", "bleu", "chrf", "gleu", "clustering", "silhouette")
CONFIGS = {"bleu": "sacrebleu_scores", "chrf": "sacrebleu_scores"}


@functools.cache
def load(name: str) -> evaluate.EvaluationModule:
    """Load the metric module `name` of this folder (once per name); an unknown name is a ValueError."""
    if name not in NAMES:
        raise ValueError(f"unknown metric {name!r}; the known metrics are: {', '.join(NAMES)}")
    # Imported here, not at the top: evaluate pulls in datasets and pyarrow, which `import playground` should not pay.
    import evaluate

    if name in CONFIGS:
        return evaluate.load(str(METRICS_DIR / CONFIGS[name]), config_name=name)
    return evaluate.load(str(METRICS_DIR / name))
