"""ROUGE-1, ROUGE-2 and ROUGE-L F-measures (with stemming), averaged over items, using rouge-score."""

import datasets
import evaluate
from rouge_score import rouge_scorer

_DESCRIPTION = (
    "Mean F-measure of ROUGE-1, ROUGE-2 and ROUGE-L (Porter stemming) between each prediction and its reference."
)
_INPUTS = """
Args:
    predictions (list of str): generated summaries.
    references (list of str): reference summaries.
Returns:
    rouge1, rouge2, rougeL (floats in 0..1).
"""
_KEYS = ("rouge1", "rouge2", "rougeL")


class Rouge(evaluate.Metric):
    """ROUGE for summarization."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Lin, ROUGE: A Package for Automatic Evaluation of Summaries, 2004.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        scorer = rouge_scorer.RougeScorer(list(_KEYS), use_stemmer=True)
        totals = dict.fromkeys(_KEYS, 0.0)
        for prediction, reference in zip(predictions, references, strict=False):
            scores = scorer.score(reference, prediction)
            for key in _KEYS:
                totals[key] += scores[key].fmeasure
        count = max(1, len(predictions))
        return {key: total / count for key, total in totals.items()}
