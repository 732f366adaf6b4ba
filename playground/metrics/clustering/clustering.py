"""Adjusted Rand index of predicted cluster ids against reference labels."""

import datasets
import evaluate
from sklearn.metrics import adjusted_rand_score

_DESCRIPTION = (
    "Adjusted Rand index from scikit-learn: 1 for the same partition up to renaming of the clusters, about 0 for "
    "chance agreement, negative below chance (down to -0.5)."
)
_INPUTS = """
Args:
    predictions (list of int): cluster id per item.
    references (list of str, or list of int): gold label per item.
Returns:
    adjusted_rand (float in -0.5..1).
"""


class Clustering(evaluate.Metric):
    """Agreement of a clustering with gold labels."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric; gold labels may be strings or ints (evaluate picks the format that fits)."""
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Hubert & Arabie, Comparing partitions, Journal of Classification, 1985.",
            inputs_description=_INPUTS,
            features=[
                datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("string")}),
                datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
            ],
        )

    def _compute(self, predictions: list[int], references: list[str] | list[int]) -> dict[str, float]:
        """ARI of the two partitions (symmetric, so the argument order does not matter)."""
        return {"adjusted_rand": float(adjusted_rand_score(references, predictions))}
