"""Corpus BLEU or chrF with sacrebleu's standard settings, one or more references per item (config: bleu, chrf)."""

from collections.abc import Callable
from typing import Any

import datasets
import evaluate
import sacrebleu

# The two scores differ in the sacrebleu function, the description and the citation; the rest is shared.
_SCORES: dict[str, tuple[Callable[..., Any], str, str]] = {
    "bleu": (
        sacrebleu.corpus_bleu,
        "Corpus-level BLEU from sacrebleu.corpus_bleu with its defaults (13a tokenisation, exponential smoothing, "
        "case-sensitive). Items with fewer references than others reuse their first one, which leaves BLEU "
        "unchanged (clipped counts take the maximum over references and the closest reference length is the same).",
        "Post, A Call for Clarity in Reporting BLEU Scores, WMT 2018.",
    ),
    "chrf": (
        sacrebleu.corpus_chrf,
        "Corpus-level chrF from sacrebleu.corpus_chrf with its defaults (character 6-grams, no word n-grams, beta 2, "
        "whitespace ignored); sacrebleu keeps the best-matching reference per item. Items with fewer references "
        "than others reuse their first one, which leaves the score unchanged.",
        "Popović, chrF: character n-gram F-score for automatic MT evaluation, WMT 2015.",
    ),
}
_INPUTS = """
Args:
    predictions (list of str): system outputs (translations, rewrites).
    references (list of list of str, or list of str): one or more references per output.
Returns:
    bleu or chrf (float in 0..100), after the config's name.
"""


def reference_streams(references: list[list[str]] | list[str]) -> list[list[str]]:
    """Turn per-item reference lists into sacrebleu's one-stream-per-reference-position layout."""
    per_item = [[refs] if isinstance(refs, str) else list(refs) for refs in references]
    if any(not refs for refs in per_item):
        raise ValueError("every prediction needs at least one reference")
    width = max((len(refs) for refs in per_item), default=1)
    return [[refs[i] if i < len(refs) else refs[0] for refs in per_item] for i in range(width)]


class SacrebleuScores(evaluate.Metric):
    """BLEU or chrF (the config name) for translation and style transfer, on sacrebleu's 0..100 scale."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric; references are a list of strings per item, or one string."""
        if self.config_name not in _SCORES:
            raise ValueError(f"load this metric with config_name bleu or chrf, not {self.config_name!r}")
        _, description, citation = _SCORES[self.config_name]
        # evaluate tries the formats in order; the plain-string one comes first so a string is never read as a list.
        return evaluate.MetricInfo(
            description=description,
            citation=citation,
            inputs_description=_INPUTS,
            features=[
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
                datasets.Features(
                    {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
                ),
            ],
        )

    def _compute(self, predictions: list[str], references: list[list[str]] | list[str]) -> dict[str, float]:
        """The corpus score of the predictions against all their references."""
        score = _SCORES[self.config_name][0]
        return {self.config_name: float(score(predictions, reference_streams(references)).score)}
