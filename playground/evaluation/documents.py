"""Evaluation of the document tasks: search (recall@1, recall@k, MRR), qa (answers and citations), duplicates (kinds).

A search or qa eval row names a `collection` and, optionally, a `documents` folder (relative to the eval file; read
by `evaluation.read_eval_set` as an absolute path). Before the run, `index_documents` adds every file of that
folder to the collection; the store hashes content, so a second run over unchanged files embeds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.core.errors import InputError
from playground.evaluation.adapter import Adapter

if TYPE_CHECKING:
    from playground.engines.pool import ModelPool

Row = dict[str, Any]
KINDS = ("copy", "paraphrase", "different")


def squashed(text: str) -> str:
    """Text compared without case or whitespace: "€ 12" and "€12" are the same answer."""
    return re.sub(r"\s+", "", text).casefold()


def contains(text: str, phrase: str) -> bool:
    return squashed(phrase) in squashed(text)


def _passage(ref: Any) -> dict[str, str]:
    if not (isinstance(ref, Mapping) and isinstance(ref.get("doc"), str) and isinstance(ref.get("contains"), str)):
        raise InputError('a reference passage is {"doc": "file name", "contains": "a phrase of the passage"}')
    return {"doc": ref["doc"], "contains": ref["contains"]}


def matches(hit: Mapping[str, Any] | None, ref: Mapping[str, str]) -> bool:
    """A hit or citation is the reference passage when its document is the reference's and its text has the phrase."""
    return hit is not None and hit.get("doc") == ref["doc"] and contains(str(hit.get("text", "")), ref["contains"])


def _optional(row: Row, *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names if name in row}


def _field(row: Row, name: str) -> str:
    if not isinstance(row.get(name), str) or not row[name].strip():
        raise InputError(f"an eval item needs `{name}` (a string); it has {', '.join(sorted(row))}")
    return str(row[name])


# search: a row is {"query", "collection", "relevant": [{"doc", "contains"}, ...], optional "passages"}.


def search_inputs(row: Row, rows: Sequence[Row]) -> dict[str, Any]:
    return {"query": _field(row, "query"), "collection": _field(row, "collection"), **_optional(row, "passages")}


def search_reference(row: Row) -> list[dict[str, str]]:
    relevant = row.get("relevant")
    if not isinstance(relevant, list) or not relevant:
        raise InputError('a search eval item needs `relevant`: [{"doc": ..., "contains": ...}, ...]')
    return [_passage(r) for r in relevant]


def search_prediction(output: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"doc": h["doc"], "text": h["text"]} for h in output["hits"]]


def first_relevant(hits: Sequence[Mapping[str, Any]], refs: Sequence[Mapping[str, str]]) -> int | None:
    """The 1-based rank of the first hit that is one of the reference passages, or None."""
    return next((rank for rank, hit in enumerate(hits, 1) if any(matches(hit, r) for r in refs)), None)


def reciprocal_rank(hits: Any, refs: Any, row: Row) -> float:
    rank = first_relevant(hits, refs)
    return 0.0 if rank is None else 1.0 / rank


