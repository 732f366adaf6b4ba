"""Summarization: abstractive with the LLM (map-reduce over long texts) or extractive by embedding centrality.

`length` (short, medium, long) sets how many sentences are asked for and the most words a summary may keep, as a
share of the input's words: the model's answer is cut at the last sentence that fits, so a summary is never a
paraphrase of the whole text, nor longer than it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import Any

import numpy as np

from playground.metrics import scores
from playground.runtime.checks import Check, sentences_beyond, unsupported, unsupported_claims
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import Baseline, EvalSpec, EvalTools, PublicSet, lead, references, row_text
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.text.sentences import split_sentences

TEMPLATE = "summarization.j2"
PROMPT_OVERHEAD = 64  # tokens the template and chat markup add around the text
# length: (the sentences asked for, the most words kept as a share of the input's words)
LENGTHS = {"short": ("one sentence", 0.2), "medium": ("two sentences", 0.35), "long": ("four or five sentences", 0.5)}
LENGTH_HELP = "short: one sentence, at most 20% of the text's words; medium: two, 35%; long: four or five, 50%"
MIN_WORDS = 12  # a summary may keep this many words even of a short text (never more than the text has)
DASHES = ("-", "–", "—")
MIN_CLAUSE = 6  # a clause cut shorter than this many words says too little; the sentence is cut at a word instead
TOKENS_PER_WORD = 2  # generous: the answer is cut to its word budget afterwards


def word_budget(text: str, length: str) -> int:
    """The most words a summary of text may keep."""
    words = len(text.split())
    return min(words, max(MIN_WORDS, int(words * LENGTHS[length][1])))


def fit_words(summary: str, budget: int) -> str:
    """The summary's leading sentences that fit in `budget` words; a first sentence too long ends at its last
    clause (a comma, semicolon or dash) that fits, or else at a word, marked with an ellipsis."""
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(summary):
        size = len(sentence.split())
        if used + size > budget:
            if not kept:
                return first_clauses(sentence, budget)
            break
        kept.append(sentence)
        used += size
    return " ".join(kept)


def first_clauses(sentence: str, budget: int) -> str:
    words = sentence.split()[: budget + 1]
    for end in range(budget, MIN_CLAUSE - 1, -1):
        if words[end - 1].endswith((",", ";", ":")) or (end < len(words) and words[end] in DASHES):
            return " ".join(words[:end]).rstrip(",;:–—- ") + "."
    return " ".join(words[:budget]).rstrip(",;:") + "…"


def extractive_count(sentences: int, length: str) -> int:
    """How many sentences an extractive summary keeps: one, a third (at most three), or half."""
    if length == "short":
        return 1
    if length == "long":
        return max(1, round(sentences / 2))
    return max(1, min(3, round(sentences / 3)))


def extractive(ctx: TaskContext, text: str, count: int | None = None) -> dict[str, Any]:
    """Pick the sentences most similar to the rest of the text, kept in their original order."""
    sentences = split_sentences(text)
    k = count or extractive_count(len(sentences), "medium")
    if len(sentences) <= k:
        return {"summary": " ".join(sentences), "selected": list(range(len(sentences)))}
    vectors = ctx.embedder.embed(sentences)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    centrality = similarity.sum(axis=1)
    chosen = sorted(int(i) for i in np.argsort(-centrality, kind="stable")[:k])
    return {"summary": " ".join(sentences[i] for i in chosen), "selected": chosen}


def chunks(ctx: TaskContext, text: str, budget: int) -> list[str]:
    """Split text at sentence ends into pieces of at most `budget` tokens each."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        n = ctx.llm.count_tokens(sentence) + 1
        if current and size + n > budget:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def abstractive(ctx: TaskContext, text: str, length: str = "medium") -> Iterator[dict[str, Any]]:
    """Summarize with the LLM; text beyond its context is summarized in chunks whose summaries are summarized."""
    words = word_budget(text, length)
    params = ctx.params
    budget = ctx.llm.context_length - params.max_new_tokens - PROMPT_OVERHEAD
    rounds = 0
    while ctx.llm.count_tokens(text) > budget:
        parts = chunks(ctx, text, budget)
        partial = [ctx.llm.generate(prompt(ctx, p, "medium", word_budget(p, "medium")), params).strip() for p in parts]
        text = "\n".join(s for s in partial if s)
        rounds += 1
        if rounds > 4:  # every round shrinks the text; this only guards against a model that echoes
            break
    params = ctx.with_params(max_new_tokens=min(params.max_new_tokens, words * TOKENS_PER_WORD + 8))
    summary = ""
    with closing(ctx.llm.stream(prompt(ctx, text, length, words), params)) as pieces:
        for piece in pieces:
            summary += piece
            if len(summary.split()) > words:
                break  # whatever comes next would be cut
            finished = split_sentences(summary)[:-1]  # the last sentence may still be growing
            if finished:
                yield {"summary": " ".join(finished)}
    yield {"summary": fit_words(summary.strip(), words), "map_reduce_rounds": rounds, "max_words": words}


