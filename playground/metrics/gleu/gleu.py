"""GLEU for grammatical error correction (Napoles et al. 2015, revised 2016), as used by JFLEG."""

import math
from collections import Counter

import datasets
import evaluate

_DESCRIPTION = """
GLEU rewards n-grams (1 to 4, whitespace tokens) of the correction that match the reference, and penalises
n-grams that the correction copied from the source where the reference changed them. Per n, matches are
|H & R| - |H & (S - R)| (multiset operations, floored at 0) over the number of n-grams of H; corpus GLEU is
the brevity penalty exp(min(0, 1 - ref_len / hyp_len)) times the geometric mean of the four precisions,
with the counts summed over all sentences.

Several references: the official scorer draws a random reference per sentence over many iterations; this
module is its deterministic variant: corpus GLEU computed once per reference position k (sentence i uses
its reference k, or k modulo its number of references) and averaged over the positions.
`smooth=True` adds one to the matches and totals of n > 1 (for scoring single sentences).
"""
_INPUTS = """
Args:
    sources (list of str): the original, uncorrected sentences.
    predictions (list of str): the corrected sentences.
    references (list of list of str): one or more human corrections per sentence.
    smooth (bool, default False): add-one smoothing of the 2- to 4-gram precisions.
Returns:
    gleu (float in 0..1).
"""
_CITATION = "Napoles, Sakaguchi, Post & Tetreault, Ground Truth for Grammatical Error Correction Metrics, ACL 2015."


def ngrams(tokens, n):
    """The multiset of n-grams of a token list."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def sentence_stats(source, hypothesis, reference):
    """[hyp_len, ref_len, match_1, total_1, ..., match_4, total_4] for one sentence."""
    s, h, r = source.split(), hypothesis.split(), reference.split()
    stats = [len(h), len(r)]
    for n in range(1, 5):
        hyp, ref = ngrams(h, n), ngrams(r, n)
        copied_wrongly = ngrams(s, n) - ref
        matches = sum((hyp & ref).values()) - sum((hyp & copied_wrongly).values())
        stats += [max(matches, 0), max(len(h) - n + 1, 0)]
    return stats


def corpus_gleu(stats, smooth=False):
    """GLEU from summed sentence statistics."""
    hyp_len, ref_len = stats[0], stats[1]
    if hyp_len == 0:
        return 0.0
    log_precision = 0.0
    for n in range(4):
        matches, total = stats[2 + 2 * n], stats[3 + 2 * n]
        if smooth and n > 0:
            matches, total = matches + 1, total + 1
        if matches == 0 or total == 0:
            return 0.0
        log_precision += math.log(matches / total) / 4
    return math.exp(min(0.0, 1.0 - ref_len / hyp_len) + log_precision)


class Gleu(evaluate.Metric):
    """GLEU for grammar correction."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_INPUTS,
            features=datasets.Features(
                {
                    "sources": datasets.Value("string"),
                    "predictions": datasets.Value("string"),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, sources, predictions, references, smooth=False):
        positions = max(len(refs) for refs in references)
        scores = []
        for k in range(positions):
            totals = [0] * 10
            for source, prediction, refs in zip(sources, predictions, references, strict=False):
                for j, value in enumerate(sentence_stats(source, prediction, refs[k % len(refs)])):
                    totals[j] += value
            scores.append(corpus_gleu(totals, smooth))
        return {"gleu": sum(scores) / len(scores)}
