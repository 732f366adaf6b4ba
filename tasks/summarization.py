"""Summarization: abstractive with the LLM (map-reduce over long texts) or extractive by embedding centrality."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from playground.context import TaskContext
from playground.registry import Input, TaskSpec
from playground.taskkit import as_prompt, split_sentences

TEMPLATE = "summarization.j2"
PROMPT_OVERHEAD = 64  # tokens the template and chat markup add around the text


def extractive(ctx: TaskContext, text: str, count: int | None = None) -> dict[str, Any]:
    """Pick the sentences most similar to the rest of the text, kept in their original order."""
    sentences = split_sentences(text)
    k = count or max(1, min(3, round(len(sentences) / 3)))
    if len(sentences) <= k:
        return {"summary": " ".join(sentences), "selected": list(range(len(sentences)))}
    vectors = ctx.embedder.embed(sentences)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    centrality = similarity.sum(axis=1)
    chosen = sorted(int(i) for i in np.argsort(-centrality, kind="stable")[:k])
    return {"summary": " ".join(sentences[i] for i in chosen), "selected": chosen}


def chunks(ctx: TaskContext, text: str, budget: int) -> list[str]:
    """Split text at sentence ends into pieces of at most `budget` tokens each."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        n = ctx.llm.count_tokens(sentence) + 1
        if current and size + n > budget:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def abstractive(ctx: TaskContext, text: str) -> Iterator[dict[str, Any]]:
    """Summarize with the LLM; text beyond its context is summarized in chunks whose summaries are summarized."""
    params = ctx.params
    budget = ctx.llm.context_length - params.max_new_tokens - PROMPT_OVERHEAD
    rounds = 0
    while ctx.llm.count_tokens(text) > budget:
        parts = chunks(ctx, text, budget)
        partial = [
            ctx.llm.generate(as_prompt(ctx, ctx.render(TEMPLATE, text=p), chat=True), params).strip() for p in parts
        ]
        text = "\n".join(s for s in partial if s)
        rounds += 1
        if rounds > 4:  # every round shrinks the text; this only guards against a model that echoes
            break
    summary = ""
    for piece in ctx.llm.stream(as_prompt(ctx, ctx.render(TEMPLATE, text=text), chat=True), params):
        summary += piece
        yield {"summary": summary.strip()}
    yield {"summary": summary.strip(), "map_reduce_rounds": rounds}


def summarize(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if inputs["mode"] == "extractive":
        yield {**extractive(ctx, inputs["text"]), "mode": "extractive"}
        return
    for output in abstractive(ctx, inputs["text"]):
        yield {**output, "mode": "abstractive"}


SPEC = TaskSpec(
    name="summarization",
    title="Summarization",
    description="Abstractive: the LLM writes a summary (long texts are summarized in chunks, then together). "
    "Extractive: the most central sentences are picked by their embeddings.",
    inputs=(
        Input("text", "text", "Text", max_chars=60_000),
        Input("mode", "choice", "Mode", default="abstractive", required=False, choices=("abstractive", "extractive")),
    ),
    templates=(TEMPLATE,),
    run=summarize,
    embedder="minilm-l6-v2",
    default_params={"max_new_tokens": 160, "repetition_penalty": 1.1},
    streams=True,
    order=30,
    group="Write",
    examples="summarization.jsonl",
)
