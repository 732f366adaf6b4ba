"""Free text generation: the prompt goes to the model as a chat message when it has a chat template."""

from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import generate_runner


def finish(text: str, inputs: dict) -> dict:
    """The whole answer, trimmed."""
    return {"text": text.strip()}


SPEC = TaskSpec(
    name="generation",
    title="Text generation",
    description="Continue or answer a prompt with the instruction-tuned model.",
    inputs=(Input("prompt", "text", "Prompt", max_chars=8_000),),
    templates=("generation.j2",),
    run=generate_runner("generation.j2", finish, chat=True),
    checked="text",  # no source to hold it to: the checks every written text gets
    default_params={"max_new_tokens": 200, "temperature": 0.7, "top_p": 0.95, "repetition_penalty": 1.1},
    streams=True,
    order=10,
    group="Write",
    examples="generation.jsonl",
)
