"""Scoring functions that several tasks' evaluations share, over the metric modules of this package.

Each set-level function takes (predictions, references, rows, tools), the shape an EvalSpec's `score` has; the
rows and tools are there for the tasks that need them and unused here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from playground.metrics import load

Row = dict[str, Any]


def accuracy(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row], tools: Any = None) -> dict[str, float]:
    """Accuracy and macro-F1 of predicted labels."""
    return dict(load("accuracy_f1").compute(predictions=list(preds), references=list(refs)) or {})


def rouge(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row] = (), tools: Any = None) -> dict[str, float]:
    """ROUGE-1, -2 and -L of each prediction against its first reference."""
    return dict(load("rouge").compute(predictions=list(preds), references=[r[0] for r in refs]) or {})


def chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row] = (), tools: Any = None) -> dict[str, float]:
    """Corpus chrF against one or more references per item (0..100)."""
    return dict(load("chrf").compute(predictions=list(preds), references=list(refs)) or {})


def bleu_chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row], tools: Any = None) -> dict[str, float]:
    """Corpus BLEU and chrF against one or more references per item (0..100 each)."""
    bleu = load("bleu").compute(predictions=list(preds), references=list(refs)) or {}
    return {**bleu, **chrf(preds, refs)}


def calibration(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> dict[str, float]:
    """How far stated confidence is from accuracy: the expected calibration error over `bins` equal-width bins (the
    gap between mean confidence and accuracy in each bin, weighted by its share of items), and the mean confidence.
    """
    n = len(confidences)
    gap = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [i for i, c in enumerate(confidences) if low < c <= high or (b == 0 and c == 0)]
        if inside:
            mean = sum(confidences[i] for i in inside) / len(inside)
            accuracy = sum(bool(correct[i]) for i in inside) / len(inside)
            gap += abs(mean - accuracy) * len(inside) / n
    return {"ece": gap, "mean_confidence": sum(confidences) / n}


def exact(pred: Any, ref: Any, row: Row) -> float:
    """1 for a prediction equal to its reference, else 0: the item score of a label."""
    return float(pred == ref)


def sentence_chrf(pred: Any, ref: Any, row: Row) -> float:
    """chrF of one item against its references (0..100)."""
    return float(chrf([pred], [ref])["chrf"])


def sentence_rouge_l(pred: Any, ref: Any, row: Row) -> float:
    """ROUGE-L of one item against its first reference."""
    return float(rouge([pred], [ref])["rougeL"])
