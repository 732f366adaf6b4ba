"""Accuracy and macro-F1 of predicted labels against reference labels."""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, f1_score

_DESCRIPTION = (
    "Accuracy (share of exact label matches) and macro-F1 (F1 per label, averaged with equal weight) over the "
    "labels that occur in the references or the predictions."
)
_INPUTS = """
Args:
    predictions (list of str): predicted labels.
    references (list of str): gold labels.
Returns:
    accuracy (float), macro_f1 (float), both in 0..1.
"""


class AccuracyF1(evaluate.Metric):
    """Accuracy and macro-F1 for choice tasks (sentiment, classification)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        labels = sorted(set(references) | set(predictions))
        return {
            "accuracy": float(accuracy_score(references, predictions)),
            "macro_f1": float(f1_score(references, predictions, labels=labels, average="macro", zero_division=0)),
        }
