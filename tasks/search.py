"""Search: the passages of a document collection that best match a query, by meaning and by keywords."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.documents.search import search
from playground.documents.store import default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input, TaskSpec

COLLECTION = Input("collection", "collection", "Collection",
                   help="a collection made with `nlp-playground index add` or the Collections tab")  # fmt: skip


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    hits = search(default_store(), inputs["collection"], inputs["query"], ctx.embedder, inputs["passages"])
    yield {"hits": [hit.to_dict() for hit in hits]}


SPEC = TaskSpec(
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
