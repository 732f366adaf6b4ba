"""What the writing tasks (ideas, draft, expand) share: the output language, and writing in it.

The embedded instruction model writes English only. For another language its English text is translated by the
multilingual model, sentence by sentence; a model not known to be limited (a hub model, a server's) is asked to
write in the language itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from playground.engines.base import Prompt
from playground.engines.catalogue import MULTILINGUAL_LLM
from playground.engines.params import GenerationParams
from playground.runtime.checks import Check, Checker, unsupported
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input
from playground.tasks.translation import ALIASES, LANGUAGES, translated

LANGUAGE = Input("language", "choice", "Write in", default="en", required=False, choices=tuple(LANGUAGES),
                 aliases=ALIASES, help="another language than English is written by the multilingual model when "
                 "the instruction model cannot write it")  # fmt: skip


def writes_itself(ctx: TaskContext, language: str) -> bool:
    """Whether the task's model writes this language itself (else its English is translated)."""
    preset = ctx.llm_ref.preset
    return preset is None or preset.languages is None or language in preset.languages


def prompt_language(ctx: TaskContext, language: str) -> str:
    """The language the prompt asks for: the output's, or English when a translation follows."""
    return LANGUAGES[language] if writes_itself(ctx, language) else "English"


def translate(ctx: TaskContext, text: str, language: str) -> Iterator[str]:
    """The text in the language as it grows (the text itself when no translation is needed); the last is complete."""
    if not text.strip() or writes_itself(ctx, language):
        yield text
        return
    params = ctx.params.merged(temperature=0.0, stop=("\n",), max_new_tokens=200)
    yield from translated(ctx, ctx.helper_llm(MULTILINGUAL_LLM), params, text, "en", language)


def translated_note(ctx: TaskContext, language: str) -> dict[str, Any]:
    """What an output says about its language: the language, and the model that translated it, if one did."""
    if writes_itself(ctx, language):
        return {"language": language}
    return {"language": language, "translated_by": MULTILINGUAL_LLM}


def write(ctx: TaskContext, prompt: Prompt, language: str, **extra: Any) -> Iterator[dict[str, Any]]:
    """Stream the model's text for a prompt, then its translation when one is needed; the last output is complete."""
    text = ""
    for text in grow(ctx, "", prompt):
        yield {"text": text, **extra}
    yield from in_language(ctx, text, language, **extra)


def grow(ctx: TaskContext, start: str, prompt: Prompt, params: GenerationParams | None = None) -> Iterator[str]:
    """start followed by the model's answer to prompt, as it grows (stripped)."""
    text = start
    for piece in ctx.llm.stream(prompt, params or ctx.params):
        text += piece
        yield text.strip()
    yield text.strip()


def in_language(ctx: TaskContext, english: str, language: str, **extra: Any) -> Iterator[dict[str, Any]]:
    """The final outputs of a text written in English (or in the language itself, when the model can)."""
    if writes_itself(ctx, language):
        yield {"text": english, **extra, "language": language}
        return
    partial = english
    for partial in translate(ctx, english, language):
        yield {"text": partial, **extra, "english": english}
    yield {"text": partial, **extra, "english": english, **translated_note(ctx, language)}


def grounded_in(name: str, label: str) -> Checker:
    """A check that flags the numbers and names of the written text that the input `name` (`label`) lacks.

    In a translated text only numbers are held to the input: another language capitalises other words (German
    nouns) and writes names its own way ("Donnerstag").
    """

    def unsupported_by_input(ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
        kinds = ("number",) if "translated_by" in output else ("number", "name")
        return unsupported(output["text"], [inputs[name]], label, kinds)

    return unsupported_by_input
