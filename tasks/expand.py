"""Expand: a text rewritten longer, with more detail, towards a target length in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.engines.catalogue import MULTILINGUAL_LLM
from playground.engines.params import MAX_NEW_TOKENS_CAP
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.tasks._writing import LANGUAGE, grounded_in, grow, in_language, prompt_language

TEMPLATE = "expand.j2"
TOKENS_PER_WORD = 1.4  # English prose with this tokenizer; the answer's budget follows the target length
SHORT = 0.7  # an answer below this share of the target words is continued
CONTINUATIONS = 3  # continuations at most: the small model often answers with little more than the input


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Ask for the longer text; while it is well short of the target, let the model continue it as plain text."""
    words, language = inputs["words"], inputs["language"]
    prompt = ctx.render(TEMPLATE, text=inputs["text"], words=words, language_name=prompt_language(ctx, language))
    budget = min(MAX_NEW_TOKENS_CAP, max(ctx.params.max_new_tokens, round(words * TOKENS_PER_WORD) + 32))
    ctx.params = ctx.params.merged(max_new_tokens=budget)
    text, continued = "", 0
    for text in grow(ctx, "", as_prompt(ctx, prompt, chat=True)):
        yield {"text": text, "target_words": words, "words": len(text.split())}
    while len(text.split()) < SHORT * words and continued < CONTINUATIONS:
        missing = words - len(text.split())
        params = ctx.params.merged(max_new_tokens=round(missing * TOKENS_PER_WORD) + 16, stop=("\n\n",))
        before = text
        for grown in grow(ctx, before + " ", before + " ", params):  # a plain prompt: the model writes on
            text = "\n\n".join(" ".join(p.split()) for p in grown.split("\n\n"))  # completions: a sentence a line
            yield {"text": text, "target_words": words, "words": len(text.split())}
        continued += 1
        if text == before:
            break
    for output in in_language(ctx, text, language, target_words=words, continued=continued):
        yield {**output, "words": len(output["text"].split())}


SPEC = TaskSpec(
    name="expand",
    title="Expand",
    description="Rewrite a text longer, with more detail and examples, towards a target length in words; an answer "
    "well short of it is continued by the model as plain text.",
    inputs=(
        Input("text", "text", "Text", max_chars=8_000),
        Input("words", "integer", "Target length (words)", default=200, required=False, minimum=20, maximum=700),
        LANGUAGE,
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"language_name"}),
    helpers=(MULTILINGUAL_LLM,),  # writes the languages the instruction model cannot
    run=run,
    checked="text",
    checks=(grounded_in("text", "the text"),),
    default_params={"max_new_tokens": 300, "temperature": 0.7, "repetition_penalty": 1.1},
    streams=True,
    order=51,
    group="Write",
    examples="expand.jsonl",
)
