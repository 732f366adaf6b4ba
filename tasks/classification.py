"""Zero-shot classification into the user's own labels.

On the embedded models, when every label names a topic of the project's topic library (example texts written for it),
the text's nearest examples among each label's topics vote, with the second embedded model's calibrated label scores.
Otherwise the LLM's calibrated label scores vote with the embedder's zero-shot vote (the text's closeness to "This
text is about <label>."), as `method=names` always does. Nothing is trained on any benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.components.topics import matched_topics, topic_scores
from playground.engines.catalogue import MULTILINGUAL_LLM
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import PublicSet, Technique, label_evaluation, label_set, row_text
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.scoring import (
    EMBEDDING_TEMPERATURE,
    calibrated_probs,
    embedding_probs,
    ensemble_choice,
    softmax,
    top_choice,
)

TEMPLATE = "classification.j2"
# The voters' weights on their log-probabilities, chosen on the AG News dev half (see docs/techniques.md).
# Labels known only by name: the LLM's calibrated label scores and the embedder's zero-shot vote.
WEIGHTS = {"prompt": 1.0, "embedder": 1.0}
# Labels that name the topic library's topics: its nearest examples lead, with the second embedded model's label
# scores. The 135M model's label scores only lowered accuracy beside them (dev 0.815 without, 0.805 at 0.5), so they
# are not asked for.
TOPIC_WEIGHTS = {"topics": 3.0, "second_model": 0.5}
# Those weights sum to 3.5, which made the vote far surer than it was right on AG News (mean confidence 0.93 at
# accuracy 0.815 on the dev half); dividing them by this temperature keeps the label and fits the probabilities
# (the calibration error on the dev half, 0.149 -> 0.070, was lowest here; docs/checks.md).
TOPIC_TEMPERATURE = 3.0
SECOND_MODEL = MULTILINGUAL_LLM


def uses_library(ctx: TaskContext) -> bool:
    """The library's thresholds and weights were chosen on the embedded models; with a model or embedder the user
    chose, the label-name ensemble decides, so that model's own label scores count."""
    return ctx.llm_ref.preset is not None and ctx.embedder_ref.preset is not None


def classify(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text, labels, method = inputs["text"], list(inputs["labels"]), inputs["method"]
    scored = {"text": text, "labels": labels}
    matches = matched_topics(ctx.embedder, labels) if method == "ensemble" and uses_library(ctx) else None
    if matches is not None:
        second = ctx.llm if ctx.llm_ref.name == SECOND_MODEL else ctx.helper_llm(SECOND_MODEL)
        second_probs, loglik = calibrated_probs(ctx, TEMPLATE, scored, labels, "text", llm=second)
        scores = topic_scores(ctx.embedder, text, matches)
        voters = {
            "topics": softmax([scores[label] / EMBEDDING_TEMPERATURE for label in labels]),
            "second_model": second_probs,
        }
        weights = {name: weight / TOPIC_TEMPERATURE for name, weight in TOPIC_WEIGHTS.items()}
        yield {**ensemble_choice(labels, voters, weights, loglik), "topics": matches}
        return
    prompt, loglik = calibrated_probs(ctx, TEMPLATE, scored, labels, "text")
    if method == "score":
        yield top_choice(labels, prompt, loglik)
        return
    voters = {"prompt": prompt, "embedder": embedding_probs(ctx, text, labels)}
    yield ensemble_choice(labels, voters, WEIGHTS, loglik)


EVALUATION = label_evaluation(
    inputs=lambda row, rows: {"text": row_text(row, "text"), "labels": row.get("labels") or label_set(rows)},
    public_sets=(PublicSet("agnews-400.jsonl", ("accuracy", "macro_f1", "ece")),),
    techniques=(Technique("classification", {"method": "ensemble"}, {"method": "names"}),),
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="classification",
    title="Classification",
    description="Put a text into one of your labels (2 to 20). Labels that name topics of the project's topic library "
    "are compared with its example texts; others are scored by the model and by the embedder.",
    inputs=(
        Input("text", "text", "Text", max_chars=4_000),
        Input(
            "labels",
            "labels",
            "Labels",
            min_items=2,
            max_items=20,
            max_chars=60,
            help="2 to 20 labels, comma- or line-separated",
        ),
        Input(
            "method",
            "choice",
            "Method",
            default="ensemble",
            required=False,
            choices=("ensemble", "names", "score"),
            help="ensemble: on the embedded models, when each label names a topic of the library, its nearest "
            "examples and a second model's label scores, else as names (best on AG News; it reads a label by its "
            "name, so use names when your labels mean more than they say); names: the LLM's calibrated label scores "
            "and the embedder's zero-shot vote; score: the LLM's label scores alone (fastest)",
        ),
    ),
    templates=(TEMPLATE,),
    run=classify,
    embedder="minilm-l6-v2",
    helpers=(SECOND_MODEL,),
    display="label",
    order=70,
    group="Analyse",
    examples="classification.jsonl",
)