def prompt(ctx: TaskContext, text: str, length: str, words: int) -> Any:
    """The summary request: `sentences` and `words` (the word budget) are there for the template to use."""
    values = {"text": text, "mode": "abstractive", "length": length, "sentences": LENGTHS[length][0], "words": words}
    return as_prompt(ctx, ctx.render(TEMPLATE, **values), chat=True)


def summarize(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text, length = inputs["text"], inputs["length"]
    if inputs["mode"] == "extractive":
        yield {**extractive(ctx, text, extractive_count(len(split_sentences(text)), length)), "mode": "extractive"}
        return
    for output in abstractive(ctx, text, length):
        yield {**output, "mode": "abstractive"}


_WORD = re.compile(r"\d[\d,.]*\d|[\w-]+")


def facts(text: str) -> set[str]:
    """The names and numbers of a text: numbers, and capitalised words past the first word of a sentence."""
    found = set()
    for sentence in split_sentences(text):
        for match in _WORD.finditer(sentence):
            word = match.group()
            if word[0].isdigit() or (word[0].isupper() and match.start() > 0):
                found.add(word.lower())
    return found


def summary_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """ROUGE against the reference; how long each summary is against its document (mean and most, in words);
    and the share of the reference's names and numbers found in the document that the summary keeps."""
    documents = [row_text(row, "document", "text") for row in rows]
    ratios = [len(str(p).split()) / max(1, len(d.split())) for p, d in zip(preds, documents, strict=True)]
    kept = []
    for pred, ref, document in zip(preds, refs, documents, strict=True):
        wanted = facts(ref[0]) & facts(document)
        if wanted:
            have = {w.lower() for w in _WORD.findall(str(pred))}
            kept.append(len(wanted & have) / len(wanted))
    return {
        **scores.rouge(preds, refs),
        "length_ratio": sum(ratios) / len(ratios),
        "length_ratio_max": max(ratios),
        **({"facts_kept": sum(kept) / len(kept)} if kept else {}),
    }


# A summary sentence whose closest sentence (or pair) of the text is under this cosine makes a claim the text does
# not: chosen on the dev half of assets/eval/checks.jsonl (docs/checks.md).
CLAIM_FLOOR = 0.9
SENTENCES_ASKED = {"short": 1, "medium": 2, "long": 5}  # the most sentences each length asks for


def summary_checks(ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
    """`unsupported` for a number or name the text does not hold; `length` for sentences past those asked for, and
    for words past the length's budget (an extractive summary keeps whole sentences, so it can run over)."""
    summary, length = output["summary"], inputs["length"]
    found = unsupported(summary, [inputs["text"]], "the text")
    found += unsupported_claims(ctx, summary, [inputs["text"]], "the text", CLAIM_FLOOR)
    found += sentences_beyond(summary, SENTENCES_ASKED[length], f"{LENGTHS[length][0].capitalize()}")
    budget = word_budget(inputs["text"], length)
    if len(summary.split()) > budget:
        starts = [m.start() for m in re.finditer(r"\S+", summary)]
        message = f"the {length} length keeps at most {budget} words; the summary has {len(starts)}"
        found.append(Check("length", message, starts[budget], len(summary)))
    return found


EVALUATION = EvalSpec(
    inputs=lambda row, rows: {"text": row_text(row, "document", "text"), "mode": row.get("mode", "abstractive")},
    reference=references,
    prediction=lambda output: output["summary"],
    score=summary_scores,
    item_score=scores.sentence_rouge_l,
    baseline=Baseline("first sentence", lambda rows, other: [lead(row_text(r, "document", "text")) for r in rows]),
    public_sets=(PublicSet("summ-xsum.jsonl", ("rougeL", "facts_kept", "flagged")),),
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="summarization",
    title="Summarization",
    description="Abstractive: the LLM writes a summary (long texts are summarized in chunks, then together). "
    "Extractive: the most central sentences are picked by their embeddings.",
    inputs=(
        Input("text", "text", "Text", max_chars=60_000),
        Input("mode", "choice", "Mode", default="abstractive", required=False, choices=("abstractive", "extractive")),
        Input("length", "choice", "Length", default="medium", required=False, choices=tuple(LENGTHS), help=LENGTH_HELP),
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"sentences", "words"}),
    run=summarize,
    checked="summary",
    checks=(summary_checks,),
    embedder="minilm-l6-v2",
    default_params={"max_new_tokens": 160, "repetition_penalty": 1.1},
    streams=True,
    order=30,
    group="Write",
    examples="summarization.jsonl",
)
