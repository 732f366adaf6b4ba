"""Duplicate detection: copies by MinHash LSH, paraphrases by blockwise embedding neighbours, spans, ordering."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from playground.core.errors import InputError
from playground.documents.duplicates import (
    COPY_THRESHOLD,
    Embed,
    Pair,
    cosine_pairs,
    find_duplicates,
    lsh_params,
)

FILLER = [
    "Bananas ripen faster when kept next to apples in a paper bag.",
    "The orchestra rehearsed the second movement until midnight.",
    "Our neighbour repaints his fence every spring without fail.",
    "Glaciers in the north retreated several metres last decade.",
    "She keeps a notebook of every bird she has ever spotted.",
    "Most trains on the coastal line now run on electricity.",
]
ORIGINAL = "The city council approved the new budget on Tuesday after a long debate about school funding."
EDITED = "The city council approved its new budget on Tuesday after a long debate over school funding."


class FakeEmbed:
    """A deterministic vector per distinct text (64 dims, so unrelated texts are far apart); records its calls.

    `same` maps a text to another whose vector it borrows: a stand-in for a paraphrase.
    """

    def __init__(self, same: dict[str, str] | None = None) -> None:
        self.same = same or {}
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(self.same.get(text, text).encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(64))
        return np.array(rows, dtype=np.float32).reshape(len(texts), 64)


def bigram_jaccard(a: str, b: str) -> float:
    """An independent reference: the Jaccard of the two texts' lower-cased word bigrams."""

    def grams(text: str) -> set[tuple[str, ...]]:
        words = [w.replace("'", "") for w in re.findall(r"[a-z0-9']+", text.lower())]
        return {tuple(words[i : i + 2]) for i in range(len(words) - 1)}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def check_invariants(pairs: list[Pair], n: int) -> None:
    assert all(0 <= p.a < p.b < n for p in pairs)
    assert len({(p.a, p.b) for p in pairs}) == len(pairs)
    assert pairs == sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def test_an_edited_copy_is_caught_with_its_exact_jaccard() -> None:
    texts = [*FILLER[:3], ORIGINAL, *FILLER[3:], EDITED]
    pairs = find_duplicates(texts, FakeEmbed())
    assert [(p.a, p.b, p.kind) for p in pairs] == [(3, 7, "copy")]
    assert pairs[0].score == pytest.approx(bigram_jaccard(ORIGINAL, EDITED))
    assert COPY_THRESHOLD <= pairs[0].score < 1


@pytest.mark.parametrize(
    "copy",
    [
        ORIGINAL + " Parents welcomed the decision.",  # a sentence added
        "the city council approved the new budget on tuesday, after a long debate about school funding!",
    ],
)
def test_a_copy_with_a_sentence_added_or_other_punctuation_is_caught(copy: str) -> None:
    pairs = find_duplicates([ORIGINAL, *FILLER, copy], FakeEmbed())
    assert [(p.a, p.b, p.kind) for p in pairs] == [(0, len(FILLER) + 1, "copy")]


def test_a_sentence_removed_is_caught() -> None:
    longer = "Heavy rain flooded several streets in the old town. Residents were told to stay indoors until evening."
    pairs = find_duplicates([*FILLER, longer, "Heavy rain flooded several streets in the old town."], FakeEmbed())
    assert [(p.kind, p.a, p.b) for p in pairs] == [("copy", 6, 7)]
    assert pairs[0].spans == [{"a": [0, 50], "b": [0, 50]}]


def test_spans_are_the_shared_passages_in_both_texts() -> None:
    a = "The quick brown fox jumps over the lazy dog near the river bank."
    b = "Yesterday, THE quick brown fox jumped over the lazy dog near the river bank!"
    (pair,) = find_duplicates([a, b], FakeEmbed(), copy_threshold=0.3)
    assert pair.kind == "copy"
    assert pair.spans == [{"a": [0, 19], "b": [11, 30]}, {"a": [26, 63], "b": [38, 75]}]
    for span in pair.spans:
        assert a[slice(*span["a"])].lower() == b[slice(*span["b"])].lower()
    assert a[26:63] == "over the lazy dog near the river bank"


def test_identical_texts_pair_with_each_other_and_span_the_whole_text() -> None:
    text = "Please turn off your phones before the film starts."
    pairs = find_duplicates([text, FILLER[0], text, text], FakeEmbed())
    assert [(p.a, p.b, p.score, p.kind) for p in pairs] == [
        (0, 2, 1.0, "copy"),
        (0, 3, 1.0, "copy"),
        (2, 3, 1.0, "copy"),
    ]
    assert all(p.spans == [{"a": [0, len(text) - 1], "b": [0, len(text) - 1]}] for p in pairs)


def test_short_texts_fall_back_to_one_shingle_and_wordless_texts_pair_with_nothing() -> None:
    texts = ["Hello!", "hello", "Hello there", "", "...", "!!!", "   ", "Thanks", "hello."]
    embed = FakeEmbed()
    pairs = find_duplicates(texts, embed)
    assert [(p.a, p.b, p.kind, p.score) for p in pairs] == [
        (0, 1, "copy", 1.0),
        (0, 8, "copy", 1.0),
        (1, 8, "copy", 1.0),
    ]
    assert pairs[0].spans == [{"a": [0, 5], "b": [0, 5]}]
    embedded = [t for call in embed.calls for t in call]
    assert sorted(embedded) == sorted({"Hello!", "hello", "Hello there", "Thanks", "hello."})  # once each, with words


