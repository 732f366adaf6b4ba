"""Evaluation: run a task over a JSONL set with references and score it with local `evaluate` metric modules."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.concurrency import ordered_map
from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.engines.catalogue import DEFAULT_EMBEDDER, resolve
from playground.engines.pool import POOL, ModelPool
from playground.evaluation import documents as eval_documents
from playground.metrics.scores import calibration
from playground.runtime.evalspec import EvalSpec, label_set
from playground.runtime.registry import all_tasks
from playground.service import api
from playground.text.textio import json_line, jsonl_rows, read_text_file

log = logging.getLogger(__name__)

Row = dict[str, Any]


@dataclass
class ItemResult:
    """One evaluated item: what went in, what came out, what was expected, and its own score."""

    id: Any
    inputs: dict[str, Any]
    prediction: Any = None
    reference: Any = None
    score: float | None = None
    confidence: float | None = None  # how sure the output said it was (a label's probability)
    checks: list[str] | None = None  # the kinds the check stage flagged (tasks that write text)
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
    from playground.core.resources import data_dir

    return data_dir("assets").resolve().parents[1] / "shared" / "benchmarks"


def eval_sets() -> dict[str, Path]:
    """The eval sets a user can pick: the bundled ones, and the public ones in ../shared/benchmarks when present."""
    from playground.core.resources import data_dir

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
    offered = label_set(rows)
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


def evaluable() -> dict[str, EvalSpec]:
    """The tasks that say how to evaluate them, by name, in the registry's order."""
    return {spec.name: spec.evaluation for spec in all_tasks() if spec.evaluation is not None}


def eval_tasks() -> tuple[str, ...]:
    """The names of the tasks `eval` runs."""
    return tuple(evaluable())


def eval_spec(task: str) -> EvalSpec:
    """The evaluation of a task; a one-line error naming the evaluable tasks when it has none."""
    spec = evaluable().get(task)
    if spec is None:
        raise InputError(f"no evaluation for task {task!r}; evaluable tasks: {', '.join(eval_tasks())}")
    return spec


class Tools:
    """What a task's scoring may call: another task at its defaults, and the run's embedder (EvalTools)."""

    def __init__(self, config: Mapping[str, Any], pool: ModelPool = POOL) -> None:
        self._config, self._pool = config, pool

    def run(self, task: str, **inputs: Any) -> dict[str, Any]:
        return api.run(task, pool=self._pool, **inputs).output

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        name = str(self._config.get("embedder") or DEFAULT_EMBEDDER)
        embedder, _ = self._pool.get(resolve(name, role="embedder", base_url=self._config.get("base_url")))
        return list(embedder.embed(texts).tolist())


def evaluate(
    task: str,
    rows: Sequence[Row],
    config: Mapping[str, Any] | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda items: items,
    pool: ModelPool = POOL,
) -> Report:
    """Run the task on every row with the given configuration (model, engine, generation params) and score it."""
    config = dict(config or {})
    spec = eval_spec(task)
    eval_documents.index_documents(rows, config, pool)  # the rows' `documents` folders, into their collections
    if spec.set_inputs is not None:
        return _evaluate_set(task, spec, rows, config, pool)
    inputs, item_score = spec.inputs, spec.item_score
    assert inputs is not None and item_score is not None  # EvalSpec checks it: item by item needs both

    def one(numbered: tuple[int, Row]) -> ItemResult:
        number, row = numbered
        item = ItemResult(id=row.get("id", number), inputs={})
        try:
            item.inputs = inputs(row, rows)
            item.reference = spec.reference(row)
            output = api.run(task, pool=pool, **{**item.inputs, **config}).output
            item.prediction = spec.prediction(output)
            item.score = item_score(item.prediction, item.reference, row)
            item.confidence = spec.confidence(output) if spec.confidence else None
            item.checks = [c["kind"] for c in output["checks"]] if "checks" in output else None
        except (PlaygroundError, KeyError) as exc:
            item.error = user_message(exc if isinstance(exc, PlaygroundError) else f"missing field {exc}")
        return item

    # A remote server takes several items at once (NLP_PLAYGROUND_REMOTE_CONCURRENCY); results keep their order.
    workers = api.remote_workers(config.get("model"), config.get("engine"), config.get("embedder"))
    items: list[ItemResult] = list(progress(ordered_map(one, enumerate(rows, 1), workers)))
    scored = [(i, r) for i, r in zip(items, rows, strict=True) if i.error is None]
    if not scored:
        raise InputError(f"every item failed; the first error: {items[0].error}")
    preds, refs, kept = [i.prediction for i, _ in scored], [i.reference for i, _ in scored], [r for _, r in scored]
    metrics = {k: round(float(v), 4) for k, v in spec.score(preds, refs, kept, Tools(config, pool)).items()}
    sure = [(i.confidence, i.score == spec.best) for i, _ in scored if i.confidence is not None]
    if sure and len(sure) == len(scored):  # every output said how sure it was
        metrics |= {k: round(v, 4) for k, v in calibration([c for c, _ in sure], [r for _, r in sure]).items()}
    metrics |= flag_figures(spec, scored)
    metrics["n"] = len(scored)
    return Report(task, config, metrics, items, best=spec.best)


def flag_figures(spec: EvalSpec, scored: Sequence[tuple[ItemResult, Row]]) -> dict[str, float]:
    """The share of outputs the checks flagged; with the task's `error`, the share of real errors, how often a flag
    marks one (precision) and how many of them are flagged (recall)."""
    checked = [(i, r) for i, r in scored if i.checks is not None]
    if not checked:
        return {}
    flagged = [bool(i.checks) for i, _ in checked]
    figures = {"flagged": round(sum(flagged) / len(checked), 4)}
    if spec.error is None:
        return figures
    wrong = [spec.error(i.prediction, i.reference, r) for i, r in checked]
    hits = sum(f and w for f, w in zip(flagged, wrong, strict=True))
    figures["errors"] = round(sum(wrong) / len(checked), 4)
    if any(flagged):
        figures["flag_precision"] = round(hits / sum(flagged), 4)
    if any(wrong):
        figures["flag_recall"] = round(hits / sum(wrong), 4)
    return figures


def _evaluate_set(task: str, spec: EvalSpec, rows: Sequence[Row], config: dict[str, Any], pool: ModelPool) -> Report:
    """A task scored on the whole set at once (clustering): one run over every row, one prediction per row."""
    assert spec.set_inputs is not None
    output = api.run(task, pool=pool, **{**spec.set_inputs(rows, config), **config}).output
    predictions = list(spec.prediction(output))
    references = [spec.reference(row) for row in rows]
    metrics = spec.score(predictions, references, rows, Tools(config, pool))
    items = [
        ItemResult(id=row.get("id", number), inputs=spec.inputs(row, rows) if spec.inputs else {}, prediction=p,
                   reference=ref)
        for number, (row, p, ref) in enumerate(zip(rows, predictions, references, strict=True), 1)
    ]  # fmt: skip
    rounded = {k: v if isinstance(v, int) else round(float(v), 4) for k, v in metrics.items()}
    return Report(task, config, {**rounded, "n": len(rows)}, items)


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
