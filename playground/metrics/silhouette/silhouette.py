"""Silhouette score (cosine distance) of a clustering of embeddings."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import silhouette_score

_DESCRIPTION = (
    "Mean silhouette coefficient from scikit-learn with cosine distance, in -1..1 (higher means tighter, better "
    "separated clusters). Needs at least two clusters and fewer clusters than items."
)
_INPUTS = """
Args:
    embeddings (list of list of float): one vector per item.
    labels (list of int): cluster id per item.
Returns:
    silhouette (float in -1..1).
"""


class Silhouette(evaluate.Metric):
    """How well separated the clusters of a set of embeddings are."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric and its inputs: a vector and a cluster id per item."""
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Rousseeuw, Silhouettes, Journal of Computational and Applied Mathematics, 1987.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                # float64: float32 storage would round the vectors and shift the score in the 7th digit.
                {"embeddings": datasets.Sequence(datasets.Value("float64")), "labels": datasets.Value("int64")}
            ),
        )

    def _compute(self, embeddings: list[list[float]], labels: list[int]) -> dict[str, float]:
        """Mean silhouette over all items."""
        clusters = len(set(labels))
        if not 2 <= clusters < len(labels):
            # scikit-learn's own message for this does not say what the caller passed.
            raise ValueError(f"silhouette needs 2 to n-1 clusters; got {clusters} clusters for {len(labels)} items")
        vectors = np.asarray(embeddings, dtype=np.float64)
        return {"silhouette": float(silhouette_score(vectors, labels, metric="cosine"))}
