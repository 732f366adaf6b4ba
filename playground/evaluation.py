"""Evaluation: run a task over a JSONL set with references and score it with local `evaluate` metric modules."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api, eval_documents
from .backends import POOL, ModelPool
from .concurrency import ordered_map
from .errors import InputError, PlaygroundError
from .metrics import load as load_metric
from .models import DEFAULT_EMBEDDER, resolve
from .public import user_message
from .style_measures import moved
from .taskkit import split_sentences
from .textio import json_line, jsonl_rows, read_text_file, same_words, singular_words

log = logging.getLogger(__name__)

Row = dict[str, Any]


def _text(row: Row, *keys: str) -> str:
    for key in keys:
        if isinstance(row.get(key), str):
            return str(row[key])
    raise InputError(f"an eval item needs one of the fields {', '.join(keys)}; it has {', '.join(sorted(row))}")


def _references(row: Row) -> list[str]:
    refs = row.get("references", row.get("reference"))
    if isinstance(refs, str):
        return [refs]
    if isinstance(refs, list) and refs and all(isinstance(r, str) for r in refs):
        return refs
    raise InputError("an eval item needs `reference` (a string) or `references` (a list of strings)")


@dataclass(frozen=True)
class Adapter:
    """How a task is evaluated: eval row -> task inputs, output -> prediction, and the metrics that compare them."""

    inputs: Callable[[Row, Sequence[Row]], dict[str, Any]]
    reference: Callable[[Row], Any]
    prediction: Callable[[dict[str, Any]], Any]
    score: Callable[[Sequence[Any], Sequence[Any], Sequence[Row]], dict[str, float]]
    item_score: Callable[[Any, Any, Row], float]
    best: float = 1.0  # the best item_score there is (chrF runs to 100)


def _label_set(rows: Sequence[Row]) -> list[str]:
    return sorted({str(r["label"]) for r in rows if "label" in r})


def _accuracy(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("accuracy_f1").compute(predictions=list(preds), references=list(refs)) or {})


def _rouge(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("rouge").compute(predictions=list(preds), references=[r[0] for r in refs]) or {})


_WORD = re.compile(r"\d[\d,.]*\d|[\w-]+")


def facts(text: str) -> set[str]:
    """The names and numbers of a text: numbers, and capitalised words past the first word of a sentence."""
    found = set()
    for sentence in split_sentences(text):
        for match in _WORD.finditer(sentence):
            word = match.group()
            if word[0].isdigit() or (word[0].isupper() and match.start() > 0):
                found.add(word.lower())
    return found


def _summary_scores(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """ROUGE against the reference; how long each summary is against its document (mean and most, in words);
    and the share of the reference's names and numbers found in the document that the summary keeps."""
    documents = [_text(row, "document", "text") for row in rows]
    ratios = [len(str(p).split()) / max(1, len(d.split())) for p, d in zip(preds, documents, strict=True)]
    kept = []
    for pred, ref, document in zip(preds, refs, documents, strict=True):
        wanted = facts(ref[0]) & facts(document)
        if wanted:
            have = {w.lower() for w in _WORD.findall(str(pred))}
            kept.append(len(wanted & have) / len(wanted))
    return {
        **_rouge(preds, refs, rows),
        "length_ratio": sum(ratios) / len(ratios),
        "length_ratio_max": max(ratios),
        **({"facts_kept": sum(kept) / len(kept)} if kept else {}),
    }


def _style_scores(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """chrF against the human rewrite; the share of outputs that copy the input (the same words); for the
    positive and negative styles, the share that the playground's own sentiment task labels with the target; and
    for formal, informal, simple and concise, the share further in that style than the input (`moved`)."""
    sources = [_text(row, "source", "text") for row in rows]
    scores = {**_chrf(preds, refs, rows), "copied": sum(map(same_words, preds, sources)) / max(1, len(preds))}
    styles = [str(row.get("target_style", row.get("style"))) for row in rows]
    moves = [moved(style, str(p), src) for style, p, src in zip(styles, preds, sources, strict=True)]
    measured = [m for m in moves if m is not None]
    if measured:  # formal, informal, simple, concise: the rewrite is further in the style than its input
        scores["moved"] = sum(measured) / len(measured)
    polar = [(str(p), style) for p, style in zip(preds, styles, strict=True) if style in ("positive", "negative")]
    if polar:
        try:  # the sentiment task at its default, the ensemble (the ranking uses two of its four voters)
            labels = [api.run("sentiment", text=p or ".").output["label"] for p, _ in polar]
        except PlaygroundError as exc:  # the metric is left out; the report keeps the others
            log.warning("target_style left out: the sentiment task failed: %s", exc)
            return scores
        scores["target_style"] = sum(label == want for label, (_, want) in zip(labels, polar, strict=True)) / len(polar)
    return scores


def _bleu_chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    bleu = load_metric("bleu").compute(predictions=list(preds), references=list(refs)) or {}
    chrf = load_metric("chrf").compute(predictions=list(preds), references=list(refs)) or {}
    return {**bleu, **chrf}


def _chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("chrf").compute(predictions=list(preds), references=list(refs)) or {})


