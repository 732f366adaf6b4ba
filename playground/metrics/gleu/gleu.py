"""GLEU for grammatical error correction (Napoles et al. 2015, revised 2016), the metric of JFLEG."""

import math
from collections import Counter

import datasets
import evaluate

_DESCRIPTION = """
GLEU (Napoles et al. 2015, in the tuning-free form of "GLEU Without Tuning", 2016, which JFLEG reports) rewards
n-grams of the correction C that the reference R has, and penalises n-grams that C kept from the source S although
R changed them. Tokens are whitespace-split (the texts are expected to be tokenised already), n = 1..4.

Per sentence and order n, with count_{X,Y}(g) = min(count_X(g), count_Y(g)) over multisets of n-grams:
    matches_n = sum_g count_{C,R}(g) - sum_g max(0, count_{C,S}(g) - count_{C,R}(g)), floored at 0
    total_n   = number of n-grams of C
The corpus score sums matches, totals, the lengths |C| and |R| over the sentences, then
    GLEU = BP * exp(mean over n of log(matches_n / total_n)),  BP = exp(min(0, 1 - len_R / len_C)),
and is 0 when any order has no match or C is empty. No smoothing.

Several references per sentence: the released scorer samples one reference per sentence at random, many times, and
averages the corpus scores. This module is the deterministic variant of that: it computes the corpus score once per
reference position k (sentence i uses its k-th reference, cycling through its references when it has fewer than
k + 1) and returns the plain mean over the positions. With one reference per sentence the two agree exactly.
The penalty follows the paper's formula; the released scorer instead drops every source n-gram that occurs in the
reference at all, which differs only when an n-gram repeats (e.g. a duplicated word the reference keeps once).
"""
_INPUTS = """
Args:
    sources (list of str): the original, uncorrected sentences.
    predictions (list of str): the corrected sentences.
    references (list of list of str): one or more human corrections per sentence.
Returns:
    gleu (float in 0..1).
"""
_CITATION = (
    "Napoles, Sakaguchi, Post & Tetreault, Ground Truth for Grammatical Error Correction Metrics, ACL 2015; "
    "Napoles, Sakaguchi, Post & Tetreault, GLEU Without Tuning, arXiv:1605.02592, 2016."
)
ORDER = 4


def ngram_counts(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    """The multiset of n-grams of a token list."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def sentence_stats(source: str, prediction: str, reference: str) -> list[int]:
    """[len_C, len_R, matches_1, total_1, ..., matches_4, total_4] for one sentence and one reference."""
    s, c, r = source.split(), prediction.split(), reference.split()
    stats = [len(c), len(r)]
    for n in range(1, ORDER + 1):
        c_grams, s_grams, r_grams = ngram_counts(c, n), ngram_counts(s, n), ngram_counts(r, n)
        c_and_r = c_grams & r_grams  # Counter & is the elementwise min: count_{C,R}
        c_and_s = c_grams & s_grams
        kept_wrongly = sum(max(0, count - c_and_r[gram]) for gram, count in c_and_s.items())
        stats += [max(0, sum(c_and_r.values()) - kept_wrongly), max(0, len(c) - n + 1)]
    return stats


def corpus_gleu(stats: list[int]) -> float:
    """GLEU from sentence statistics summed over a corpus."""
    len_c, len_r = stats[0], stats[1]
    if len_c == 0:
        return 0.0
    log_precision = 0.0
    for n in range(ORDER):
        matches, total = stats[2 + 2 * n], stats[3 + 2 * n]
        if matches == 0 or total == 0:
            return 0.0
        log_precision += math.log(matches / total) / ORDER
    return math.exp(min(0.0, 1.0 - len_r / len_c) + log_precision)


class Gleu(evaluate.Metric):
    """GLEU for grammar correction."""

    def _info(self) -> evaluate.MetricInfo:
        """Describe the metric and its inputs: source, correction and references per sentence."""
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

    def _compute(self, sources: list[str], predictions: list[str], references: list[list[str]]) -> dict[str, float]:
        """Corpus GLEU, averaged over reference positions."""
        if any(not refs for refs in references):
            raise ValueError("every sentence needs at least one reference")
        positions = max((len(refs) for refs in references), default=1)
        scores = []
        for k in range(positions):
            totals = [0] * (2 + 2 * ORDER)
            for source, prediction, refs in zip(sources, predictions, references, strict=True):
                for j, value in enumerate(sentence_stats(source, prediction, refs[k % len(refs)])):
                    totals[j] += value
            scores.append(corpus_gleu(totals))
        return {"gleu": sum(scores) / len(scores)}
