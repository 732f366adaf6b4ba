"""Silhouette score (cosine) of a clustering of embeddings."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import silhouette_score

_DESCRIPTION = (
    "Mean silhouette coefficient with cosine distance (-1..1; higher means tighter, better separated clusters)."
)
_INPUTS = """
Args:
    embeddings (list of list of float): one vector per item.
    labels (list of int): cluster id per item (at least two clusters, fewer clusters than items).
Returns:
    silhouette (float, -1..1).
"""


class Silhouette(evaluate.Metric):
    """How well separated the clusters of a set of embeddings are."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Rousseeuw, Silhouettes, Journal of Computational and Applied Mathematics, 1987.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"embeddings": datasets.Sequence(datasets.Value("float32")), "labels": datasets.Value("int64")}
            ),
        )

    def _compute(self, embeddings, labels):
        return {"silhouette": float(silhouette_score(np.asarray(embeddings), labels, metric="cosine"))}
