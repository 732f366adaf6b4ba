"""Accuracy and macro-F1 of predicted labels against reference labels."""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, f1_score

_DESCRIPTION = (
    "Accuracy (share of exact label matches) and macro-F1 (F1 per label, averaged with equal weight) over the set "
    "of labels that occur in the references. A predicted label that no reference uses counts against the recall of "
    "the item's true label but gets no F1 of its own, so junk outputs do not add zero-F1 classes to the average."
)
_INPUTS = """
Args:
    predictions (list of str): predicted labels.
    references (list of str): gold labels.
Returns:
    accuracy (float in 0..1), macro_f1 (float in 0..1).
"""


class AccuracyF1(evaluate.Metric):
    """Accuracy and macro-F1 for choice tasks (sentiment, classification)."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric and its inputs: two columns of label strings."""
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, float]:
        """Accuracy and macro-F1 over the reference label set."""
        labels = sorted(set(references))
        return {
            "accuracy": float(accuracy_score(references, predictions)),
            # zero_division=0: a reference label never predicted has precision 0/0, which counts as 0.
            "macro_f1": float(f1_score(references, predictions, labels=labels, average="macro", zero_division=0)),
        }
