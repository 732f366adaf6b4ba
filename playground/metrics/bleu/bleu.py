"""Corpus BLEU with sacrebleu's standard settings, one or more references per item."""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = (
    "Corpus-level BLEU from sacrebleu.corpus_bleu with its defaults (13a tokenisation, exponential smoothing, "
    "case-sensitive), on sacrebleu's 0..100 scale. Each prediction may have several references; items with fewer "
    "references than others reuse their first one, which leaves BLEU unchanged (clipped counts take the maximum "
    "over references and the closest reference length is the same)."
)
_INPUTS = """
Args:
    predictions (list of str): translations.
    references (list of list of str, or list of str): one or more references per translation.
Returns:
    bleu (float in 0..100).
"""


def reference_streams(references: list[list[str]] | list[str]) -> list[list[str]]:
    """Turn per-item reference lists into sacrebleu's one-stream-per-reference-position layout."""
    per_item = [[refs] if isinstance(refs, str) else list(refs) for refs in references]
    if any(not refs for refs in per_item):
        raise ValueError("every prediction needs at least one reference")
    width = max((len(refs) for refs in per_item), default=1)
    return [[refs[i] if i < len(refs) else refs[0] for refs in per_item] for i in range(width)]


class Bleu(evaluate.Metric):
    """BLEU for translation."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric; references are a list of strings per item, or one string."""
        # evaluate tries the formats in order; the plain-string one comes first so a string is never read as a list.
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Post, A Call for Clarity in Reporting BLEU Scores, WMT 2018.",
            inputs_description=_INPUTS,
            features=[
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
                datasets.Features(
                    {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
                ),
            ],
        )

    def _compute(self, predictions: list[str], references: list[list[str]] | list[str]) -> dict[str, float]:
        """Corpus BLEU of the predictions against all their references."""
        return {"bleu": float(sacrebleu.corpus_bleu(predictions, reference_streams(references)).score)}
