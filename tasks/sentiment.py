"""Sentiment: the three labels are scored by log-likelihood after the review, then calibrated."""

from playground.registry import Input, TaskSpec
from playground.taskkit import choice_runner

LABELS = ("positive", "negative", "neutral")

SPEC = TaskSpec(
    name="sentiment",
    title="Sentiment",
    description="Is a text positive, negative or neutral? Each label is scored by the model; no free text is parsed.",
    inputs=(Input("text", "text", "Text", max_chars=4_000),),
    templates=("sentiment.j2",),
    run=choice_runner("sentiment.j2", lambda inputs: LABELS),
    display="label",
    order=40,
    examples="sentiment.jsonl",
)
