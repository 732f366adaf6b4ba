"""Corpus BLEU with sacrebleu's standard settings, one or more references per item."""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = "Corpus-level BLEU (sacrebleu defaults: 13a tokenisation, exponential smoothing), 0..100."
_INPUTS = """
Args:
    predictions (list of str): translations.
    references (list of list of str): one or more references per translation.
Returns:
    bleu (float, 0..100).
"""


class Bleu(evaluate.Metric):
    """BLEU for translation."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Post, A Call for Clarity in Reporting BLEU Scores, WMT 2018.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Sequence(datasets.Value("string"))}
            ),
        )

    def _compute(self, predictions, references):
        width = max(len(refs) for refs in references)
        # sacrebleu wants one stream per reference position; items with fewer references repeat their first.
        streams = [[refs[i] if i < len(refs) else refs[0] for refs in references] for i in range(width)]
        return {"bleu": float(sacrebleu.corpus_bleu(predictions, streams).score)}
