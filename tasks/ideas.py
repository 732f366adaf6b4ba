"""Ideas: n distinct ideas for a topic and an audience, each a title and a one-sentence description.

The model is sampled; ideas whose embeddings are too close to one already kept are dropped, and more are asked for
(naming the ones kept) until there are n, for a few rounds at most.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from playground.engines.catalogue import DEFAULT_EMBEDDER, MULTILINGUAL_LLM
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.tasks._writing import LANGUAGE, prompt_language, translate, translated_note

TEMPLATE = "ideas.j2"
SAME = 0.85  # cosine similarity above which two ideas count as one
ROUNDS = 5  # requests at most, the first included
# Answers sampled for the first request, decoded side by side (one llama.cpp batch). Three, on the two examples and
# two more topics with seeds 0-2, gave all the ideas asked for in 11 of 12 runs (10 of 12 with one) in 1.75 requests
# on average (2.75), but took 4.33 s at the median against 3.38 s: the first request waits for its longest answer.
FIRST_ANSWERS = 1
MAX_TITLE = 80  # characters: a longer first part is the model's preamble, not a title
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|idea\s*\d*\s*[:.)]?)\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*:\s+|\s+[-–—]\s+")


def parse(text: str) -> list[dict[str, str]]:
    """Ideas from the model's lines, "1. Title: description" (bold marks and quotes removed).

    When some lines are numbered or bulleted, only those are ideas: the others are the model's preamble.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    listed = [line for line in lines if _BULLET.match(line)]
    ideas = []
    for line in listed or lines:
        line = _BULLET.sub("", _BULLET.sub("", line.replace("**", ""))).strip()
        parts = _SPLIT.split(line, maxsplit=1)
        title = parts[0].strip(" \"'“”#").rstrip(".")
        if 3 <= len(title) <= MAX_TITLE and not line.endswith(":"):
            ideas.append({"title": title, "description": parts[1].strip(" \"'“”") if len(parts) > 1 else ""})
    return ideas


def _key(title: str) -> str:
    return re.sub(r"\W+", "", title.casefold())


def distinct(ctx: TaskContext, kept: list[dict[str, str]], new: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """kept plus the new ideas not too close (by embedding) to a kept one or to each other, n at most."""
    if not new:
        return kept
    ideas = kept + new
    vectors = ctx.embedder.embed([f"{i['title']}. {i['description']}" for i in ideas])
    chosen = list(range(len(kept)))
    titles = {_key(i["title"]) for i in kept}
    for index in range(len(kept), len(ideas)):
        if len(chosen) == n:
            break
        key = _key(ideas[index]["title"])
        if not key:  # a title of punctuation only
            continue
        same_title = any(key.startswith(k) or k.startswith(key) for k in titles)  # "BedAndBreak", "Bed and Break"
        if not same_title and (not chosen or float(np.max(vectors[chosen] @ vectors[index])) < SAME):
            chosen.append(index)
            titles.add(key)
    return [ideas[i] for i in chosen]


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    n, language = inputs["n"], inputs["language"]
    kept: list[dict[str, str]] = []
    rounds = 0
    while len(kept) < n and rounds < ROUNDS:
        prompt = ctx.render(TEMPLATE, topic=inputs["topic"], audience=inputs["audience"], count=n - len(kept),
                            avoid=[i["title"] for i in kept], language_name=prompt_language(ctx, language))  # fmt: skip
        base = ctx.params.seed or 0
        seeds = [base + rounds]  # reproducible, yet new each round
        if rounds == 0 and ctx.params.temperature > 0:  # more first answers, decoded side by side
            seeds += [base + ROUNDS + k for k in range(1, FIRST_ANSWERS)]
        texts = ctx.llm.generate_many(as_prompt(ctx, prompt, chat=True), ctx.params, seeds)
        kept = distinct(ctx, kept, [idea for text in texts for idea in parse(text)], n)
        rounds += 1
        yield {"ideas": kept, "rounds": rounds}
    final = []
    for idea in kept:  # in another language: each title and description translated
        *_, title = translate(ctx, idea["title"], language)
        *_, description = translate(ctx, idea["description"], language)
        final.append({"title": title, "description": description})
    output = {"ideas": final, "rounds": rounds, **translated_note(ctx, language)}
    if len(final) < n:
        output["note"] = f"{len(final)} distinct ideas after {rounds} requests, not {n}"
    yield output


SPEC = TaskSpec(
    name="ideas",
    title="Ideas",
    description="Distinct ideas for a topic and an audience (blog posts, products, campaigns), each a title and a "
    "description; near-duplicates are dropped by embedding similarity and more are asked for until there are n.",
    inputs=(
        Input("topic", "text", "Topic", max_chars=2_000),
        Input("audience", "text", "Audience", required=False, max_chars=500),
        Input("n", "integer", "How many ideas", default=5, required=False, minimum=1, maximum=20),
        LANGUAGE,
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"count", "avoid", "language_name"}),
    run=run,
    display="ideas",
    embedder=DEFAULT_EMBEDDER,
    helpers=(MULTILINGUAL_LLM,),  # writes the languages the instruction model cannot
    default_params={"max_new_tokens": 300, "temperature": 0.8, "repetition_penalty": 1.1},
    streams=True,
    order=49,
    group="Write",
    examples="ideas.jsonl",
)
