"""Benchmark of duplicate detection: find_duplicates on synthetic texts against the bare embedding time."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

SEED = 13


def _sentence(rng: random.Random, vocab: Sequence[str]) -> str:
    words = rng.sample(vocab, rng.randint(6, 16))
    return " ".join(words).capitalize() + "."


def synthetic_texts(
    vocab: Sequence[str], n: int = 10_000, planted: int = 300, seed: int = SEED
) -> tuple[list[str], set[tuple[int, int]]]:
    """n random texts of one or two sentences, and `planted` (original, copy) pairs among them.

    The copies are, in turn: the same text in other case and punctuation, a text with a few words replaced
    (one per ten words, at least one), a text with a sentence added, a two-sentence text with one removed.
    """
    rng = random.Random(seed)
    texts = [" ".join(_sentence(rng, vocab) for _ in range(rng.randint(1, 2))) for _ in range(n)]
    slots = rng.sample(range(n), 2 * planted)
    truth: set[tuple[int, int]] = set()
    for k in range(planted):
        original, copy = slots[2 * k], slots[2 * k + 1]
        text, how = texts[original], k % 4
        if how == 0:
            texts[copy] = text.upper().replace(".", "!")
        elif how == 1:
            words = text.split(" ")
            for position in rng.sample(range(len(words)), 1 + len(words) // 10):
                words[position] = rng.choice(vocab) + ("." if words[position].endswith(".") else "")
            texts[copy] = " ".join(words)
        elif how == 2:
            texts[copy] = f"{text} {_sentence(rng, vocab)}"
        else:
            first = _sentence(rng, vocab)
            texts[original] = f"{first} {text}" if rng.random() < 0.5 else f"{text} {first}"
            texts[copy] = text
        truth.add((min(original, copy), max(original, copy)))
    return texts, truth


def bench_duplicates(n: int = 10_000, planted: int = 300) -> str:
    """Seconds of find_duplicates on n synthetic texts, as a multiple of encoding them once, and its accuracy."""
    from playground.documents.duplicates import find_duplicates
    from playground.engines.catalogue import resolve
    from playground.engines.embedder import SentenceTransformerBackend
    from playground.engines.pool import POOL

    backend, _ = POOL.get(resolve("minilm-l6-v2", role="embedder"))
    assert isinstance(backend, SentenceTransformerBackend)
    vocab = sorted(w for w in backend.model.tokenizer.get_vocab() if w.isalpha() and w.isascii() and len(w) > 2)
    texts, truth = synthetic_texts(vocab, n, planted)
    backend.model.encode(texts[:64])  # warm-up

    def encode_seconds() -> float:
        start = time.perf_counter()
        backend.model.encode(texts)
        return time.perf_counter() - start

    before = encode_seconds()
    start = time.perf_counter()
    pairs = find_duplicates(texts, backend.embed)
    total = time.perf_counter() - start
    after = encode_seconds()
    encode = (before + after) / 2  # encoding before and after: a machine whose load drifts skews the ratio less
    copies = {(p.a, p.b) for p in pairs if p.kind == "copy"}
    anything = {(p.a, p.b) for p in pairs}
    hits = len(copies & truth)
    return (
        f"duplicates, {n} texts with {planted} planted copies: find_duplicates {total:.1f} s, "
        f"SentenceTransformer.encode alone {encode:.1f} s (before {before:.1f}, after {after:.1f}), "
        f"x{total / encode:.2f}; "
        f"planted copies found as copies: precision {hits / max(1, len(copies)):.3f}, recall {hits / len(truth):.3f} "
        f"(as any pair: recall {len(anything & truth) / len(truth):.3f}); "
        f"{len(anything) - len(copies)} paraphrase pairs"
    )
