"""A small classifier on sentence embeddings, fitted on a labelled exemplar set written for this project.

It is one voter in the label ensembles (sentiment): the LLM's label scores know the words, the embedder's neighbours
know what similar sentences were labelled. The exemplars live in `assets/exemplars/<name>.jsonl` (`text`, `label`);
the fit takes a fraction of a second and is kept per loaded embedder.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np

from playground.core.errors import ModelError
from playground.core.resources import data_dir
from playground.engines.base import Backend
from playground.runtime.context import TaskContext
from playground.text.textio import jsonl_rows, read_text_file

# Per loaded embedder (dropped with it): what was computed from it once, by key (a fitted classifier, vectors).
_kept: weakref.WeakKeyDictionary[Backend, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
T = TypeVar("T")


def kept(embedder: Backend, key: Hashable, make: Callable[[], T]) -> T:
    """make(), computed once per loaded embedder and key, and dropped with the embedder."""
    with _lock:
        values = _kept.setdefault(embedder, {})
        if key not in values:
            values[key] = make()
        return values[key]


def exemplars(name: str) -> list[dict[str, str]]:
    """The labelled exemplar set `name` (an error names a malformed line)."""
    path = data_dir("assets") / "exemplars" / f"{name}.jsonl"
    rows = []
    for row in jsonl_rows(read_text_file(path)):
        if not isinstance(row, dict) or not {"text", "label"} <= row.keys():
            raise ModelError(f"{path.name}: every line needs a text and a label, got {row}")
        rows.append({"text": str(row["text"]), "label": str(row["label"])})
    return rows


def _classifier(embedder: Backend, name: str) -> Any:
    from sklearn.linear_model import LogisticRegression

    def fit() -> Any:
        rows = exemplars(name)
        vectors = np.asarray(embedder.embed([r["text"] for r in rows]))
        # C=1 (the default strength) was chosen on the SST-2 dev half; weaker regularisation overfits 193 rows.
        return LogisticRegression(C=1.0, max_iter=2000).fit(vectors, [r["label"] for r in rows])

    return kept(embedder, ("classifier", name), fit)


def exemplar_probs(ctx: TaskContext, name: str, text: str, labels: Sequence[str]) -> list[float]:
    """The probability of each of labels for text, by the classifier fitted on the exemplar set `name`.

    A label the exemplars never use gets a tiny probability rather than none, so log-probabilities stay finite.
    """
    classifier = _classifier(ctx.embedder.inner, name)
    vector = np.asarray(ctx.embedder.embed([text]))
    by_label = dict(zip(classifier.classes_, classifier.predict_proba(vector)[0], strict=True))
    probs = [max(float(by_label.get(label, 0.0)), 1e-6) for label in labels]
    total = sum(probs)
    return [p / total for p in probs]
