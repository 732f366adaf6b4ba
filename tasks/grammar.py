"""Grammar correction: a few-shot rewrite by the model, then a word-level diff into offset edits."""

from playground.edits import diff_edits
from playground.registry import Input, TaskSpec
from playground.taskkit import first_line, generate_runner


def corrected_with_edits(text: str, inputs: dict) -> dict:
    """Turn the model's rewrite into the corrected text and its edits; keep the original if the rewrite wandered off."""
    original = inputs["text"]
    corrected = first_line(text)
    # A rewrite far longer or shorter than the input is a new text, not a correction.
    if not corrected or not 0.5 <= len(corrected) / len(original) <= 1.6:
        corrected = original
    return {"corrected": corrected, "edits": diff_edits(original, corrected, source="llm")}


SPEC = TaskSpec(
    name="grammar",
    title="Grammar correction",
    description="Fix spelling and grammar; every change is listed with its position in your text.",
    inputs=(Input("text", "text", "Text", max_chars=1_000, help="one or two sentences work best"),),
    templates=("grammar.j2",),
    run=generate_runner("grammar.j2", corrected_with_edits, stop=("\n",), key="corrected"),
    default_params={"max_new_tokens": 160},
    display="edits",
    streams=True,
    order=50,
    examples="grammar.jsonl",
)
