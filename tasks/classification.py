"""Zero-shot classification into the user's own labels, scored by log-likelihood and calibrated."""

from playground.registry import Input, TaskSpec
from playground.taskkit import choice_runner

SPEC = TaskSpec(
    name="classification",
    title="Classification",
    description="Put a text into one of your labels (2 to 20). Each label is scored by the model.",
    inputs=(
        Input("text", "text", "Text", max_chars=4_000),
        Input(
            "labels",
            "labels",
            "Labels",
            min_items=2,
            max_items=20,
            max_chars=60,
            help="2 to 20 labels, comma- or line-separated",
        ),
    ),
    templates=("classification.j2",),
    run=choice_runner("classification.j2", lambda inputs: inputs["labels"]),
    display="label",
    order=70,
    group="Analyse",
    examples="classification.jsonl",
)
