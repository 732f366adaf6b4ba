"""Hybrid search over a collection: the vector ranking and BM25's keyword ranking, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from playground.core.errors import InputError
from playground.documents.chunks import Chunk
from playground.documents.store import RRF_K, DocumentStore, Index

if TYPE_CHECKING:
    from playground.engines.base import Backend

TOKENS = r"(?u)\b\w+\b"  # single letters and digits count: "7" or "B" can be the point of a query


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, where it is in its document, and how each ranking placed it."""

    doc: str
    text: str
    score: float  # the fused score: the sum of 1 / (60 + rank) over the rankings that found it
    start: int
    end: int
    page: int | None = None
    vector_rank: int | None = None  # 1-based; None when that ranking did not list it
    keyword_rank: int | None = None
    similarity: float | None = None  # cosine similarity of query and passage

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", token_pattern=TOKENS, return_ids=False, show_progress=False)


def keyword_index(store: DocumentStore, name: str) -> Index:
    """The collection's BM25 index, built on first use and again whenever its documents change (in any process)."""
    import bm25s

    with store.client():  # the store's lock also keeps two threads from building the same index
        key = tuple(store.files(name))
        index = store._indexes.get(name)
        if index is None or index.key != key:
            chunks = store.chunks(name)
            tokens = _tokenize([c.text for c in chunks])
            retriever = None
            if any(tokens):  # bm25s cannot index a corpus without a single word
                retriever = bm25s.BM25()
                retriever.index(tokens, show_progress=False)
            index = Index(chunks, retriever, key)
            store._indexes[name] = index
    return index


def keyword_ranking(index: Index, query: str, limit: int) -> list[Chunk]:
    """The chunks that share words with the query, best BM25 score first."""
    tokens = _tokenize([query])
    if not tokens[0] or index.retriever is None:
        return []
    found, scores = index.retriever.retrieve(tokens, k=min(limit, len(index.chunks)), show_progress=False)
    return [index.chunks[int(i)] for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def search(store: DocumentStore, name: str, query: str, embedder: Backend, top_k: int = 5) -> list[Hit]:
    """The top_k passages for a query: vector and keyword rankings of a wider pool, fused by reciprocal rank."""
    pool = max(4 * top_k, 20)
    with store.client():  # one opening of the store for all the lookups below
        used = store.embedder_of(name)
        if used is None:  # every chunk names its embedder: none means no chunks (all removed), whatever the size
            return []
        if used != embedder.ref.name:
            raise InputError(f"collection {name!r} was built with the embedder {used!r}; search it with that embedder")
        vector = embedder.embed([query])[0]
        by_vector = store.nearest(name, vector, pool)
        by_keyword = keyword_ranking(keyword_index(store, name), query, pool)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for rank, (payload, similarity) in enumerate(by_vector, 1):
        key = (payload["doc"], int(payload["index"]))
        found[key] = {"payload": payload, "score": 1 / (RRF_K + rank), "vector_rank": rank, "similarity": similarity}
    for rank, chunk in enumerate(by_keyword, 1):
        entry = found.setdefault((chunk.doc, chunk.index), {"chunk": chunk, "score": 0.0})
        entry["score"] += 1 / (RRF_K + rank)
        entry["keyword_rank"] = rank
    best = sorted(found.values(), key=lambda e: -e["score"])[:top_k]
    hits = []
    for entry in best:
        if "payload" in entry:
            p = entry["payload"]
            chunk = Chunk(p["doc"], int(p["index"]), p["text"], int(p["start"]), int(p["end"]), p.get("page"))
        else:
            chunk = entry["chunk"]
        hits.append(Hit(chunk.doc, chunk.text, round(entry["score"], 6), chunk.start, chunk.end, chunk.page,
                        entry.get("vector_rank"), entry.get("keyword_rank"), entry.get("similarity")))  # fmt: skip
    return hits
