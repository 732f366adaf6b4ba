"""The local evaluate metric modules load offline and give hand-computed values on tiny cases."""

from __future__ import annotations

import math
import os

import pytest

# Set before playground (and so evaluate, which reads them once on import) is imported: nothing here may reach the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_EVALUATE_OFFLINE"] = "1"

from playground.metrics import CONFIGS, METRICS_DIR, NAMES, load

TIGHT = 1e-9


def test_accuracy_and_macro_f1() -> None:
    # 3 of 4 right -> 0.75. Label a: TP 2, FP 1, FN 0 -> P 2/3, R 1, F1 0.8. Label b: TP 1, FP 0, FN 1 -> P 1,
    # R 1/2, F1 2/3. Macro = (0.8 + 2/3) / 2 = 0.7333...
    result = load("accuracy_f1").compute(predictions=["a", "b", "a", "a"], references=["a", "b", "b", "a"])
    assert result == pytest.approx({"accuracy": 0.75, "macro_f1": (0.8 + 2 / 3) / 2}, abs=TIGHT)


def test_macro_f1_averages_over_the_reference_labels_only() -> None:
    # Labels {a, b}: a is F1 1; b is never predicted -> F1 0; the junk label x gets no class. Macro = 0.5 (not 1/3).
    result = load("accuracy_f1").compute(predictions=["a", "x"], references=["a", "b"])
    assert result == pytest.approx({"accuracy": 0.5, "macro_f1": 0.5}, abs=TIGHT)


def test_rouge() -> None:
    # "the cat sat" vs "the cat ran": 2 of 3 unigrams each way, 1 of 2 bigrams, LCS "the cat" of 2 of 3 words.
    result = load("rouge").compute(predictions=["the cat sat"], references=["the cat ran"])
    assert result == pytest.approx({"rouge1": 2 / 3, "rouge2": 0.5, "rougeL": 2 / 3}, abs=TIGHT)


def test_rouge_stems_and_averages_over_items() -> None:
    # Porter: cats -> cat, running/runs -> run, so item 1 is a perfect match; item 2 is the case above.
    result = load("rouge").compute(predictions=["cats running", "the cat sat"], references=["cat runs", "the cat ran"])
    assert result == pytest.approx({"rouge1": 5 / 6, "rouge2": 3 / 4, "rougeL": 5 / 6}, abs=TIGHT)


def test_bleu_and_chrf_of_identical_text_are_100() -> None:
    same = {"predictions": ["the cat sat on the mat"], "references": [["the cat sat on the mat"]]}
    assert load("bleu").compute(**same)["bleu"] == pytest.approx(100.0, abs=TIGHT)
    assert load("chrf").compute(**same)["chrf"] == pytest.approx(100.0, abs=TIGHT)
    # No character n-gram in common.
    assert load("chrf").compute(predictions=["abc"], references=[["xyz"]])["chrf"] == pytest.approx(0.0, abs=TIGHT)


def test_bleu_brevity_penalty() -> None:
    # Every n-gram of the 5-word prediction is in the 6-word reference: precisions all 1, BP = exp(1 - 6/5).
    result = load("bleu").compute(predictions=["the cat sat on the"], references=[["the cat sat on the mat"]])
    assert result["bleu"] == pytest.approx(100 * math.exp(-0.2), abs=1e-6)


def test_bleu_and_chrf_take_the_best_of_several_and_ragged_references() -> None:
    # Each prediction equals one of its references (the second for item 1), so both scores are 100.
    predictions = ["a dog barks loudly", "the cat sat on the mat"]
    references = [["one dog barked", "a dog barks loudly"], ["the cat sat on the mat"]]
    assert load("bleu").compute(predictions=predictions, references=references)["bleu"] == pytest.approx(100.0)
    assert load("chrf").compute(predictions=predictions, references=references)["chrf"] == pytest.approx(100.0)
    # A plain string per item is one reference.
    plain = load("bleu").compute(predictions=["the cat sat on the mat"], references=["the cat sat on the mat"])
    assert plain["bleu"] == pytest.approx(100.0)


SOURCE = "I has a cat ."
REFERENCE = "I have a cat ."


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        (REFERENCE, 1.0),  # the reference itself: every n-gram matches, same length
        # The source copied: 1-grams 4 matches - 1 kept "has" = 3/5, but 2-grams 2 matches ("a cat", "cat .") minus
        # 2 kept ("I has", "has a") = 0, so GLEU is 0.
        (SOURCE, 0.0),
        # Every n-gram matches, but 4 tokens against 5: brevity penalty exp(1 - 5/4).
        ("I have a cat", math.exp(-0.25)),
    ],
)
def test_gleu(prediction: str, expected: float) -> None:
    result = load("gleu").compute(sources=[SOURCE], predictions=[prediction], references=[[REFERENCE]])
    assert result["gleu"] == pytest.approx(expected, abs=TIGHT)


