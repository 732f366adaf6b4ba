"""Question answering over a collection: retrieve passages, answer from them only, cite them.

The small embedded model often answers beside the passages, so every generated answer is checked: when too few of
its content words occur in the passages, the answer shown is the passage sentence that best matches the question,
and `source` says which one the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from playground.core.errors import InputError
from playground.documents.chunks import words
from playground.documents.references import contains, matches, passage
from playground.documents.search import Hit, search
from playground.documents.store import default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, optional, required
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.tasks.search import COLLECTION
from playground.text.sentences import sentence_spans

TEMPLATE = "qa.j2"
SUPPORT_THRESHOLD = 0.6  # the share of the answer's content words that must occur in the passages
# Function words say nothing about support; "I don't know" is supported by nothing.
_FUNCTION_WORDS = "i me my we our you your he she his her its them what which who whom when where how do does did has "
_FUNCTION_WORDS += "have had can could would will may also very just know don t"
_STOP = frozenset(STOPWORDS_EN) | frozenset(_FUNCTION_WORDS.split(" "))


def support(answer: str, hits: Sequence[Hit]) -> float:
    """The share of the answer's content words (not stop words) that occur in the passages; 0 for no words."""
    content = [w for w in words(answer) if w not in _STOP]
    if not content:
        return 0.0
    present = set().union(*(words(h.text) for h in hits)) if hits else set()
    return sum(w in present for w in content) / len(content)


def cited(answer: str, count: int) -> list[int]:
    """The passage numbers an answer cites as [n], in order, each once (0-based)."""
    numbers = [int(n) - 1 for n in re.findall(r"\[(\d+)\]", answer)]
    return list(dict.fromkeys(n for n in numbers if 0 <= n < count))


def citation(hit: Hit, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    """A citation of a hit, or of the part of it between offsets start and end (relative to the hit's text)."""
    s, e = (0, len(hit.text)) if start is None or end is None else (start, end)
    return {"doc": hit.doc, "text": hit.text[s:e], "start": hit.start + s, "end": hit.start + e, "page": hit.page}


def best_sentence(ctx: TaskContext, question: str, hit: Hit) -> tuple[int, int]:
    """The span (in the hit's text) of its sentence closest in meaning to the question."""
    spans = sentence_spans(hit.text) or [(0, len(hit.text))]
    vectors = ctx.embedder.embed([question, *(hit.text[s:e] for s, e in spans)])
    return spans[int(np.argmax(vectors[1:] @ vectors[0]))]


def extractive(ctx: TaskContext, question: str, hits: Sequence[Hit], note: str) -> dict[str, Any]:
    start, end = best_sentence(ctx, question, hits[0])
    citations = [citation(hits[0], start, end), *(citation(h) for h in hits[1:])]
    return {"answer": hits[0].text[start:end], "source": "extractive", "citations": citations, "note": note}


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    question = inputs["question"]
    hits = search(default_store(), inputs["collection"], question, ctx.embedder, inputs["passages"])
    if not hits:
        yield {"answer": "", "source": "none", "citations": [], "note": "the collection has no passages"}
        return
    if inputs["method"] == "extractive":
        yield extractive(ctx, question, hits, "the best-matching sentence of the best passage (method=extractive)")
        return
    retrieved = [{"doc": h.doc, "text": h.text} for h in hits]
    prompt = as_prompt(ctx, ctx.render(TEMPLATE, question=question, retrieved=retrieved), chat=True)
    answer = ""
    for piece in ctx.llm.stream(prompt, ctx.params):
        answer += piece
        yield {"answer": answer.strip(), "source": "generated"}
    answer = answer.strip()
    order = cited(answer, len(hits))
    shown = re.sub(r"\s*\[\d+\]", "", answer).strip()
    score = round(support(shown, [hits[i] for i in order] or hits), 3)
    if inputs["method"] == "auto" and score < SUPPORT_THRESHOLD:
        note = f"the generated answer ({answer!r}) is not supported by the passages (support {score}); shown instead: "
        yield {**extractive(ctx, question, hits, note + "the best-matching sentence of the best passage"),
               "support": score}  # fmt: skip
        return
    # The passage the answer rests on comes first: the one it cites, else the one that holds most of its words.
    by_support = sorted(range(len(hits)), key=lambda i: -support(shown, [hits[i]]))
    ranked = order + [i for i in by_support if i not in order]
    yield {"answer": answer, "source": "generated", "support": score,
           "citations": [citation(hits[i]) for i in ranked]}  # fmt: skip


# An eval row is {"question", "collection", "answers": [...], "evidence": {"doc", "contains"}, optional "passages",
# "method"}.


def qa_reference(row: dict[str, Any]) -> dict[str, Any]:
    """The accepted answers and the evidence passage."""
    answers = row.get("answers", row.get("answer"))
    answers = [answers] if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        raise InputError("a qa eval item needs `answers`: the accepted answers, a list of strings")
    return {"answers": answers, "evidence": passage(row.get("evidence"))}


def qa_prediction(output: dict[str, Any]) -> dict[str, Any]:
    """The answer, where it came from, and the first citation."""
    citations = output.get("citations") or []
    first = {"doc": citations[0]["doc"], "text": citations[0]["text"]} if citations else None
    return {"answer": output["answer"], "source": output["source"], "citation": first}


def answer_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Whether the answer holds one of the accepted answers."""
    return any(contains(str(pred["answer"]), answer) for answer in ref["answers"])


def citation_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Whether the first citation is the evidence passage."""
    return matches(pred.get("citation"), ref["evidence"])


def qa_item_score(pred: Any, ref: Any, row: dict[str, Any]) -> float:
    """Half for an answer holding a reference answer, half for a first citation on the evidence."""
    return (answer_correct(pred, ref) + citation_correct(pred, ref)) / 2


def qa_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """answer_contains, citation_accuracy, and the share of answers that were a passage's sentence (extractive)."""
    pairs = list(zip(preds, refs, strict=True))
    n = len(pairs)
    return {
        "answer_contains": sum(answer_correct(p, r) for p, r in pairs) / n,
        "citation_accuracy": sum(citation_correct(p, r) for p, r in pairs) / n,
        "extractive_share": sum(p["source"] == "extractive" for p in preds) / n,
    }


EVALUATION = EvalSpec(
    inputs=lambda row, rows: {
        "question": required(row, "question"),
        "collection": required(row, "collection"),
        **optional(row, "passages", "method"),
    },
    reference=qa_reference,
    prediction=qa_prediction,
    score=qa_scores,
    item_score=qa_item_score,
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="qa",
    title="Question answering",
    description="Answer a question from a collection's passages only, citing them. A generated answer whose words "
    "are not in the passages is replaced by the passage sentence that best matches the question.",
    inputs=(
        Input("question", "text", "Question", max_chars=2_000),
        COLLECTION,
        Input("passages", "integer", "Passages to read", default=3, required=False, minimum=1, maximum=10),
        Input(
            "method",
            "choice",
            "Answer",
            default="auto",
            required=False,
            choices=("auto", "generate", "extractive"),
            help="auto: the generated answer when the passages support it, else the best sentence; "
            "generate: always the generated one; extractive: always the best sentence",
        ),
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"retrieved"}),
    run=run,
    display="answer",
    embedder=DEFAULT_EMBEDDER,
    helpers=("BM25",),
    default_params={"max_new_tokens": 96, "temperature": 0.0},
    streams=True,
    order=71,
    group="Documents",
)
