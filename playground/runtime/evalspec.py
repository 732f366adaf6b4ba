"""What evaluating a task needs, carried by the task's spec: eval rows to inputs, output to prediction, scores.

A task with an eval set says here how one row becomes the task's inputs, what of its output is the prediction,
how predictions are scored against references (over the set and item by item), what a system that does nothing
predicts (the quality report's baseline), the public sets the report runs it on, and the techniques the quality
bench times. `nlp-playground eval`, `report` and `bench techniques` read these fields and know no task by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from playground.core.errors import InputError
from playground.metrics import scores
from playground.text.sentences import split_sentences

Row = dict[str, Any]
Scores = dict[str, float]


class EvalTools(Protocol):
    """What a scoring function may call besides the predictions: another task, or the run's embedder."""

    def run(self, task: str, **inputs: Any) -> dict[str, Any]:
        """The output of another task at its defaults (style transfer asks sentiment for the target style)."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors of the run's embedder (clustering's silhouette)."""
        ...


Score = Callable[[Sequence[Any], Sequence[Any], Sequence[Row], EvalTools], Scores]


@dataclass(frozen=True)
class Baseline:
    """What a system that does nothing predicts: the report scores it with the task's own metrics, on the same items.

    `predict` gets the rows scored and, when `fits`, the rows of the set's other half (never the rows scored) to
    pick something on, such as the majority label. `name` is formatted with the first prediction as `first`.
    """

    name: str
    predict: Callable[[Sequence[Row], Sequence[Row]], list[Any]]
    fits: bool = False


@dataclass(frozen=True)
class PublicSet:
    """A public set the quality report runs the task on, and the metrics it shows.

    A set in one file is halved into dev and test, as `eval --split` does; `whole` names a set whose splits come
    as separate files (split -> file), each read whole.
    """

    file: str
    metrics: tuple[str, ...]
    whole: tuple[tuple[str, str], ...] = ()
    seeded: bool = False  # the task samples candidates: the report runs it with seed=0 so a row repeats

    def source(self, split: str) -> tuple[str, str | None]:
        """The file to read for a split, and the split to ask read_eval_set for (None: the whole file)."""
        files = dict(self.whole)
        return (files[split], None) if files else (self.file, split)


@dataclass(frozen=True)
class Technique:
    """A default the task adopted, against the behaviour it replaced: `nlp-playground bench techniques` times both."""

    eval_set: str  # a bundled eval set (assets/eval/NAME.jsonl) whose rows give the inputs
    new: Mapping[str, Any]
    old: Mapping[str, Any]
    both: Mapping[str, Any] = field(default_factory=dict)  # settings both sides share, to time one technique alone


@dataclass(frozen=True)
class EvalSpec:
    """How a task is evaluated against a set with references.

    Item by item: `inputs(row, rows)` gives the task's inputs for one row, `prediction(output)` what is compared
    with `reference(row)`, and `item_score` scores one item (its best is `best`). A task scored on the whole set
    at once (clustering) gives `set_inputs(rows, config)`: one run, whose prediction is one value per row; its
    `inputs`, if any, only show what each row was in the per-item results.
    """

    reference: Callable[[Row], Any]
    prediction: Callable[[dict[str, Any]], Any]
    score: Score
    inputs: Callable[[Row, Sequence[Row]], dict[str, Any]] | None = None
    item_score: Callable[[Any, Any, Row], float] | None = None
    best: float = 1.0  # the best item score there is (chrF runs to 100)
    set_inputs: Callable[[Sequence[Row], Mapping[str, Any]], dict[str, Any]] | None = None
    baseline: Baseline | None = None
    public_sets: tuple[PublicSet, ...] = ()
    techniques: tuple[Technique, ...] = ()
    # How sure an output says it is (a label's probability; None: it does not say): with it, `eval` reports the
    # expected calibration error of those probabilities against the items scored right.
    confidence: Callable[[dict[str, Any]], float | None] | None = None
    # Whether an item's prediction is a real error of the kind the task's checks flag (from the reference): with
    # it, `eval` reports how often a flag marks one (flag_precision) and how many are flagged (flag_recall).
    error: Callable[[Any, Any, Row], bool] | None = None

    def __post_init__(self) -> None:
        if self.set_inputs is None and (self.inputs is None or self.item_score is None):
            raise ValueError("an EvalSpec scored item by item needs inputs and item_score (or set_inputs)")


def row_text(row: Row, *keys: str) -> str:
    """The first of the fields `keys` that holds a string; a one-line error naming them when none does."""
    for key in keys:
        if isinstance(row.get(key), str):
            return str(row[key])
    raise InputError(f"an eval item needs one of the fields {', '.join(keys)}; it has {', '.join(sorted(row))}")


def required(row: Row, name: str) -> str:
    """The row's field `name`, a string that is not blank; a one-line error when it is missing."""
    if not isinstance(row.get(name), str) or not row[name].strip():
        raise InputError(f"an eval item needs `{name}` (a string); it has {', '.join(sorted(row))}")
    return str(row[name])


def optional(row: Row, *names: str) -> dict[str, Any]:
    """The fields of `names` that the row has, as task inputs."""
    return {name: row[name] for name in names if name in row}


def label_set(rows: Sequence[Row]) -> list[str]:
    """The labels of a labelled set, sorted."""
    return sorted({str(r["label"]) for r in rows if "label" in r})


def references(row: Row) -> list[str]:
    """The row's reference texts: `reference` (one string) or `references` (a list of strings)."""
    refs = row.get("references", row.get("reference"))
    if isinstance(refs, str):
        return [refs]
    if isinstance(refs, list) and refs and all(isinstance(r, str) for r in refs):
        return refs
    raise InputError("an eval item needs `reference` (a string) or `references` (a list of strings)")


def majority_label(rows: Sequence[Row]) -> str:
    """The commonest label of the rows; on a tie, the first of the tied labels in sorted order."""
    counts = Counter(str(r["label"]) for r in rows if "label" in r)
    if not counts:
        raise InputError("the majority baseline needs labelled rows to pick its label from")
    return max(sorted(counts), key=lambda label: counts[label])


def lead(text: str) -> str:
    """The first sentence of a document (the whole text when it has no sentence end)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


MAJORITY = Baseline("majority label {first!r}", lambda rows, other: [majority_label(other)] * len(rows), fits=True)


def copied(*keys: str) -> Baseline:
    """The baseline that hands back the input text unchanged (read from the first of `keys` a row has)."""
    return Baseline("input copied", lambda rows, other: [row_text(row, *keys) for row in rows])


def top_probability(output: dict[str, Any]) -> float | None:
    """The probability a label output gives its label; None when it has none (a generated label)."""
    scores = output.get("scores")
    return float(scores[output["label"]]) if scores else None


def label_evaluation(
    inputs: Callable[[Row, Sequence[Row]], dict[str, Any]],
    public_sets: tuple[PublicSet, ...] = (),
    techniques: tuple[Technique, ...] = (),
) -> EvalSpec:
    """A label task's evaluation: the predicted label against the row's, accuracy and macro-F1, the majority label
    (picked on the other half) as the baseline."""
    return EvalSpec(
        inputs=inputs,
        reference=lambda row: str(row["label"]),
        prediction=lambda output: output["label"],
        score=scores.accuracy,
        item_score=scores.exact,
        baseline=MAJORITY,
        confidence=top_probability,
        public_sets=public_sets,
        techniques=techniques,
    )
