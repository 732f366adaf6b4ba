"""A quality report over the public evaluation sets: each task's model at its defaults beside a do-nothing baseline.

Each task names its public sets and its baseline in its spec. The baselines use no model: the majority label (picked
on the other half of the same set, never on the items reported), the input copied unchanged, the document's first
sentence, or one cluster for everything. They are scored by the same metric functions as the model, on the same
items, so the two columns compare directly.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.engines.pool import POOL, ModelPool
from playground.evaluation import evaluate as evaluation
from playground.evaluation.evaluate import Tools, eval_spec, evaluable
from playground.runtime.evalspec import Baseline, PublicSet

log = logging.getLogger(__name__)

EvalRow = dict[str, Any]
Progress = Callable[[str, int], Callable[[Iterable[Any]], Iterable[Any]]]

# How each metric is headed in the table.
METRIC_NAMES = {
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "adjusted_rand": "ARI",
    "chrf": "chrF",
    "bleu": "BLEU",
    "rougeL": "ROUGE-L",
    "facts_kept": "facts kept",
    "copied": "copied",
    "target_style": "target style",
    "gleu": "GLEU",
    "ece": "calibration error",
    "flagged": "flagged",
    "flag_precision": "flag precision",
    "flag_recall": "flag recall",
}
OTHER_HALF = {"dev": "test", "test": "dev"}
HUNDREDS = ("chrf", "bleu")  # metrics on a 0-100 scale; the others run from 0 to 1


def public_sets() -> list[tuple[str, PublicSet]]:
    """(task, set) for every public set a task names for the report, in the registry's order."""
    return [(task, public) for task, spec in evaluable().items() for public in spec.public_sets]


def report_tasks() -> tuple[str, ...]:
    """The tasks the report covers: those with a public set."""
    return tuple(dict.fromkeys(task for task, _ in public_sets()))


@dataclass
class Row:
    """One line of the report: a task on one set, the model's metrics and the baseline's, or the error."""

    task: str
    data: str  # the file read
    split: str | None  # the half of `data` reported; None: the whole file
    metrics: tuple[str, ...]
    command: str  # the eval command that reproduces the model's numbers
    n: int = 0  # items scored
    failed: int = 0  # items the model failed on (left out of both columns)
    model: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    baseline_is: str = ""
    error: str | None = None


def _baseline(task: str) -> Baseline:
    baseline = eval_spec(task).baseline
    if baseline is None:
        raise InputError(f"no baseline for task {task!r}; the report covers {', '.join(report_tasks())}")
    return baseline


def baseline_predictions(task: str, rows: Sequence[EvalRow], dev_rows: Sequence[EvalRow] = ()) -> list[Any]:
    """What a system that does nothing predicts for each row; `dev_rows` (never the rows scored) give the majority."""
    return list(_baseline(task).predict(rows, dev_rows))


def baseline_description(task: str, predictions: Sequence[Any], fitted_on: str) -> str:
    """What the baseline did, for the table: the majority label and where it was picked, or what it copied."""
    baseline = _baseline(task)
    name = baseline.name.format(first=predictions[0]) if predictions else baseline.name.split(" {")[0]
    return f"{name} (picked on {fitted_on})" if baseline.fits and predictions else name


def score(task: str, predictions: Sequence[Any], rows: Sequence[EvalRow], pool: ModelPool = POOL) -> dict[str, float]:
    """Score predictions with the task's own metric functions, rounded as the eval rounds them."""
    spec = eval_spec(task)
    scores = spec.score(predictions, [spec.reference(r) for r in rows], rows, Tools({}, pool))
    return {k: round(float(v), 4) for k, v in scores.items()}


def command_for(
    task: str, file: str, split: str | None, limit: int | None, config: Mapping[str, Any] | None = None
) -> str:
    """The eval command line that runs the model as the report does."""
    parts = ["nlp-playground eval", task, "--data", f"$B/{file}"]
    parts += ["--split", split] if split else []
    parts += ["--limit", str(limit)] if limit else []
    for key, value in (config or {}).items():
        parts += ["--param", shlex.quote(f"{key}={json.dumps(value, ensure_ascii=False)}")]
    return " ".join(parts)


