"""Search: the passages of a document collection that best match a query, by meaning and by keywords."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from playground.core.errors import InputError
from playground.documents.references import first_relevant, passage
from playground.documents.search import search
from playground.documents.store import default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, optional, required
from playground.runtime.registry import Input, TaskSpec

COLLECTION = Input("collection", "collection", "Collection",
                   help="a collection made with `nlp-playground index add` or the Collections tab")  # fmt: skip


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    hits = search(default_store(), inputs["collection"], inputs["query"], ctx.embedder, inputs["passages"])
    yield {"hits": [hit.to_dict() for hit in hits]}


# An eval row is {"query", "collection", "relevant": [{"doc", "contains"}, ...], optional "passages"}.


def relevant_passages(row: dict[str, Any]) -> list[dict[str, str]]:
    """The row's relevant passages."""
    relevant = row.get("relevant")
    if not isinstance(relevant, list) or not relevant:
        raise InputError('a search eval item needs `relevant`: [{"doc": ..., "contains": ...}, ...]')
    return [passage(r) for r in relevant]


def reciprocal_rank(hits: Any, refs: Any, row: dict[str, Any]) -> float:
    """1 / the rank of the first relevant hit (0 when none is)."""
    rank = first_relevant(hits, refs)
    return 0.0 if rank is None else 1.0 / rank


def search_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """recall@1 and recall@k: the share of queries with a relevant passage first / among the k hits; MRR; k."""
    ranks = [first_relevant(hits, ref) for hits, ref in zip(preds, refs, strict=True)]
    n = len(ranks)
    return {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@k": sum(r is not None for r in ranks) / n,
        "mrr": sum(0.0 if r is None else 1.0 / r for r in ranks) / n,
        "k": max((len(hits) for hits in preds), default=0),
    }


EVALUATION = EvalSpec(
    inputs=lambda row, rows: {
        "query": required(row, "query"),
        "collection": required(row, "collection"),
        **optional(row, "passages"),
    },
    reference=relevant_passages,
    prediction=lambda output: [{"doc": h["doc"], "text": h["text"]} for h in output["hits"]],
    score=search_scores,
    item_score=reciprocal_rank,
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="search",
    title="Search",
    description="Find the passages of a collection that answer a query: the embedder's ranking and BM25's keyword "
    "ranking, fused by reciprocal rank (names, codes and numbers are where a small embedder fails).",
    inputs=(
        Input("query", "text", "Query", max_chars=2_000),
        COLLECTION,
        Input("passages", "integer", "Passages", default=5, required=False, minimum=1, maximum=50),
    ),
    run=run,
    display="hits",
    embedder=DEFAULT_EMBEDDER,
    helpers=("BM25",),
    uses_llm=False,
    order=70,
    group="Documents",
)