def _tokenized(text: str) -> str:
    # GLEU compares whitespace tokens. JFLEG is tokenised ("yesterday ."), the engines write prose ("yesterday."):
    # tokenising everything the same way (sacrebleu's 13a) keeps a fixed space from counting as an error.
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return str(Tokenizer13a()(text))


def _gleu(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    sources = [_tokenized(_text(r, "source", "text")) for r in rows]
    predictions = [_tokenized(p) for p in preds]
    references = [[_tokenized(x) for x in group] for group in refs]
    return dict(load_metric("gleu").compute(sources=sources, predictions=predictions, references=references) or {})


def _sentence_chrf(pred: Any, ref: Any, row: Row) -> float:
    return float(_chrf([pred], [ref], [row])["chrf"])


def _term(text: str) -> str:
    """A key term compared loosely: lower case, a plural -s dropped from each word."""
    return " ".join(singular_words(str(text)))


def _recall_at_10(pred: Any, ref: Any, row: Row) -> float:
    """The share of the editor's terms (ref) among the first ten predicted."""
    found = {_term(k) for k in pred[:10]}
    return sum(_term(t) in found for t in ref) / len(ref)


ADAPTERS: dict[str, Adapter] = {
    "sentiment": Adapter(
        inputs=lambda row, rows: {"text": _text(row, "text")},
        reference=lambda row: str(row["label"]),
        prediction=lambda out: out["label"],
        score=_accuracy,
        item_score=lambda pred, ref, row: float(pred == ref),
    ),
    "classification": Adapter(
        inputs=lambda row, rows: {"text": _text(row, "text"), "labels": row.get("labels") or _label_set(rows)},
        reference=lambda row: str(row["label"]),
        prediction=lambda out: out["label"],
        score=_accuracy,
        item_score=lambda pred, ref, row: float(pred == ref),
    ),
    "summarization": Adapter(
        inputs=lambda row, rows: {"text": _text(row, "document", "text"), "mode": row.get("mode", "abstractive")},
        reference=_references,
        prediction=lambda out: out["summary"],
        score=_summary_scores,
        item_score=lambda pred, ref, row: float(_rouge([pred], [ref], [row])["rougeL"]),
    ),
    "translation": Adapter(
        inputs=lambda row, rows: {
            "text": _text(row, "source", "text"),
            "target_lang": row["target_lang"],
            "source_lang": row.get("source_lang", "auto"),
        },
        reference=_references,
        prediction=lambda out: out["text"],
        score=_bleu_chrf,
        item_score=_sentence_chrf,
        best=100.0,
    ),
    "grammar": Adapter(
        inputs=lambda row, rows: {"text": _text(row, "source", "text")},
        reference=_references,
        prediction=lambda out: out["corrected"],
        score=_gleu,
        item_score=lambda pred, ref, row: float(_gleu([pred], [ref], [row])["gleu"]),
    ),
    "style_transfer": Adapter(
        inputs=lambda row, rows: {
            "text": _text(row, "source", "text"),
            "style": row.get("target_style", row.get("style")),
        },
        reference=_references,
        prediction=lambda out: out["text"],
        score=_style_scores,
        item_score=_sentence_chrf,
        best=100.0,
    ),
    "keywords": Adapter(
        inputs=lambda row, rows: {"text": _text(row, "text")},
        reference=lambda row: list(row["keywords"]),
        prediction=lambda out: [k["keyword"] for k in out["keywords"]],
        score=lambda preds, refs, rows: {"recall@10": sum(map(_recall_at_10, preds, refs, rows)) / len(preds)},
        item_score=_recall_at_10,
    ),
}
ADAPTERS.update(eval_documents.adapters())  # search, qa, duplicates
EVAL_TASKS = (*ADAPTERS, "clustering")


@dataclass
class ItemResult:
    """One evaluated item: what went in, what came out, what was expected, and its own score."""

    id: Any
    inputs: dict[str, Any]
    prediction: Any = None
    reference: Any = None
    score: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None or k in ("prediction", "score")}


