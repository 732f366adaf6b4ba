"""The embedding cache: each distinct text is embedded once per embedder, bounded, and off when sized 0."""

from __future__ import annotations

import numpy as np

from playground.engines.cache import EmbeddingCache


class Counting:
    """An embedder that records what it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[float(len(t)), float(ord(t[0]))] for t in texts], dtype=np.float32)


def test_texts_are_embedded_once_and_returned_in_order() -> None:
    cache, compute = EmbeddingCache(size=10), Counting()
    first = cache.embed("m", ["aa", "b", "aa"], compute)
    assert compute.calls == [["aa", "b"]]  # a repeated text once
    again = cache.embed("m", ["b", "ccc", "aa"], compute)
    assert compute.calls[-1] == ["ccc"] and (cache.hits, cache.misses) == (3, 3)
    assert np.array_equal(first[0], again[2]) and np.array_equal(first[1], again[0]) and again.dtype == np.float32
    cache.embed("other model", ["aa"], compute)
    assert compute.calls[-1] == ["aa"]  # another embedder's vectors are its own


def test_the_cache_keeps_the_most_recently_used_and_can_be_off() -> None:
    cache, compute = EmbeddingCache(size=2), Counting()
    cache.embed("m", ["a", "b"], compute)
    cache.embed("m", ["a"], compute)  # "a" is now the most recent
    cache.embed("m", ["c"], compute)  # "b" goes
    cache.embed("m", ["a", "b"], compute)
    assert compute.calls[-1] == ["b"]
    off, counted = EmbeddingCache(size=0), Counting()
    off.embed("m", ["a"], counted)
    off.embed("m", ["a"], counted)
    assert counted.calls == [["a"], ["a"]]
