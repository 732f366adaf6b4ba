"""Corpus chrF (character n-gram F-score) with sacrebleu, one or more references per item."""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = "Corpus-level chrF (sacrebleu defaults: character 6-grams, beta 2), 0..100."
_INPUTS = """
Args:
    predictions (list of str): system outputs.
    references (list of list of str): one or more references per output.
Returns:
    chrf (float, 0..100).
"""


class Chrf(evaluate.Metric):
    """chrF for translation and style transfer."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Popović, chrF: character n-gram F-score for automatic MT evaluation, WMT 2015.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
            ),
        )

    def _compute(self, predictions, references):
        width = max(len(refs) for refs in references)
        streams = [[refs[i] if i < len(refs) else refs[0] for refs in references] for i in range(width)]
        return {"chrf": float(sacrebleu.corpus_chrf(predictions, streams).score)}
