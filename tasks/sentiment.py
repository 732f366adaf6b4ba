"""Sentiment: the three labels are scored by log-likelihood after the review, then calibrated.

The `generate` method (ask the model, parse its answer) is kept for comparison: it shows why scoring is the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from playground.context import TaskContext
from playground.registry import Input, TaskSpec
from playground.taskkit import as_prompt, calibrated_probs, top_choice

LABELS = ("positive", "negative", "neutral")


def parse_label(answer: str) -> str:
    """The first label word in a free-text answer; 'neutral' when it names none."""
    found = re.search(r"\b(positive|negative|neutral)\b", answer.lower())
    return found.group(1) if found else "neutral"


def classify(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if inputs["method"] == "generate":
        prompt = as_prompt(ctx, ctx.render("sentiment_generate.j2", text=inputs["text"]), chat=True)
        answer = ctx.llm.generate(prompt, ctx.with_params(max_new_tokens=12, temperature=0.0))
        label = parse_label(answer)
        yield {"label": label, "scores": {x: float(x == label) for x in LABELS}, "answer": answer.strip()}
        return
    yield top_choice(LABELS, *calibrated_probs(ctx, "sentiment.j2", {"text": inputs["text"]}, LABELS, "text"))


SPEC = TaskSpec(
    name="sentiment",
    title="Sentiment",
    description="Is a text positive, negative or neutral? Each label is scored by the model; no free text is parsed.",
    inputs=(
        Input("text", "text", "Text", max_chars=4_000),
        Input(
            "method",
            "choice",
            "Method",
            default="score",
            required=False,
            choices=("score", "generate"),
            help="score: rank the labels by likelihood (reliable); generate: ask and parse the answer",
        ),
    ),
    templates=("sentiment.j2", "sentiment_generate.j2"),
    run=classify,
    display="label",
    order=40,
    group="Analyse",
    examples="sentiment.jsonl",
)