def search_score(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """recall@1 and recall@k: the share of queries with a relevant passage first / among the k hits; MRR; k."""
    ranks = [first_relevant(hits, ref) for hits, ref in zip(preds, refs, strict=True)]
    n = len(ranks)
    return {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@k": sum(r is not None for r in ranks) / n,
        "mrr": sum(0.0 if r is None else 1.0 / r for r in ranks) / n,
        "k": max((len(hits) for hits in preds), default=0),
    }


# qa: a row is {"question", "collection", "answers": [...], "evidence": {"doc", "contains"}, optional "passages",
# "method"}.


def qa_inputs(row: Row, rows: Sequence[Row]) -> dict[str, Any]:
    fields = _optional(row, "passages", "method")
    return {"question": _field(row, "question"), "collection": _field(row, "collection"), **fields}


def qa_reference(row: Row) -> dict[str, Any]:
    answers = row.get("answers", row.get("answer"))
    answers = [answers] if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        raise InputError("a qa eval item needs `answers`: the accepted answers, a list of strings")
    return {"answers": answers, "evidence": _passage(row.get("evidence"))}


def qa_prediction(output: dict[str, Any]) -> dict[str, Any]:
    citations = output.get("citations") or []
    first = {"doc": citations[0]["doc"], "text": citations[0]["text"]} if citations else None
    return {"answer": output["answer"], "source": output["source"], "citation": first}


def answer_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    return any(contains(str(pred["answer"]), answer) for answer in ref["answers"])


def citation_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    return matches(pred.get("citation"), ref["evidence"])


def qa_item_score(pred: Any, ref: Any, row: Row) -> float:
    """Half for an answer holding a reference answer, half for a first citation on the evidence."""
    return (answer_correct(pred, ref) + citation_correct(pred, ref)) / 2


def qa_score(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """answer_contains, citation_accuracy, and the share of answers that were a passage's sentence (extractive)."""
    pairs = list(zip(preds, refs, strict=True))
    n = len(pairs)
    return {
        "answer_contains": sum(answer_correct(p, r) for p, r in pairs) / n,
        "citation_accuracy": sum(citation_correct(p, r) for p, r in pairs) / n,
        "extractive_share": sum(p["source"] == "extractive" for p in preds) / n,
    }


# duplicates: a row is {"texts": [a, b], "kind": "copy" | "paraphrase" | "different", optional "threshold"}.


def duplicates_inputs(row: Row, rows: Sequence[Row]) -> dict[str, Any]:
    texts = row.get("texts")
    if not isinstance(texts, list) or len(texts) < 2 or not all(isinstance(t, str) for t in texts):
        raise InputError("a duplicates eval item needs `texts`: a list of two (or more) strings")
    return {"texts": texts, **_optional(row, "threshold")}


def duplicates_reference(row: Row) -> str:
    if row.get("kind") not in KINDS:
        raise InputError(f"a duplicates eval item needs `kind`: one of {', '.join(KINDS)}")
    return str(row["kind"])


def duplicates_prediction(output: dict[str, Any]) -> str:
    """The kind of the pair found between texts 0 and 1, or "different" when the task found none."""
    pair = next((p for p in output["pairs"] if {p["a"], p["b"]} == {0, 1}), None)
    return "different" if pair is None else str(pair["kind"])


def duplicates_score(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """Accuracy, and each kind's precision and recall (0 when the kind was never predicted / never expected)."""
    pairs = list(zip(preds, refs, strict=True))
    metrics: dict[str, float] = {"accuracy": sum(p == r for p, r in pairs) / len(pairs)}
    for kind in KINDS:
        hits = sum(p == r == kind for p, r in pairs)
        predicted, expected = sum(p == kind for p in preds), sum(r == kind for r in refs)
        metrics[f"{kind}_precision"] = hits / predicted if predicted else 0.0
        metrics[f"{kind}_recall"] = hits / expected if expected else 0.0
    return metrics


def adapters() -> dict[str, Adapter]:
    """The document tasks' adapters, for the evaluation's ADAPTERS."""
    return {
        "search": Adapter(search_inputs, search_reference, search_prediction, search_score, reciprocal_rank),
        "qa": Adapter(qa_inputs, qa_reference, qa_prediction, qa_score, qa_item_score),
        "duplicates": Adapter(
            duplicates_inputs,
            duplicates_reference,
            duplicates_prediction,
            duplicates_score,
            lambda pred, ref, row: float(pred == ref),
        ),
    }


def resolve_documents(row: Row, base: Path) -> Row:
    """The row with its `documents` folder made absolute against the eval file's folder.

    The folder must lie in the eval file's folder: an uploaded eval set cannot have the server's files indexed.
    """
    folder = row.get("documents")
    if folder is None:
        return row
    where = (base / folder).resolve() if isinstance(folder, str) and folder.strip() else None
    if where is None or not where.is_relative_to(base.resolve()):
        raise InputError("`documents` is a folder of files to index, in the eval file's folder (a relative path)")
    return {**row, "documents": str(where)}


def index_documents(rows: Sequence[Row], config: Mapping[str, Any], pool: ModelPool) -> None:
    """Add the files of each row's `documents` folder to its `collection`, once per (collection, folder)."""
    from playground.documents.indexing import add_files

    wanted = {(_field(r, "collection"), str(r["documents"])) for r in rows if r.get("documents") is not None}
    for collection, folder in sorted(wanted):
        path = Path(folder)
        if not path.is_dir():
            raise InputError(f"the documents folder {folder} of collection {collection!r} does not exist")
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise InputError(f"the documents folder {folder} holds no files")
        embedder = config.get("embedder")
        report = add_files(collection, files, embedder=embedder, base_url=config.get("base_url"), pool=pool)
        if report.failed:
            raise InputError(f"indexing {folder} into {collection!r} failed: " + "; ".join(report.lines()[:-1]))