@dataclass
class Report:
    """Metrics over a set, the per-item results, and the configuration that produced them.

    `best` is the best score an item can get (None: the items have no score of their own, as in clustering).
    """

    task: str
    config: dict[str, Any]
    metrics: dict[str, float]
    items: list[ItemResult] = field(default_factory=list)
    best: float | None = None

    @property
    def errors(self) -> int:
        return sum(1 for i in self.items if i.error is not None)

    def below_best(self) -> list[ItemResult]:
        """The items that failed or scored below the best possible score, lowest first (errors first of all)."""
        best = self.best
        below = [
            i for i in self.items
            if i.error is not None or (best is not None and i.score is not None and i.score < best - 1e-9)
        ]  # fmt: skip
        return sorted(below, key=lambda i: -math.inf if i.score is None else i.score)

    def worst(self, n: int = 10) -> list[ItemResult]:
        """The n lowest-scoring items among those below the best possible score; never a perfect one."""
        return self.below_best()[:n]


def public_sets_dir() -> Path:
    """../shared/benchmarks beside the project, where the public sets are read in place (absent in a user's clone)."""
    from .resources import data_dir

    return data_dir("assets").resolve().parents[1] / "shared" / "benchmarks"


def eval_sets() -> dict[str, Path]:
    """The eval sets a user can pick: the bundled ones, and the public ones in ../shared/benchmarks when present."""
    from .resources import data_dir

    sets = {f"bundled: {p.stem}": p for p in sorted((data_dir("assets") / "eval").glob("*.jsonl"))}
    shared = public_sets_dir()
    if shared.is_dir():
        sets.update({f"public: {p.stem}": p for p in sorted(shared.glob("*.jsonl"))})
    return sets


def read_eval_set(path: Path, limit: int | None = None, split: str | None = None) -> list[Row]:
    """Read a JSONL eval set; a malformed line is an error naming the line (an eval set must be clean).

    With `split`, only the rows of that split are kept (and rows without one). A set whose rows name no split
    (the public sets) is split by position: `dev` is its first half, `test` the rest. `limit` counts the rows
    kept. A row's `documents` folder, relative to the eval file, becomes an absolute path. In a set with labels
    and no per-row `labels`, every row is offered the whole set's labels, whatever the split or limit keeps.
    """
    if limit is not None and limit < 1:
        raise InputError(f"the limit must be at least 1, got {limit}")
    rows: list[Row] = []
    for row in jsonl_rows(read_text_file(path)):
        if isinstance(row, PlaygroundError):
            raise InputError(f"{path.name}: {row}")
        rows.append(row)
    offered = sorted({str(r["label"]) for r in rows if "label" in r})
    if offered and not any("labels" in r for r in rows):
        # A label task chooses among the whole set's labels, not only those of the items a split or limit keeps.
        rows = [{**r, "labels": offered} for r in rows]
    if split is not None:
        rows = _split(rows, split, path.name)
    rows = [eval_documents.resolve_documents(row, path.parent) for row in rows[:limit]]
    if not rows:
        raise InputError(f"{path.name} holds no items" + (f" of the split {split!r}" if split is not None else ""))
    return rows


def _split(rows: list[Row], split: str, name: str) -> list[Row]:
    if any("split" in row for row in rows):
        return [row for row in rows if row.get("split", split) == split]
    if split not in HALVES:
        raise InputError(f"{name} names no splits: choose dev (its first half) or test (the rest), not {split!r}")
    middle = len(rows) // 2
    return rows[:middle] if split == "dev" else rows[middle:]


HALVES = ("dev", "test")


