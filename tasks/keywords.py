"""Keywords: the key terms and phrases of a text for search engines, ranked, with an optional meta description.

Candidates are the text's own phrases of one or two words with no stop word. KeyBERT ranks them by embedding
similarity to the whole text with maximal marginal relevance, and a phrase that contains or is contained in one
ranked above it is skipped, so the list is not ten variants of one phrase. YAKE ranks phrases by statistics of the
text alone (no model). Phrase length, diversity and the skipping were chosen on the dev half of
assets/eval/keywords.jsonl (recall of the editor's terms in the top 10).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, row_text
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.text.textio import singular_words

TEMPLATE = "meta_description.j2"
_CLAUSE = re.compile(r"[^.,;:!?()\[\]{}\"“”\n]+")
_WORD = re.compile(r"[^\W_](?:[\w'’+.-]*[^\W_])?")
LONGEST = 2  # words per candidate: 2 recalled 0.40 of the editor's terms on dev, 3 recalled 0.34
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"s", "t", "don", "ll", "ve", "re", "just", "also", "like", "really", "lot"}


def candidates(text: str, longest: int = LONGEST) -> list[str]:
    """The text's phrases of 1 to `longest` words within a clause, lower-cased, with no stop word and not ending in a
    number, each once in order of first appearance."""
    found: dict[str, None] = {}
    for clause in _CLAUSE.findall(text.lower()):
        words = _WORD.findall(clause.replace("’", "'"))
        for size in range(1, longest + 1):
            for start in range(len(words) - size + 1):
                gram = words[start : start + size]
                if gram[-1].isdigit() or any(w in _STOP or len(w) < 2 for w in gram):
                    continue
                found.setdefault(" ".join(gram), None)
    return list(found)


def occurrences(keyword: str, text: str) -> int:
    """How often the keyword occurs in the text as whole words, ignoring case."""
    return len(re.findall(rf"(?<![\w]){re.escape(keyword)}(?![\w])", text.replace("’", "'"), re.IGNORECASE))


def _within(longer: str, shorter: str) -> bool:
    a, b = singular_words(longer), singular_words(shorter)
    return any(a[i : i + len(b)] == b for i in range(len(a) - len(b) + 1))


def distinct(ranked: Sequence[tuple[str, float]], n: int) -> list[tuple[str, float]]:
    """The first n phrases of a ranking, skipping one that contains or is contained in a phrase kept before it
    (plural and singular count as one: "heat pumps" holds "heat pump")."""
    kept: list[tuple[str, float]] = []
    for phrase, score in ranked:
        if not any(_within(phrase, k) or _within(k, phrase) for k, _ in kept):
            kept.append((phrase, score))
            if len(kept) == n:
                break
    return kept


def keybert(ctx: TaskContext, text: str, n: int, diversity: float) -> list[tuple[str, float]]:
    from keybert import KeyBERT
    from keybert.backend import BaseEmbedder

    class Embedder(BaseEmbedder):  # the task's embedder (any engine) as KeyBERT's backend
        def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
            return np.asarray(ctx.embedder.embed(list(documents)))

    phrases = candidates(text)
    if not phrases:
        return []
    vectorizer = CountVectorizer(analyzer=lambda _: phrases)  # the candidates above, whatever the document
    ranked = KeyBERT(model=Embedder()).extract_keywords(
        text, vectorizer=vectorizer, top_n=len(phrases), use_mmr=diversity > 0, diversity=diversity
    )
    return distinct([(str(k), float(s)) for k, s in ranked], n)


def yake(text: str, n: int) -> list[tuple[str, float]]:
    import yake as yake_lib

    extractor = yake_lib.KeywordExtractor(lan="en", n=3, top=n, dedupLim=0.7)
    # YAKE's score falls as relevance rises; 1 / (1 + score) puts it on the same "higher is better" scale.
    return [(k.lower(), 1.0 / (1.0 + float(s))) for k, s in extractor.extract_keywords(text)]


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text, n = inputs["text"], inputs["n"]
    ranked = keybert(ctx, text, n, inputs["diversity"]) if inputs["method"] == "keybert" else yake(text, n)
    keywords = [{"keyword": k, "score": round(s, 4), "count": occurrences(k, text)} for k, s in ranked]
    output: dict[str, Any] = {"keywords": keywords, "method": inputs["method"]}
    if not inputs["meta_description"]:
        yield output
        return
    terms = [k["keyword"] for k in keywords[:5]]
    prompt = as_prompt(ctx, ctx.render(TEMPLATE, text=text[:4000], keywords=terms), chat=True)
    description = ""
    for piece in ctx.llm.stream(prompt, ctx.params):
        description += piece
        yield {**output, "meta_description": description.strip()}
    yield {**output, "meta_description": " ".join(description.split())[:160]}


def _term(text: str) -> str:
    """A key term compared loosely: lower case, a plural -s dropped from each word."""
    return " ".join(singular_words(str(text)))


def recall_at_10(pred: Any, ref: Any, row: dict[str, Any]) -> float:
    """The share of the editor's terms (ref) among the first ten predicted."""
    found = {_term(k) for k in pred[:10]}
    return sum(_term(t) in found for t in ref) / len(ref)


def keyword_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """recall@10 over the set."""
    return {"recall@10": sum(map(recall_at_10, preds, refs, rows)) / len(preds)}


EVALUATION = EvalSpec(
    inputs=lambda row, rows: {"text": row_text(row, "text")},
    reference=lambda row: list(row["keywords"]),
    prediction=lambda output: [k["keyword"] for k in output["keywords"]],
    score=keyword_scores,
    item_score=recall_at_10,
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="keywords",
    title="Keywords",
    description="The key terms and phrases of a text for search engines, ranked: the text's own phrases, by "
    "embedding similarity to the whole text with diversity (KeyBERT), or by text statistics (YAKE). Optionally, a "
    "meta description of at most 160 characters written by the LLM.",
    inputs=(
        Input("text", "text", "Text", max_chars=60_000),
        Input("n", "integer", "How many", default=10, required=False, minimum=1, maximum=50),
        Input(
            "method",
            "choice",
            "Ranking",
            default="keybert",
            required=False,
            choices=("keybert", "yake"),
            help="keybert: similarity to the text's embedding, with diversity; yake: statistics, no model",
        ),
        Input(
            "diversity",
            "number",
            "Diversity",
            default=0.2,
            required=False,
            minimum=0.0,
            maximum=1.0,
            help="keybert only: 0 ranks by similarity alone; higher values avoid near-duplicate phrases",
        ),
        Input("meta_description", "flag", "Write a meta description", default=False, required=False),
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"keywords"}),
    run=run,
    display="keywords",
    embedder=DEFAULT_EMBEDDER,
    uses_llm=False,  # only the optional meta description is written by the LLM
    default_params={"max_new_tokens": 80, "temperature": 0.0},
    streams=True,
    order=45,
    examples="keywords.jsonl",
    group="Write",
)
