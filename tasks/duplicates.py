"""Duplicates: copies (shared word runs, by MinHash LSH) and paraphrases (close embeddings) among texts or a collection.

Texts on the same topic that say different things stay below both thresholds (see playground.documents.duplicates
for the measured ranges). On a collection, passages are compared across documents and the pairs are given by
document name, with the spans in each document's own text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from playground.core.errors import InputError
from playground.documents.chunks import Chunk
from playground.documents.duplicates import PARAPHRASE_THRESHOLD, Pair, find_duplicates
from playground.documents.store import default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, optional
from playground.runtime.registry import Input, TaskSpec
from playground.tasks.search import COLLECTION


def _with_text(spans: list[dict[str, list[int]]], a: str, b: str, shift_a: int = 0, shift_b: int = 0) -> list[Any]:
    """Spans moved by the given offsets, each with the passage text of both sides."""
    return [
        {
            "a": [s["a"][0] + shift_a, s["a"][1] + shift_a],
            "b": [s["b"][0] + shift_b, s["b"][1] + shift_b],
            "a_text": a[s["a"][0] : s["a"][1]],
            "b_text": b[s["b"][0] : s["b"][1]],
        }
        for s in spans
    ]


def text_pairs(texts: Sequence[str], pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    return [
        {
            "a": p.a,
            "b": p.b,
            "score": round(p.score, 4),
            "kind": p.kind,
            "spans": _with_text(p.spans, texts[p.a], texts[p.b]),
        }
        for p in pairs
    ]


def document_pairs(chunks: Sequence[Chunk], pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    """Passage pairs of different documents, merged per pair of documents and kind (the best score, every span)."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in pairs:
        x, y = chunks[p.a], chunks[p.b]
        if x.doc == y.doc:  # neighbouring passages of one document share a sentence by design
            continue
        if (x.doc, x.start) > (y.doc, y.start):
            x, y = y, x
            spans = [{"a": s["b"], "b": s["a"]} for s in p.spans]
        else:
            spans = p.spans
        entry = merged.setdefault(
            (x.doc, y.doc, p.kind), {"a": x.doc, "b": y.doc, "score": 0.0, "kind": p.kind, "spans": []}
        )
        entry["score"] = round(max(entry["score"], p.score), 4)
        entry["spans"] += _with_text(spans, x.text, y.text, x.start, y.start)
    return sorted(merged.values(), key=lambda e: (-e["score"], e["a"], e["b"]))


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    texts, collection = inputs["texts"], inputs["collection"]
    if (texts is None) == (collection is None):
        raise InputError("give either texts (two or more) or a collection, not both")
    if texts is not None:
        found = find_duplicates(texts, ctx.embedder.embed, threshold=inputs["threshold"])
        yield {"pairs": text_pairs(texts, found)}
        return
    chunks = default_store().chunks(collection)
    found = find_duplicates([c.text for c in chunks], ctx.embedder.embed, threshold=inputs["threshold"])
    yield {"pairs": document_pairs(chunks, found)}


# An eval row is {"texts": [a, b], "kind": "copy" | "paraphrase" | "different", optional "threshold"}.
KINDS = ("copy", "paraphrase", "different")


def pair_inputs(row: dict[str, Any], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The row's texts (two or more), and its threshold when it sets one."""
    texts = row.get("texts")
    if not isinstance(texts, list) or len(texts) < 2 or not all(isinstance(t, str) for t in texts):
        raise InputError("a duplicates eval item needs `texts`: a list of two (or more) strings")
    return {"texts": texts, **optional(row, "threshold")}


def expected_kind(row: dict[str, Any]) -> str:
    """The kind of the pair the row expects."""
    if row.get("kind") not in KINDS:
        raise InputError(f"a duplicates eval item needs `kind`: one of {', '.join(KINDS)}")
    return str(row["kind"])


def found_kind(output: dict[str, Any]) -> str:
    """The kind of the pair found between texts 0 and 1, or "different" when the task found none."""
    pair = next((p for p in output["pairs"] if {p["a"], p["b"]} == {0, 1}), None)
    return "different" if pair is None else str(pair["kind"])


def kind_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """Accuracy, and each kind's precision and recall (0 when the kind was never predicted / never expected)."""
    pairs = list(zip(preds, refs, strict=True))
    metrics: dict[str, float] = {"accuracy": sum(p == r for p, r in pairs) / len(pairs)}
    for kind in KINDS:
        hits = sum(p == r == kind for p, r in pairs)
        predicted, expected = sum(p == kind for p in preds), sum(r == kind for r in refs)
        metrics[f"{kind}_precision"] = hits / predicted if predicted else 0.0
        metrics[f"{kind}_recall"] = hits / expected if expected else 0.0
    return metrics


EVALUATION = EvalSpec(
    inputs=pair_inputs,
    reference=expected_kind,
    prediction=found_kind,
    score=kind_scores,
    item_score=lambda pred, ref, row: float(pred == ref),
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="duplicates",
    title="Duplicates",
    description="Find copied and paraphrased texts: copies share runs of words (MinHash over word pairs, then the "
    "exact overlap), paraphrases say the same in other words (embedding similarity at or above the threshold).",
    inputs=(
        Input("texts", "texts", "Texts", required=False, max_items=10_000, max_chars=20_000),
        Input(
            COLLECTION.name,
            "collection",
            COLLECTION.label,
            required=False,
            help="instead of texts: compare the passages of a collection's documents",
        ),
        Input(
            "threshold",
            "number",
            "Paraphrase threshold (cosine)",
            default=PARAPHRASE_THRESHOLD,
            required=False,
            minimum=0.3,
            maximum=1.0,
            help="lower finds looser paraphrases and more false alarms",
        ),
    ),
    run=run,
    display="pairs",
    embedder=DEFAULT_EMBEDDER,
    helpers=("MinHash",),
    uses_llm=False,
    order=72,
    examples="duplicates.jsonl",
    group="Documents",
)