def evaluate(
    task: str,
    rows: Sequence[Row],
    config: Mapping[str, Any] | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda items: items,
    pool: ModelPool = POOL,
) -> Report:
    """Run the task on every row with the given configuration (model, engine, generation params) and score it."""
    config = dict(config or {})
    if task == "clustering":
        return _evaluate_clustering(rows, config, pool)
    if task not in ADAPTERS:
        raise InputError(f"no evaluation for task {task!r}; evaluable tasks: {', '.join(EVAL_TASKS)}")
    adapter = ADAPTERS[task]
    eval_documents.index_documents(rows, config, pool)  # the rows' `documents` folders, into their collections

    def one(numbered: tuple[int, Row]) -> ItemResult:
        number, row = numbered
        item = ItemResult(id=row.get("id", number), inputs={})
        try:
            item.inputs = adapter.inputs(row, rows)
            item.reference = adapter.reference(row)
            item.prediction = adapter.prediction(api.run(task, pool=pool, **{**item.inputs, **config}).output)
            item.score = adapter.item_score(item.prediction, item.reference, row)
        except (PlaygroundError, KeyError) as exc:
            item.error = user_message(exc if isinstance(exc, PlaygroundError) else f"missing field {exc}")
        return item

    # A remote server takes several items at once (NLP_PLAYGROUND_REMOTE_CONCURRENCY); results keep their order.
    workers = api.remote_workers(config.get("model"), config.get("engine"), config.get("embedder"))
    items: list[ItemResult] = list(progress(ordered_map(one, enumerate(rows, 1), workers)))
    scored = [(i, r) for i, r in zip(items, rows, strict=True) if i.error is None]
    if not scored:
        raise InputError(f"every item failed; the first error: {items[0].error}")
    metrics = adapter.score([i.prediction for i, _ in scored], [i.reference for i, _ in scored], [r for _, r in scored])
    metrics = {k: round(float(v), 4) for k, v in metrics.items()}
    metrics["n"] = len(scored)
    return Report(task, config, metrics, items, best=adapter.best)


def _evaluate_clustering(rows: Sequence[Row], config: dict[str, Any], pool: ModelPool) -> Report:
    """Clustering is scored on the whole set at once: its clusters against the rows' labels."""
    texts = [_text(r, "text") for r in rows]
    labels = [str(r["label"]) for r in rows]
    n_clusters = config.pop("n_clusters", len(set(labels)))
    output = api.run("clustering", texts=texts, n_clusters=n_clusters, pool=pool, **config).output
    ari = load_metric("clustering").compute(predictions=output["assignments"], references=labels) or {}
    name = str(config.get("embedder") or DEFAULT_EMBEDDER)
    embedder, _ = pool.get(resolve(name, role="embedder", base_url=config.get("base_url")))
    vectors = embedder.embed(texts).tolist()
    silhouette: dict[str, float] = {}
    if len(set(output["assignments"])) > 1:
        silhouette = load_metric("silhouette").compute(embeddings=vectors, labels=output["assignments"]) or {}
    items = [
        ItemResult(id=r.get("id", i), inputs={"text": t}, prediction=a, reference=label)
        for i, (r, t, a, label) in enumerate(zip(rows, texts, output["assignments"], labels, strict=True), 1)
    ]
    metrics = {k: round(float(v), 4) for k, v in {**ari, **silhouette}.items()}
    return Report("clustering", config, {**metrics, "k": output["k"], "n": len(rows)}, items)


def items_note(count: int, limit: int | None, split: str | None = None) -> str:
    """How many items ran; when the set (or its split) holds fewer than the limit asked for, it says so."""
    if limit is not None and count < limit:
        where = f"the {split} split" if split else "the set"
        return f"{where} has {count} item{'' if count == 1 else 's'}; ran all {count} (asked for {limit})"
    return f"{count} item{'' if count == 1 else 's'}"


def worst_note(report: Report) -> str:
    """How many items fell below the best possible score (or failed), or that none did."""
    if report.best is None:
        return f"{report.task} is scored on the whole set; its items have no score of their own"
    below = report.below_best()
    best = f"the best possible score ({report.best:g})"
    if not below:
        return f"every item got {best}"
    failed = f", {report.errors} of them failed" if report.errors else ""
    return f"{len(below)} of {len(report.items)} items below {best}{failed}"


def write_items(report: Report, path: Path) -> None:
    """Write per-item results as JSONL: input, output, reference, per-item score (or error)."""
    with path.open("w", encoding="utf-8") as sink:
        for item in report.items:
            sink.write(json_line(item.to_dict()) + "\n")


def metrics_table(reports: Sequence[Report], names: Sequence[str] | None = None) -> str:
    """A plain-text table of metrics, one column per report, plus the difference when there are two."""
    keys = [k for k in reports[0].metrics if all(k in r.metrics for r in reports)]
    names = list(names or [f"run {i + 1}" for i in range(len(reports))])
    header = ["metric", *names, *(["diff"] if len(reports) == 2 else [])]
    lines = [header]
    for key in keys:
        values = [r.metrics[key] for r in reports]
        row = [key, *(f"{v:.4g}" for v in values)]
        if len(reports) == 2:
            row.append(f"{values[1] - values[0]:+.4g}")
        lines.append(row)
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines)