def test_gleu_penalises_kept_errors_more_than_new_ones() -> None:
    # Source "a b c d e f", reference "a b c d e g". Keeping f: per order, matches minus the one kept n-gram ending
    # in f: 1-grams (5-1)/6, 2-grams (4-1)/5, 3-grams (3-1)/4, 4-grams (2-1)/3; product 1/15; BP 1 (6 vs 6).
    # Writing h (not in the source) only misses: 5/6 * 4/5 * 3/4 * 2/3 = 1/3.
    gleu = load("gleu")
    refs = [["a b c d e g"]]
    kept = gleu.compute(sources=["a b c d e f"], predictions=["a b c d e f"], references=refs)["gleu"]
    new = gleu.compute(sources=["a b c d e f"], predictions=["a b c d e h"], references=refs)["gleu"]
    assert kept == pytest.approx((1 / 15) ** 0.25, abs=TIGHT)
    assert new == pytest.approx((1 / 3) ** 0.25, abs=TIGHT)


def test_gleu_penalty_counts_repeated_ngrams() -> None:
    # Source = prediction "x x a b c d", reference "x a b c d". 1-grams: matches min(2,1) + 4 = 5, penalty for "x"
    # max(0, min(2,2) - min(2,1)) = 1 -> 4/6. 2-grams 4 - 1 ("x x") = 3/5; 3-grams 3 - 1 = 2/4; 4-grams 2 - 1 = 1/3.
    # BP 1 (6 tokens vs 5). GLEU = (1/15)^(1/4).
    result = load("gleu").compute(sources=["x x a b c d"], predictions=["x x a b c d"], references=[["x a b c d"]])
    assert result["gleu"] == pytest.approx((1 / 15) ** 0.25, abs=TIGHT)


def test_gleu_averages_over_reference_positions() -> None:
    # Position 1: the prediction is the reference -> 1.0. Position 2, "I has one cat .": the only matching 2-gram is
    # "cat .", and "a cat" (kept from the source, changed by this reference) cancels it -> 2-gram precision 0 -> 0.0.
    # Mean over the two positions = 0.5.
    result = load("gleu").compute(
        sources=[SOURCE], predictions=[REFERENCE], references=[[REFERENCE, "I has one cat ."]]
    )
    assert result["gleu"] == pytest.approx(0.5, abs=TIGHT)


def test_adjusted_rand_ignores_cluster_names() -> None:
    metric = load("clustering")
    assert metric.compute(predictions=[1, 1, 0, 0], references=["x", "x", "y", "y"])["adjusted_rand"] == 1.0
    # Integer gold labels, relabelled: still the same partition.
    assert metric.compute(predictions=[0, 0, 1, 1], references=[7, 7, 3, 3])["adjusted_rand"] == 1.0
    # {0,1},{2,3} against {0,2},{1,3}: no agreeing pair; expected index 2*2/6 = 2/3, max 2 -> (0 - 2/3)/(2 - 2/3).
    result = metric.compute(predictions=[0, 0, 1, 1], references=["x", "y", "x", "y"])
    assert result["adjusted_rand"] == pytest.approx(-0.5, abs=TIGHT)


def test_silhouette() -> None:
    # Duplicates within a cluster (distance 0) and orthogonal vectors across (cosine distance 1): s = (1-0)/1.
    metric = load("silhouette")
    tight = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    assert metric.compute(embeddings=tight, labels=[0, 0, 1, 1])["silhouette"] == pytest.approx(1.0, abs=TIGHT)
    # a=b=(1,0) in cluster 0, c=(0,1), d=(1,1) in cluster 1; d(a,c)=1, d(a,d)=d(c,d)=1-1/sqrt2=:t.
    # s(a)=s(b)=1 (own distance 0); s(c)=(1-t)/1=1/sqrt2; s(d): own t, other t -> 0. Mean (2 + 1/sqrt2)/4.
    mixed = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    result = metric.compute(embeddings=mixed, labels=[0, 0, 1, 1])["silhouette"]
    assert result == pytest.approx((2 + 1 / math.sqrt(2)) / 4, abs=TIGHT)
    with pytest.raises(ValueError, match="2 to n-1 clusters"):
        metric.compute(embeddings=tight, labels=[0, 0, 0, 0])


def test_every_listed_metric_is_a_folder_and_loads_once() -> None:
    folders = sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())
    assert sorted({CONFIGS.get(name, name) for name in NAMES}) == folders  # each folder serves, none is missing
    for name in NAMES:
        assert load(name) is load(name)


def test_an_unknown_metric_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown metric 'meteor'") as info:
        load("meteor")
    assert all(name in str(info.value) for name in NAMES)


def test_calibration_error_is_the_weighted_gap_between_confidence_and_accuracy() -> None:
    from playground.metrics.scores import calibration

    # Two bins: 0.9 sure and always right (gap 0.1), 0.6 sure and right half the time (gap 0.1).
    result = calibration([0.9, 0.9, 0.6, 0.6], [True, True, True, False])
    assert result["ece"] == pytest.approx(0.1) and result["mean_confidence"] == pytest.approx(0.75)
    assert calibration([1.0, 0.0], [True, False])["ece"] == pytest.approx(0.0)
