"""A quality report over the public evaluation sets: each task's model at its defaults beside a do-nothing baseline.

The baselines use no model: the majority label (picked on the other half of the same set, never on the items
reported), the input copied unchanged, the document's first sentence, or one cluster for everything. They are
scored by the same metric functions as the model, on the same items, so the two columns compare directly.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.engines.pool import POOL, ModelPool
from playground.evaluation import evaluate as evaluation
from playground.metrics import load as load_metric
from playground.text.sentences import split_sentences

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
}
LABEL_TASKS = ("sentiment", "classification")
COPY_TASKS = ("translation", "grammar", "style_transfer")
OTHER_HALF = {"dev": "test", "test": "dev"}
SAMPLED_TASKS = ("style_transfer", "translation")  # they sample candidates: a fixed seed makes a row repeat
HUNDREDS = ("chrf", "bleu")  # metrics on a 0-100 scale; the others run from 0 to 1


@dataclass(frozen=True)
class PublicSet:
    """One public set and the metrics the report shows for it.

    A set in one file is halved into dev and test, as `eval --split` does; `whole` names a set whose splits come
    as separate files (split -> file), each read whole.
    """

    task: str
    file: str
    metrics: tuple[str, ...]
    whole: tuple[tuple[str, str], ...] = ()

    def source(self, split: str) -> tuple[str, str | None]:
        """The file to read for a split, and the split to ask read_eval_set for (None: the whole file)."""
        files = dict(self.whole)
        return (files[split], None) if files else (self.file, split)


PUBLIC_SETS: tuple[PublicSet, ...] = (
    PublicSet("sentiment", "sst2-dev.jsonl", ("accuracy", "macro_f1")),
    PublicSet("classification", "agnews-400.jsonl", ("accuracy", "macro_f1")),
    PublicSet("clustering", "agnews-400.jsonl", ("adjusted_rand",)),
    PublicSet("translation", "mt-en-fr.jsonl", ("chrf", "bleu")),
    PublicSet("translation", "mt-en-de.jsonl", ("chrf", "bleu")),
    PublicSet("translation", "mt-en-es.jsonl", ("chrf", "bleu")),
    PublicSet("summarization", "summ-xsum.jsonl", ("rougeL", "facts_kept")),
    PublicSet("style_transfer", "style-yelp-sentiment.jsonl", ("chrf", "copied", "target_style")),
    PublicSet(
        "grammar", "jfleg-test.jsonl", ("gleu",), whole=(("dev", "jfleg-dev.jsonl"), ("test", "jfleg-test.jsonl"))
    ),
)
REPORT_TASKS = tuple(dict.fromkeys(s.task for s in PUBLIC_SETS))


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


def majority_label(rows: Sequence[EvalRow]) -> str:
    """The commonest label of the rows; on a tie, the first of the tied labels in sorted order."""
    counts = Counter(str(r["label"]) for r in rows if "label" in r)
    if not counts:
        raise InputError("the majority baseline needs labelled rows to pick its label from")
    return max(sorted(counts), key=lambda label: counts[label])


def lead(text: str) -> str:
    """The first sentence of a document (the whole text when it has no sentence end)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


def baseline_predictions(task: str, rows: Sequence[EvalRow], dev_rows: Sequence[EvalRow] = ()) -> list[Any]:
    """What a system that does nothing predicts for each row; `dev_rows` (never the rows scored) give the majority."""
    if task in LABEL_TASKS:
        return [majority_label(dev_rows)] * len(rows)
    if task == "clustering":
        return [0] * len(rows)
    if task not in (*COPY_TASKS, "summarization"):
        raise InputError(f"no baseline for task {task!r}; the report covers {', '.join(REPORT_TASKS)}")
    # The text the task would be given, read from the row the way the eval reads it.
    texts = [str(evaluation.ADAPTERS[task].inputs(row, rows)["text"]) for row in rows]
    return [lead(t) for t in texts] if task == "summarization" else texts


def baseline_description(task: str, predictions: Sequence[Any], fitted_on: str) -> str:
    """What the baseline did, for the table: the majority label and where it was picked, or what it copied."""
    if task in LABEL_TASKS:
        return f"majority label {predictions[0]!r} (picked on {fitted_on})" if predictions else "majority label"
    return {"clustering": "one cluster", "summarization": "first sentence"}.get(task, "input copied")


def score(task: str, predictions: Sequence[Any], rows: Sequence[EvalRow]) -> dict[str, float]:
    """Score predictions with the eval's own metric functions, rounded as the eval rounds them."""
    if task == "clustering":
        labels = [str(r["label"]) for r in rows]
        scores = load_metric("clustering").compute(predictions=list(predictions), references=labels) or {}
    else:
        adapter = evaluation.ADAPTERS[task]
        scores = adapter.score(predictions, [adapter.reference(r) for r in rows], rows)
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
    unknown = sorted(set(tasks or ()) - set(REPORT_TASKS))
    if unknown:
        raise InputError(f"no public set for {', '.join(unknown)}; the report covers {', '.join(REPORT_TASKS)}")
    rows = []
    for public in PUBLIC_SETS:
        if tasks and public.task not in tasks:
            continue
        file, half = public.source(split)
        row = Row(public.task, file, half, public.metrics, command_for(public.task, file, half, limit))
        try:
            run_set(row, public, benchmarks_dir, split, limit, progress, pool)
        except Exception as exc:  # one set's failure is its row's message; the report carries on
            log.debug("%s on %s failed", public.task, file, exc_info=True)
            row.error = user_message(exc if isinstance(exc, PlaygroundError) else f"{type(exc).__name__}: {exc}")
        rows.append(row)
    return rows


def run_set(
    row: Row, public: PublicSet, root: Path, split: str, limit: int | None, progress: Progress, pool: ModelPool
) -> None:
    """Fill the row: the model's metrics on the split, then the baseline's on the items the model scored."""
    items = evaluation.read_eval_set(root / row.data, limit, row.split)
    config: dict[str, Any] = {"seed": 0} if public.task in SAMPLED_TASKS else {}
    row.command = command_for(public.task, row.data, row.split, limit, config)
    bar = progress(f"{public.task} {row.data}", len(items))
    report = evaluation.evaluate(public.task, items, config, progress=bar, pool=pool)
    scored = [item for item, result in zip(items, report.items, strict=True) if result.error is None]
    row.n, row.failed = len(scored), len(items) - len(scored)
    row.model = {k: v for k, v in report.metrics.items() if k in public.metrics}
    dev: list[EvalRow] = []
    fitted_on = ""
    if public.task in LABEL_TASKS:
        file, half = public.source(OTHER_HALF[split])
        dev = evaluation.read_eval_set(root / file, None, half)
        fitted_on = f"the {half} half" if half else file
    predictions = baseline_predictions(public.task, scored, dev)
    row.baseline = score(public.task, predictions, scored)
    row.baseline_is = baseline_description(public.task, predictions, fitted_on)


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
