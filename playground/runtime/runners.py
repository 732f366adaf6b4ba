"""Prompt runners that tasks share: a prompt in the model's form, templated generation, sampled lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from playground.engines.base import Backend, Prompt
from playground.engines.params import GenerationParams
from playground.runtime.context import TaskContext
from playground.runtime.registry import Inputs, Output, Runner


def as_prompt(ctx: TaskContext, text: str, chat: bool) -> Prompt:
    """Send text as a user message when the task wants chat and the model has a chat template."""
    if chat and ctx.llm.supports_chat:
        return [{"role": "user", "content": text}]
    return text


def first_line(text: str) -> str:
    """Keep the first non-empty line: few-shot completions go on to invent the next example."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def sampled_lines(llm: Backend, prompt: Prompt, params: GenerationParams, count: int, temperature: float) -> list[str]:
    """count more first lines of the prompt's completion, sampled at temperature (or the call's, if higher).

    Each has its own seed, the call's plus 1, 2, ...: a run with a seed repeats its candidates exactly.
    """
    sampling = params.merged(temperature=max(params.temperature, temperature))
    seeds = [((params.seed or 0) + number) % 2**32 for number in range(1, count + 1)]
    return [first_line(text) for text in llm.generate_many(prompt, sampling, seeds)]


def generate_runner(
    template: str,
    postprocess: Callable[[str, Inputs], Output],
    *,
    stop: Sequence[str] = (),
    chat: bool = False,
    key: str = "text",
) -> Runner:
    """A task that renders one template, streams the model's answer and post-processes the whole of it."""

    def run(ctx: TaskContext, inputs: Inputs) -> Iterator[Output]:
        prompt = as_prompt(ctx, ctx.render(template, **inputs), chat)
        text = ""
        for piece in ctx.llm.stream(prompt, ctx.with_params(stop=tuple(stop))):
            text += piece
            yield {key: text.strip()}
        yield postprocess(text, inputs)

    return run
