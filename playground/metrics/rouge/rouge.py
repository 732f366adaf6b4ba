"""ROUGE-1, ROUGE-2 and ROUGE-L F-measures (with stemming), averaged over items, using rouge-score."""

import datasets
import evaluate
from rouge_score import rouge_scorer

_DESCRIPTION = (
    "Mean over items of the ROUGE-1, ROUGE-2 and ROUGE-L F-measures between each prediction and its reference, "
    "computed by Google's rouge-score package with its default tokenizer (lowercased; only a-z and 0-9 kept) and "
    "Porter stemming. ROUGE-L is the sentence-level LCS variant (not rougeLsum)."
)
_INPUTS = """
Args:
    predictions (list of str): generated summaries.
    references (list of str): one reference summary per prediction.
Returns:
    rouge1, rouge2, rougeL (floats in 0..1).
"""
_KEYS = ("rouge1", "rouge2", "rougeL")


class Rouge(evaluate.Metric):
    """ROUGE for summarization."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric and its inputs: a prediction string and a reference string per item."""
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Lin, ROUGE: A Package for Automatic Evaluation of Summaries, ACL Workshop 2004.",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[str], references: list[str]) -> dict[str, float]:
        """Mean F-measure of each ROUGE variant over the items."""
        scorer = rouge_scorer.RougeScorer(list(_KEYS), use_stemmer=True)
        totals = dict.fromkeys(_KEYS, 0.0)
        for prediction, reference in zip(predictions, references, strict=True):
            # rouge-score takes (target, prediction), in that order.
            scores = scorer.score(reference, prediction)
            for key in _KEYS:
                totals[key] += scores[key].fmeasure
        count = max(1, len(predictions))
        return {key: total / count for key, total in totals.items()}
