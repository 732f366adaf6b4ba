"""The local evaluate metric modules load offline and give hand-computed values on tiny cases."""

from __future__ import annotations

import math
import os

import pytest

from playground.metrics import NAMES, load

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_EVALUATE_OFFLINE"] = "1"


def test_accuracy_and_macro_f1() -> None:
    # 3 of 4 right. Label a: TP 2, FP 1, FN 0 -> F1 0.8. Label b: TP 1, FP 0, FN 1 -> F1 2/3. Macro = 0.7333...
    result = load("accuracy_f1").compute(predictions=["a", "b", "a", "a"], references=["a", "b", "b", "a"])
    assert result == pytest.approx({"accuracy": 0.75, "macro_f1": (0.8 + 2 / 3) / 2}, abs=1e-9)


def test_rouge() -> None:
    # "the cat sat" vs "the cat ran": 2 of 3 unigrams, 1 of 2 bigrams, LCS of 2 words.
    result = load("rouge").compute(predictions=["the cat sat"], references=["the cat ran"])
    assert result == pytest.approx({"rouge1": 2 / 3, "rouge2": 0.5, "rougeL": 2 / 3}, abs=1e-9)


def test_bleu_and_chrf_of_identical_text_are_100() -> None:
    same = {"predictions": ["the cat sat on the mat"], "references": [["the cat sat on the mat"]]}
    assert load("bleu").compute(**same)["bleu"] == pytest.approx(100.0)
    assert load("chrf").compute(**same)["chrf"] == pytest.approx(100.0)
    assert load("chrf").compute(predictions=["abc"], references=[["xyz"]])["chrf"] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        ("I have a cat .", 1.0),  # the reference itself
        ("I has a cat .", 0.0),  # the source copied: every bigram is either unmatched or a wrongly kept one
        # every n-gram matches, but 4 tokens against 5: brevity penalty exp(1 - 5/4)
        ("I have a cat", math.exp(-0.25)),
    ],
)
def test_gleu(prediction: str, expected: float) -> None:
    result = load("gleu").compute(sources=["I has a cat ."], predictions=[prediction], references=[["I have a cat ."]])
    assert result["gleu"] == pytest.approx(expected, abs=1e-9)


def test_gleu_averages_over_reference_positions() -> None:
    # Against reference 1 the prediction is perfect (1.0); against reference 2 it copies "has" (0.0).
    result = load("gleu").compute(
        sources=["I has a cat ."], predictions=["I have a cat ."], references=[["I have a cat .", "I has one cat ."]]
    )
    assert result["gleu"] == pytest.approx(0.5)


def test_adjusted_rand_ignores_cluster_names() -> None:
    metric = load("clustering")
    assert metric.compute(predictions=[1, 1, 0, 0], references=["x", "x", "y", "y"])["adjusted_rand"] == 1.0
    # {0,1},{2,3} against {0,2},{1,3}: no pair agrees beyond chance; ARI = -0.5 for this 4-item case.
    assert metric.compute(predictions=[0, 0, 1, 1], references=["x", "y", "x", "y"])["adjusted_rand"] == pytest.approx(
        -0.5
    )


def test_silhouette_of_two_tight_far_clusters_is_one() -> None:
    # Duplicates within a cluster (distance 0) and orthogonal vectors across (cosine distance 1): s = (1-0)/1.
    vectors = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    assert load("silhouette").compute(embeddings=vectors, labels=[0, 0, 1, 1])["silhouette"] == pytest.approx(1.0)


def test_every_listed_metric_loads_and_unknown_names_are_refused() -> None:
    for name in NAMES:
        assert load(name) is not None
    with pytest.raises(ValueError, match="accuracy_f1"):
        load("meteor")
