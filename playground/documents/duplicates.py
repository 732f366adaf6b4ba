"""Near-duplicate texts: copies by MinHash LSH on word shingles, paraphrases by embedding neighbours.

Copies: every text becomes the set of its word bigrams (lower-cased words, punctuation dropped); MinHash
sketches with a fixed seed go into an LSH index whose candidate pairs are verified with the exact Jaccard of
the two sets. Paraphrases: the texts' normalised embeddings are compared block by block (never an n x n
matrix), and a pair at or above the cosine threshold that is not a copy is a paraphrase. A pair the LSH index
missed but the embeddings found is still verified as a copy when its Jaccard is high enough.

Thresholds, measured on a development set of 80 hand-written pairs with all-MiniLM-L6-v2 (L2-normalised):
  cosine: 17 edited copies 0.79-0.99; 26 paraphrases 0.46-0.96; 31 same-topic pairs that say different things
  0.15-0.76 (one "opens at nine on weekdays" / "closes at six on weekends" pair at 0.76, then 0.63, 0.58,
  0.55, the rest <= 0.50); 6 unrelated pairs -0.04-0.15. Paraphrases found / same-topic pairs flagged:
  at 0.60 88% / 2, at 0.66 85% / 1, at 0.70 65% / 1, at 0.76 46% / 0. The default, 0.70, leans to precision:
  it keeps 0.07 above every same-topic pair but the near-template one.
  Bigram Jaccard: edited copies (a few words changed, a sentence added or removed) 0.37-0.83; paraphrases
  0.00-0.27; same-topic 0.00-0.24; unrelated 0.00. Trigrams overlapped (copies with 3-4 words changed in a
  short sentence fell to 0.14 while non-copies reached 0.19), hence bigrams.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from playground.core.errors import InputError
from playground.text.sentences import sentence_spans

Kind = Literal["copy", "paraphrase"]
Embed = Callable[[Sequence[str]], NDArray[np.float32]]
Progress = Callable[[str, float], None]  # (stage, fraction done): "copies", "embedding", "neighbours", "spans"

PARAPHRASE_THRESHOLD = 0.70  # cosine; see the measurements above
COPY_THRESHOLD = 0.32  # bigram Jaccard; halfway between the highest non-copy (0.27) and the lowest copy (0.37)
SHINGLE = 2  # words per shingle
MIN_RUN = 3  # words in a row that make a shared passage of a copy (fewer when a text is shorter)
NUM_PERM = 128
SEED = 1  # MinHash permutations: the same seed, the same candidates, run after run
EMBED_BATCH = 1024  # texts per embed call, so progress can move
BLOCK = 1024  # rows per block of the similarity products: BLOCK x n floats at a time (fewer for large n)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'’")


@dataclass(frozen=True)
class Pair:
    """Two texts that are copies or paraphrases of each other, and where they overlap."""

    a: int  # indices into the texts, a < b
    b: int
    score: float  # copy: the exact word-shingle Jaccard; paraphrase: the cosine similarity
    kind: Kind
    spans: list[dict[str, list[int]]]  # [{"a": [start, end], "b": [start, end]}, ...] character spans


@dataclass(frozen=True)
class _Tokens:
    words: list[str]  # normalised
    spans: list[tuple[int, int]]  # where each word is in the original text


def _tokens(text: str) -> _Tokens:
    found = list(_WORD.finditer(text))
    return _Tokens([m.group().lower().translate(_APOSTROPHES) for m in found], [m.span() for m in found])


def shingles(words: Sequence[str], size: int = SHINGLE) -> frozenset[str]:
    """The set of word n-grams; a text shorter than `size` words is one shingle of all its words (none if empty)."""
    if not words:
        return frozenset()
    if len(words) < size:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    union = len(x | y)
    return len(x & y) / union if union else 0.0


def lsh_params(threshold: float, num_perm: int = NUM_PERM, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows): the longest bands, and the fewest of them, that make a pair at the threshold a candidate
    with probability >= recall (1 - (1 - J**rows)**bands); longer bands propose fewer dissimilar pairs."""
    for rows in range(num_perm // 2, 0, -1):
        hit = threshold**rows
        if hit >= 1:
            return 2, rows
        bands = max(2, math.ceil(math.log(1 - recall) / math.log1p(-hit))) if hit > 0 else num_perm + 1
        if bands * rows <= num_perm:
            return bands, rows
    return num_perm, 1


def _copy_candidates(sets: Sequence[frozenset[str]], threshold: float) -> set[tuple[int, int]]:
    """Pairs of indices into `sets` (distinct, non-empty sets) whose MinHash sketches share an LSH band."""
    from datasketch import MinHash, MinHashLSH

    sketches = MinHash.bulk(([s.encode() for s in shingle_set] for shingle_set in sets), num_perm=NUM_PERM, seed=SEED)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_params(threshold))
    with lsh.insertion_session() as session:
        for key, sketch in enumerate(sketches):
            session.insert(key, sketch, check_duplication=False)
    pairs: set[tuple[int, int]] = set()
    for table in lsh.hashtables:  # the buckets themselves: the same pairs as querying every sketch, read once
        for bucket, count in table.itemcounts().items():
            if count > 1:
                ordered = sorted(table.get(bucket))
                pairs.update((x, y) for n, x in enumerate(ordered) for y in ordered[n + 1 :])
    return pairs