def quality_report(
    benchmarks_dir: Path,
    split: str = "test",
    limit: int | None = None,
    tasks: Sequence[str] | None = None,
    progress: Progress = lambda label, total: lambda items: items,
    pool: ModelPool = POOL,
) -> list[Row]:
    """One Row per public set of the chosen tasks; a set that fails gives a Row with its error, the others go on."""
    if split not in OTHER_HALF:
        raise InputError(f"the report reads the dev or the test split, not {split!r}")
    if limit is not None and limit < 1:
        raise InputError(f"the limit must be at least 1, got {limit}")
    unknown = sorted(set(tasks or ()) - set(report_tasks()))
    if unknown:
        raise InputError(f"no public set for {', '.join(unknown)}; the report covers {', '.join(report_tasks())}")
    rows = []
    for task, public in public_sets():
        if tasks and task not in tasks:
            continue
        file, half = public.source(split)
        row = Row(task, file, half, public.metrics, command_for(task, file, half, limit))
        try:
            run_set(row, public, benchmarks_dir, split, limit, progress, pool)
        except Exception as exc:  # one set's failure is its row's message; the report carries on
            log.debug("%s on %s failed", task, file, exc_info=True)
            row.error = user_message(exc if isinstance(exc, PlaygroundError) else f"{type(exc).__name__}: {exc}")
        rows.append(row)
    return rows


def run_set(
    row: Row, public: PublicSet, root: Path, split: str, limit: int | None, progress: Progress, pool: ModelPool
) -> None:
    """Fill the row: the model's metrics on the split, then the baseline's on the items the model scored."""
    items = evaluation.read_eval_set(root / row.data, limit, row.split)
    config: dict[str, Any] = {"seed": 0} if public.seeded else {}
    row.command = command_for(row.task, row.data, row.split, limit, config)
    bar = progress(f"{row.task} {row.data}", len(items))
    report = evaluation.evaluate(row.task, items, config, progress=bar, pool=pool)
    scored = [item for item, result in zip(items, report.items, strict=True) if result.error is None]
    row.n, row.failed = len(scored), len(items) - len(scored)
    row.model = {k: v for k, v in report.metrics.items() if k in public.metrics}
    dev: list[EvalRow] = []
    fitted_on = ""
    if _baseline(row.task).fits:
        file, half = public.source(OTHER_HALF[split])
        dev = evaluation.read_eval_set(root / file, None, half)
        fitted_on = f"the {half} half" if half else file
    predictions = baseline_predictions(row.task, scored, dev)
    row.baseline = score(row.task, predictions, scored, pool)
    row.baseline_is = baseline_description(row.task, predictions, fitted_on)


def number(metric: str, value: float | None) -> str:
    """A metric value for the table: one decimal on a 0-100 scale (chrF, BLEU), three on a 0-1 scale, or a dash."""
    if value is None:
        return "–"
    return f"{value:.1f}" if metric in HUNDREDS else f"{value:.3f}"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(rows: Sequence[Row]) -> str:
    """The report as one Markdown table; a row's metrics share its cells, in the same order, joined by ' / '."""
    lines = [
        "| task | set | n | metric | model | baseline | baseline is | the model's run |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for row in rows:
        names = " / ".join(METRIC_NAMES.get(m, m) for m in row.metrics)
        where = f"{Path(row.data).stem} ({row.split} half)" if row.split else Path(row.data).stem
        if row.error is not None:
            cells = [row.task, where, "–", names, f"error: {row.error}", "–", "", f"`{row.command}`"]
        else:
            n = f"{row.n} ({row.failed} failed)" if row.failed else str(row.n)
            model = " / ".join(number(m, row.model.get(m)) for m in row.metrics)
            baseline = " / ".join(number(m, row.baseline.get(m)) for m in row.metrics)
            cells = [row.task, where, n, names, model, baseline, row.baseline_is, f"`{row.command}`"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def render(rows: Sequence[Row], benchmarks_dir: Path, split: str, limit: int | None) -> str:
    """The report file: a short heading that says what was run, then the table."""
    first = f"the first {limit} items of each set's " if limit else "each set's "
    about = (
        f"Scored on {first}{split} split (a set in one file is halved: dev is its first half, test the rest; "
        "JFLEG has a file per split). Model: each task's defaults. Baseline: no model at all, scored by the same "
        f"metrics on the same items. `$B` is {benchmarks_dir}."
    )
    return f"# Quality on the public evaluation sets\n\n{about}\n\n{markdown_table(rows)}\n"


def write_report(
    output: Path,
    benchmarks_dir: str | Path | None = None,
    split: str = "test",
    limit: int | None = None,
    tasks: Sequence[str] | None = None,
    progress: Progress = lambda label, total: lambda items: items,
) -> tuple[str, int]:
    """Run the report, write it to `output`; return its text and how many sets failed."""
    root = Path(benchmarks_dir) if benchmarks_dir else evaluation.public_sets_dir()
    if not root.is_dir():
        raise InputError(f"no public sets at {root}: pass --benchmarks DIR, the folder of sst2-dev.jsonl and the rest")
    if not output.parent.is_dir():  # found out before the hours of work, not after
        raise InputError(f"cannot write {output}: there is no folder {output.parent}")
    rows = quality_report(root, split, limit, tasks, progress)
    text = render(rows, root, split, limit)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from exc
    return text, sum(row.error is not None for row in rows)
