"""Style transfer: rewrite a text in another register, from few-shot examples of that style."""

from playground.registry import Input, TaskSpec
from playground.taskkit import first_line, generate_runner

STYLES = ("formal", "informal", "simple", "concise", "persuasive", "positive", "negative")


def rewritten(text: str, inputs: dict) -> dict:
    """The first line of the rewrite; the input itself when the model gave nothing."""
    return {"text": first_line(text) or inputs["text"]}


SPEC = TaskSpec(
    name="style_transfer",
    title="Style transfer",
    description="Rewrite a text to be more formal, informal, simple, concise, persuasive, positive or negative.",
    inputs=(
        Input("text", "text", "Text", max_chars=1_000),
        Input("style", "choice", "Target style", default="formal", required=False, choices=STYLES),
    ),
    templates=("style_transfer.j2",),
    run=generate_runner("style_transfer.j2", rewritten, stop=("\n",)),
    default_params={"max_new_tokens": 120},
    streams=True,
    order=60,
    group="Write",
    examples="style_transfer.jsonl",
)
