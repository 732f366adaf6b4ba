"""Adjusted Rand index of predicted cluster ids against reference labels."""

import datasets
import evaluate
from sklearn.metrics import adjusted_rand_score

_DESCRIPTION = "Adjusted Rand index (1 = the same partition up to renaming, about 0 = chance) via scikit-learn."
_INPUTS = """
Args:
    predictions (list of int): cluster id per item.
    references (list of str): gold label per item.
Returns:
    adjusted_rand (float, -0.5..1).
"""


class Clustering(evaluate.Metric):
    """Agreement of a clustering with gold labels."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Hubert & Arabie, Comparing partitions, Journal of Classification, 1985.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        return {"adjusted_rand": float(adjusted_rand_score(references, predictions))}
