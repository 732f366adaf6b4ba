"""Grammar correction: a few-shot rewrite of each sentence by the model, then a word-level diff into offset edits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.context import TaskContext
from playground.edits import diff_edits
from playground.registry import Input, TaskSpec
from playground.taskkit import first_line, split_sentences

TEMPLATE = "grammar.j2"


def accept_rewrite(original: str, rewrite: str) -> str:
    """The model's first line, unless it wandered off: a rewrite far longer or shorter is a new text, not a fix."""
    corrected = first_line(rewrite)
    if not corrected or not 0.5 <= len(corrected) / len(original) <= 1.6:
        return original
    return corrected


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of text starts and ends, so what lies between them is kept exactly."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, cursor)
        if start < 0:  # split_sentences normalised something; fall back to the whole remainder
            return [*spans, (cursor, len(text))] if text[cursor:].strip() else spans
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


def correct(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Correct sentence by sentence (the few-shot prompt is one sentence long), streaming the text as it grows."""
    text = inputs["text"]
    params = ctx.with_params(stop=("\n",))
    pieces: list[str] = []
    cursor = 0
    for start, end in sentence_spans(text):
        pieces.append(text[cursor:start])  # the exact whitespace and line breaks between sentences
        sentence = text[start:end]
        rewrite = ""
        for token in ctx.llm.stream(ctx.render(TEMPLATE, text=sentence), params):
            rewrite += token
            yield {"corrected": "".join(pieces) + rewrite.strip()}
        pieces.append(accept_rewrite(sentence, rewrite))
        cursor = end
    pieces.append(text[cursor:])
    corrected = "".join(pieces)
    yield {"corrected": corrected, "edits": diff_edits(text, corrected, source="llm")}


SPEC = TaskSpec(
    name="grammar",
    title="Grammar correction",
    description="Fix spelling and grammar; every change is listed with its position in your text.",
    inputs=(Input("text", "text", "Text", max_chars=5_000),),
    templates=(TEMPLATE,),
    run=correct,
    default_params={"max_new_tokens": 160},
    display="edits",
    streams=True,
    order=50,
    examples="grammar.jsonl",
)
