"""Zero-shot classification into the user's own labels. When every label names a topic of the project's topic library
(example sentences written for it), the text's nearest sentences among each label's topics vote, with the second
embedded model's calibrated label scores. Otherwise the LLM's calibrated label scores vote with the embedder's zero-shot
vote (the text's closeness to "This text is about <label>."). Nothing is trained on any benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.context import TaskContext
from playground.models import DEFAULT_LLM, MULTILINGUAL_LLM
from playground.registry import Input, TaskSpec
from playground.taskkit import calibrated_probs, embedding_probs, ensemble_choice, softmax, top_choice
from playground.topics import TEMPERATURE, matched_topics, topic_scores

# The voters' weights on their log-probabilities, chosen on the AG News dev half (see the README's evaluation section).
# Labels known only by name: the LLM's calibrated label scores and the embedder's zero-shot vote.
WEIGHTS = {"prompt": 1.0, "embedder": 1.0}
# Labels that name the topic library's topics: its nearest sentences lead, with the second embedded model's label
# scores. The embedded 135M model's label scores only lowered accuracy beside them (dev 0.815 without, 0.805 at 0.5),
# so they get no weight; the label scores of a model the user chose count as they do for labels known by name.
TOPIC_WEIGHTS = {"topics": 3.0, "second_model": 0.5}
SECOND_MODEL = MULTILINGUAL_LLM


def classify(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text, labels = inputs["text"], list(inputs["labels"])
    scored = {"text": text, "labels": labels}
    prompt, loglik = calibrated_probs(ctx, "classification.j2", scored, labels, "text")
    if inputs["method"] == "score":
        yield top_choice(labels, prompt, loglik)
        return
    matches = matched_topics(ctx.embedder, labels) if inputs["method"] == "ensemble" else None
    if matches is None:
        voters = {"prompt": prompt, "embedder": embedding_probs(ctx, text, labels)}
        yield ensemble_choice(labels, voters, WEIGHTS, loglik)
        return
    scores = topic_scores(ctx.embedder, text, matches)
    voters = {"topics": softmax([scores[label] / TEMPERATURE for label in labels])}
    weights = dict(TOPIC_WEIGHTS)
    if ctx.llm_ref.name == SECOND_MODEL:  # the task's model is the second model: its label scores are in hand
        voters["second_model"] = prompt
    else:
        second = ctx.helper_llm(SECOND_MODEL)
        voters["second_model"] = calibrated_probs(ctx, "classification.j2", scored, labels, "text", llm=second)[0]
        if ctx.llm_ref.name != DEFAULT_LLM:
            voters["prompt"], weights["prompt"] = prompt, WEIGHTS["prompt"]
    yield {**ensemble_choice(labels, voters, weights, loglik), "topics": matches}


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
            choices=("ensemble", "names", "score"),
            help="ensemble: when each label names a topic of the library, its nearest example sentences and a second "
            "model's label scores, else as names (best); names: the LLM's calibrated label scores and the embedder's "
            "zero-shot vote, which know only the label names; score: the LLM's label scores alone (fastest)",
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