def _find_copies(sets: Sequence[frozenset[str]], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair of texts (a < b) whose shingle sets have an exact Jaccard >= threshold (up to LSH misses)."""
    groups: dict[frozenset[str], list[int]] = {}
    for index, shingle_set in enumerate(sets):
        if shingle_set:
            groups.setdefault(shingle_set, []).append(index)
    distinct = list(groups)
    found: dict[tuple[int, int], float] = {}
    for members in groups.values():  # the same set of shingles: Jaccard 1
        found.update(((a, b), 1.0) for n, a in enumerate(members) for b in members[n + 1 :])
    for x, y in _copy_candidates(distinct, threshold):
        score = jaccard(distinct[x], distinct[y])
        if score >= threshold:
            for a in groups[distinct[x]]:
                found.update(((min(a, b), max(a, b)), score) for b in groups[distinct[y]])
    return found


def normalised(vectors: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return (matrix / norms).astype(np.float32, copy=False)


def cosine_pairs(
    vectors: NDArray[np.float32], threshold: float, block: int = BLOCK, progress: Progress | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """(i, j, similarity) with i < j for every pair of rows whose dot product is >= threshold.

    Computes one block of rows against the rows from the block on, so memory stays at block x n (and the block
    shrinks for large n, to at most 2**25 products at a time).
    """
    n = len(vectors)
    block = max(1, min(block, 2**25 // max(1, n)))
    rows, cols, sims = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    for start in range(0, n, block):
        products = vectors[start : start + block] @ vectors[start:].T
        r, c = np.nonzero(products >= threshold)
        upper = c > r  # the block's own diagonal and below are self pairs or pairs already seen
        r, c = r[upper], c[upper]
        rows.append((r + start).astype(np.int64))
        cols.append((c + start).astype(np.int64))
        sims.append(products[r, c].astype(np.float32))
        if progress:
            progress("neighbours", min(1.0, (start + block) / n))
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)


def _embed_texts(
    texts: Sequence[str], live: Sequence[int], embed: Embed, progress: Progress | None
) -> NDArray[np.float32]:
    """Unit vectors of the texts (zero rows where not live); each distinct text is embedded once, shortest first."""
    distinct = sorted({texts[i] for i in live}, key=lambda t: (len(t), t))
    parts = []
    for start in range(0, len(distinct), EMBED_BATCH):
        parts.append(normalised(np.asarray(embed(distinct[start : start + EMBED_BATCH]))))
        if progress:
            progress("embedding", min(1.0, (start + EMBED_BATCH) / len(distinct)))
    if not parts:
        return np.zeros((len(texts), 1), np.float32)
    table = np.concatenate(parts)
    where = {text: row for row, text in enumerate(distinct)}
    vectors = np.zeros((len(texts), table.shape[1]), np.float32)
    for i in live:
        vectors[i] = table[where[texts[i]]]
    return vectors


def _copy_spans(ta: _Tokens, tb: _Tokens, min_run: int = MIN_RUN) -> list[dict[str, list[int]]]:
    """The passages two texts share: runs of >= min_run words in common (word-level diff), as character spans."""
    run = max(1, min(min_run, len(ta.words), len(tb.words)))
    if ta.words == tb.words:
        blocks = [(0, 0, len(ta.words))] if ta.words else []
    else:
        matcher = difflib.SequenceMatcher(None, ta.words, tb.words, autojunk=False)
        blocks = [(m.a, m.b, m.size) for m in matcher.get_matching_blocks()]
    return [
        {"a": [ta.spans[i][0], ta.spans[i + size - 1][1]], "b": [tb.spans[j][0], tb.spans[j + size - 1][1]]}
        for i, j, size in blocks
        if size >= run
    ]


def _paraphrase_spans(
    texts: Sequence[str], pairs: Sequence[tuple[int, int]], vectors: NDArray[np.float32], embed: Embed
) -> list[list[dict[str, list[int]]]]:
    """For each pair, the best-matching sentence of each text; only sentences of multi-sentence texts are embedded."""
    involved = sorted({i for pair in pairs for i in pair})
    sentences = {i: sentence_spans(texts[i]) for i in involved}
    pieces = sorted({texts[i][s:e] for i in involved if len(sentences[i]) > 1 for s, e in sentences[i]})
    table = normalised(np.asarray(embed(pieces))) if pieces else np.zeros((0, vectors.shape[1]), np.float32)
    row = {piece: n for n, piece in enumerate(pieces)}

    def matrix(i: int) -> NDArray[np.float32]:
        if len(sentences[i]) == 1:
            return vectors[i : i + 1]
        return table[[row[texts[i][s:e]] for s, e in sentences[i]]]

    result = []
    for a, b in pairs:
        sims = matrix(a) @ matrix(b).T
        sa, sb = np.unravel_index(int(np.argmax(sims)), sims.shape)
        result.append([{"a": list(sentences[a][int(sa)]), "b": list(sentences[b][int(sb)])}])
    return result


def find_duplicates(
    texts: Sequence[str],
    embed: Embed,
    *,
    threshold: float = PARAPHRASE_THRESHOLD,
    copy_threshold: float = COPY_THRESHOLD,
    progress: Progress | None = None,
) -> list[Pair]:
    """Pairs of texts that are copies (shingle Jaccard >= copy_threshold) or paraphrases (cosine >= threshold).

    A text without a word (empty, only punctuation or symbols) is in no pair. Sorted by score, then by indices.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"the paraphrase threshold must be in (0, 1], not {threshold}")
    if not 0 < copy_threshold <= 1:
        raise InputError(f"the copy threshold must be in (0, 1], not {copy_threshold}")
    tokens = [_tokens(text) for text in texts]
    sets = [shingles(t.words) for t in tokens]
    copies = _find_copies(sets, copy_threshold)
    if progress:
        progress("copies", 1.0)
    live = [i for i, s in enumerate(sets) if s]
    vectors = _embed_texts(texts, live, embed, progress)
    paraphrases: dict[tuple[int, int], float] = {}
    for i, j, sim in zip(*cosine_pairs(vectors, threshold, progress=progress), strict=True):
        pair = (int(i), int(j))
        if pair in copies:
            continue
        score = jaccard(sets[pair[0]], sets[pair[1]])
        if score >= copy_threshold:  # a copy the LSH index did not propose
            copies[pair] = score
        else:
            paraphrases[pair] = float(sim)
    pairs = [Pair(a, b, score, "copy", _copy_spans(tokens[a], tokens[b])) for (a, b), score in copies.items()]
    ordered = sorted(paraphrases)
    for (a, b), spans in zip(ordered, _paraphrase_spans(texts, ordered, vectors, embed), strict=True):
        pairs.append(Pair(a, b, paraphrases[a, b], "paraphrase", spans))
    if progress:
        progress("spans", 1.0)
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))
