"""Draft: an outline or a few notes turned into a first draft, in the chosen language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.engines.catalogue import MULTILINGUAL_LLM
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.tasks._writing import LANGUAGE, grounded_in, prompt_language, write

TEMPLATE = "draft.j2"
FORMS = ("blog post", "article", "email", "product description", "newsletter", "social media post", "speech")


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    language = inputs["language"]
    text = ctx.render(TEMPLATE, notes=inputs["notes"], form=inputs["form"],
                      language_name=prompt_language(ctx, language))  # fmt: skip
    yield from write(ctx, as_prompt(ctx, text, chat=True), language)


SPEC = TaskSpec(
    name="draft",
    title="Draft",
    description="Turn an outline or a few notes into a first draft: a blog post, an article, an e-mail and more.",
    inputs=(
        Input("notes", "text", "Outline or notes", max_chars=8_000),
        Input("form", "choice", "What to write", default="blog post", required=False, choices=FORMS),
        LANGUAGE,
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"language_name"}),
    helpers=(MULTILINGUAL_LLM,),  # writes the languages the instruction model cannot
    run=run,
    checked="text",
    checks=(grounded_in("notes", "the notes"),),
    default_params={"max_new_tokens": 400, "temperature": 0.7, "repetition_penalty": 1.1},
    streams=True,
    order=50,
    group="Write",
    examples="draft.jsonl",
)
