"""Zero-shot classification into the user's own labels: each label is scored by the LLM after the text and calibrated,
and by default combined with the embedder's zero-shot vote (the text's closeness to "This text is about <label>.").
Nothing is trained on any benchmark: the voters know only the label names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.context import TaskContext
from playground.registry import Input, TaskSpec
from playground.taskkit import calibrated_probs, embedding_probs, ensemble_choice, top_choice

# The voters' weights, chosen on the AG News dev half (see the README's evaluation section).
WEIGHTS = {"prompt": 1.0, "embedder": 1.0}


def classify(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    labels = list(inputs["labels"])
    scored = {"text": inputs["text"], "labels": labels}
    prompt, loglik = calibrated_probs(ctx, "classification.j2", scored, labels, "text")
    if inputs["method"] == "score":
        yield top_choice(labels, prompt, loglik)
        return
    voters = {"prompt": prompt, "embedder": embedding_probs(ctx, inputs["text"], labels)}
    yield ensemble_choice(labels, voters, WEIGHTS, loglik)


SPEC = TaskSpec(
    name="classification",
    title="Classification",
    description="Put a text into one of your labels (2 to 20). Each label is scored by the model and by the embedder.",
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
            choices=("ensemble", "score"),
            help="ensemble: the LLM's calibrated label scores and the embedder's zero-shot vote, combined (best); "
            "score: the LLM's label scores alone (fastest)",
        ),
    ),
    templates=("classification.j2",),
    run=classify,
    embedder="minilm-l6-v2",
    display="label",
    order=70,
    group="Analyse",
    examples="classification.jsonl",
)