def test_a_short_text_inside_a_longer_one_is_not_a_copy() -> None:
    assert find_duplicates(["The library", "The library will close early on Friday for repairs."], FakeEmbed()) == []


def test_paraphrases_come_from_the_embeddings_with_their_best_sentences() -> None:
    a = "Tickets are on sale now. The flight was cancelled due to a snowstorm."
    b = "A snowstorm caused the cancellation of the flight. Refunds take a week."
    embed = FakeEmbed(same={b: a, "A snowstorm caused the cancellation of the flight.": a.split(". ")[1]})
    pairs = find_duplicates([*FILLER, a, b], embed)
    assert [(p.a, p.b, p.kind) for p in pairs] == [(6, 7, "paraphrase")]
    assert pairs[0].score == pytest.approx(1.0, abs=1e-5)
    assert pairs[0].spans == [{"a": [25, 69], "b": [0, 50]}]
    sentences = ["Tickets are on sale now.", "The flight was cancelled due to a snowstorm."]
    sentences += ["A snowstorm caused the cancellation of the flight.", "Refunds take a week."]
    assert embed.calls[-1] == sorted(sentences)  # only the sentences of the flagged pair, once each


def test_results_are_ordered_by_score_deterministic_and_without_self_pairs() -> None:
    texts = [ORIGINAL, *FILLER, EDITED, ORIGINAL, FILLER[2].upper(), "Short one.", "short ONE"]
    stages: list[tuple[str, float]] = []
    first = find_duplicates(texts, FakeEmbed(), progress=lambda stage, done: stages.append((stage, done)))
    check_invariants(first, len(texts))
    assert [s for s, _ in stages] == ["copies", "embedding", "neighbours", "spans"] and stages[-1][1] == 1.0
    assert first == find_duplicates(texts, FakeEmbed())
    assert [(p.a, p.b) for p in first] == [(0, 8), (3, 9), (10, 11), (0, 7), (7, 8)]
    assert [p.score for p in first][:3] == [1.0, 1.0, 1.0] and first[3].score == first[4].score < 1


def test_thresholds_out_of_range_are_refused() -> None:
    with pytest.raises(InputError):
        find_duplicates(["a b", "a b"], FakeEmbed(), threshold=0)
    with pytest.raises(InputError):
        find_duplicates(["a b", "a b"], FakeEmbed(), copy_threshold=1.5)
    assert find_duplicates([], FakeEmbed()) == [] and find_duplicates(["one text"], FakeEmbed()) == []


@pytest.mark.parametrize("threshold", [0.05, 0.2, 0.32, 0.5, 0.8, 1.0])
def test_lsh_bands_catch_a_pair_at_the_threshold(threshold: float) -> None:
    bands, rows = lsh_params(threshold)
    assert bands >= 2 and bands * rows <= 128
    assert 1 - (1 - threshold**rows) ** bands >= 0.99


@pytest.mark.parametrize(("n", "block", "threshold"), [(37, 5, 0.3), (20, 64, 0.0), (9, 1, 0.5), (1, 4, 0.1)])
def test_blockwise_neighbours_match_brute_force(n: int, block: int, threshold: float) -> None:
    rng = np.random.default_rng(n)
    vectors = rng.standard_normal((n, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, cols, sims = cosine_pairs(vectors, threshold, block=block)
    full = vectors @ vectors.T
    expected = {(i, j) for i in range(n) for j in range(i + 1, n) if full[i, j] >= threshold}
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected
    assert len(rows) == len(expected)  # no pair twice, no self pair
    np.testing.assert_allclose(sims, full[rows, cols], atol=1e-5)


@pytest.fixture(scope="module")
def minilm() -> Embed:
    from playground.engines.catalogue import resolve
    from playground.engines.pool import POOL

    backend, _ = POOL.get(resolve("minilm-l6-v2", role="embedder"))
    return backend.embed


@pytest.mark.model
def test_minilm_flags_a_paraphrase(minilm: Embed) -> None:
    texts = [
        *FILLER,
        "The flight was cancelled due to a snowstorm.",
        "A snowstorm caused the cancellation of the flight.",
    ]
    pairs = find_duplicates(texts, minilm)
    assert [(p.a, p.b, p.kind) for p in pairs] == [(6, 7, "paraphrase")]
    assert pairs[0].score > 0.85
    assert pairs[0].spans == [{"a": [0, 44], "b": [0, 50]}]


@pytest.mark.model
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "The new library opens on Monday with a children's section.",
            "The library will close early on Friday for repairs.",
        ),
        ("The concert was sold out within minutes.", "The concert was cancelled because the singer fell ill."),
        (
            "The hospital hired fifty new nurses this year.",
            "The hospital's emergency room waiting times doubled this winter.",
        ),
    ],
)
def test_minilm_does_not_flag_same_topic_texts_that_say_different_things(minilm: Embed, a: str, b: str) -> None:
    assert find_duplicates([a, *FILLER, b], minilm) == []


@pytest.mark.model
def test_minilm_run_flags_an_edited_copy_as_a_copy(minilm: Embed) -> None:
    longer = "Our team shipped the update last night. It fixes the login bug and speeds up search."
    texts = [ORIGINAL, *FILLER, EDITED, longer, longer + " Please report any problems."]
    pairs = find_duplicates(texts, minilm)
    assert [(p.a, p.b, p.kind) for p in pairs] == [(8, 9, "copy"), (0, 7, "copy")]
    check_invariants(pairs, len(texts))
