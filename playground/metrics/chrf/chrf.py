"""Corpus chrF (character n-gram F-score) with sacrebleu, one or more references per item."""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = (
    "Corpus-level chrF from sacrebleu.corpus_chrf with its defaults (character 6-grams, no word n-grams, beta 2, "
    "whitespace ignored), on sacrebleu's 0..100 scale. Each prediction may have several references (sacrebleu keeps "
    "the best-matching one per item); items with fewer references than others reuse their first one, which leaves "
    "the score unchanged."
)
_INPUTS = """
Args:
    predictions (list of str): system outputs.
    references (list of list of str, or list of str): one or more references per output.
Returns:
    chrf (float in 0..100).
"""


def reference_streams(references: list[list[str]] | list[str]) -> list[list[str]]:
    """Turn per-item reference lists into sacrebleu's one-stream-per-reference-position layout."""
    per_item = [[refs] if isinstance(refs, str) else list(refs) for refs in references]
    if any(not refs for refs in per_item):
        raise ValueError("every prediction needs at least one reference")
    width = max((len(refs) for refs in per_item), default=1)
    return [[refs[i] if i < len(refs) else refs[0] for refs in per_item] for i in range(width)]


class Chrf(evaluate.Metric):
    """chrF for translation and style transfer."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric; references are a list of strings per item, or one string."""
        # evaluate tries the formats in order; the plain-string one comes first so a string is never read as a list.
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Popović, chrF: character n-gram F-score for automatic MT evaluation, WMT 2015.",
            inputs_description=_INPUTS,
            features=[
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
                datasets.Features(
                    {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
                ),
            ],
        )

    def _compute(self, predictions: list[str], references: list[list[str]] | list[str]) -> dict[str, float]:
        """Corpus chrF of the predictions against all their references."""
        return {"chrf": float(sacrebleu.corpus_chrf(predictions, reference_streams(references)).score)}
