"""Question answering over a collection: retrieve passages, answer from them only, cite them, or say that the
documents do not say.

The small embedded model often answers beside the passages, so every generated answer is checked: when too few of
its words beyond the question's occur in one passage sentence (with its neighbours), or it says it does not know,
the answer shown is the passage sentence that best matches the question, if one is close enough, and else "the
documents do not say", pointing at the closest passage. `supported` says whether a passage holds the answer shown,
`source` where it came from, and the first citation is the passage it rests on, which its marker [1] points at.
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
from playground.runtime.checks import Check, unsupported
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, optional, required
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import as_prompt
from playground.tasks.search import COLLECTION
from playground.text.facts import unsupported_facts
from playground.text.questions import answer_type, offers, shared
from playground.text.sentences import sentence_spans

TEMPLATE = "qa.j2"
SUPPORT_THRESHOLD = 0.6  # the share of the answer's new content words that one passage sentence must hold
# How a passage sentence's match with a question is scored (best_sentence), and the match under which the documents
# do not answer it: chosen on the dev halves of assets/eval/qa.jsonl and qa-other.jsonl (docs/checks.md).
SHARED_WEIGHT = 0.3
TYPE_WEIGHT = 0.2
CLOSENESS_FLOOR = 0.75
HEADING_WORDS = 12  # a line with no closing punctuation and fewer words is a heading, never an answer
ABSTAINS = re.compile(r"\b(?:i don't know|i do not know|not (?:mentioned|stated|say|contain|provide)|no information)",
                      re.IGNORECASE)  # fmt: skip
LEAD_IN = re.compile(r"^(?:the\s+)?answer(?:\s+is)?\s*:\s*", re.IGNORECASE)  # "The answer is: 31 March"
# Function words say nothing about support; "I don't know" is supported by nothing.
_FUNCTION_WORDS = "i me my we our you your he she his her its them what which who whom when where how do does did has "
_FUNCTION_WORDS += "have had can could would will may also very just know don t"
_STOP = frozenset(STOPWORDS_EN) | frozenset(_FUNCTION_WORDS.split(" "))


def sentence_support(
    answer: str, question: str, hits: Sequence[Hit], around: tuple[int, int, int] | None = None
) -> tuple[float, int, str]:
    """How well one passage sentence (with its neighbours) holds the answer, the passage it is in, and that window.

    The score is the share of the answer's content words beyond the question's that occur in that window: the
    words an answer repeats from its question prove nothing. An answer with no such words scores 0. With `around`
    (passage, start, end), only the windows that hold that sentence count.
    """
    asked = set(words(question))
    content = [w for w in words(answer) if w not in _STOP and w not in asked]
    if not content or not hits:
        return 0.0, 0, ""
    best = (0.0, 0, "")
    for number, hit in enumerate(hits):
        spans = sentence_spans(hit.text) or [(0, len(hit.text))]
        for i in range(len(spans)):
            start, end = spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1]
            if around is not None and (number != around[0] or not start <= around[1] < end):
                continue
            text = hit.text[start:end]
            window = set(words(text))
            share = sum(w in window for w in content) / len(content)
            if share > best[0]:
                best = (share, number, text)
    return best


def cited(answer: str, count: int) -> list[int]:
    """The passage numbers an answer cites as [n], in order, each once (0-based)."""
    numbers = [int(n) - 1 for n in re.findall(r"\[(\d+)\]", answer)]
    return list(dict.fromkeys(n for n in numbers if 0 <= n < count))


def citation(hit: Hit, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    """A citation of a hit, or of the part of it between offsets start and end (relative to the hit's text)."""
    s, e = (0, len(hit.text)) if start is None or end is None else (start, end)
    return {"doc": hit.doc, "text": hit.text[s:e], "start": hit.start + s, "end": hit.start + e, "page": hit.page}


def is_heading(sentence: str) -> bool:
    """A title or heading line ("Brightwater Logistics - Leave Policy"): no closing punctuation, and short or with
    most of its words capitalised."""
    if sentence.rstrip().endswith((".", "!", ".)", '."', "”")):
        return False
    if sentence.rstrip().endswith("?"):  # a question in the passage (an FAQ's heading) answers nothing
        return True
    tokens = sentence.split()
    capitalised = sum(t[:1].isupper() or t[:1].isdigit() for t in tokens)
    return len(tokens) < HEADING_WORDS or capitalised > len(tokens) / 2


def best_sentence(ctx: TaskContext, question: str, hits: Sequence[Hit]) -> tuple[int, int, int, float]:
    """The passage sentence that best answers the question, over the passages (headings only if nothing else):
    (passage, start, end, match).

    The match is the cosine of the question's and the sentence's embeddings, plus SHARED_WEIGHT times the share of
    the question's content words the sentence holds, plus TYPE_WEIGHT when it holds a fact of the kind the question
    asks for (a time for "what time", a number for "how much") that the question does not name.
    """
    found = [(n, s, e) for n, hit in enumerate(hits) for s, e in sentence_spans(hit.text) or [(0, len(hit.text))]]
    prose = [f for f in found if not is_heading(hits[f[0]].text[f[1] : f[2]])] or found
    sentences = [hits[n].text[s:e] for n, s, e in prose]
    vectors = ctx.embedder.embed([question, *sentences])
    kind = answer_type(question)
    lexical = [SHARED_WEIGHT * shared(question, t, _STOP) + TYPE_WEIGHT * offers(kind, t, question) for t in sentences]
    match = vectors[1:] @ vectors[0] + np.array(lexical)
    best = int(np.argmax(match))
    return (*prose[best], float(match[best]))


def ranked_citations(hits: Sequence[Hit], first: int, span: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The citations of the passages, the one an answer rests on first (only the sentence `span` of it, if given)."""
    head = citation(hits[first], *span) if span else citation(hits[first])
    return [head, *(citation(h) for n, h in enumerate(hits) if n != first)]


def extractive(hits: Sequence[Hit], best: tuple[int, int, int, float], note: str) -> dict[str, Any]:
    """The passage sentence closest to the question when it is close enough; else "the documents do not say"."""
    number, start, end, closeness = best
    figures = {"closeness": round(closeness, 3), "citations": ranked_citations(hits, number, (start, end))}
    if closeness < CLOSENESS_FLOOR:
        return {"answer": not_said(hits[number]), "source": "none", "supported": False, **figures,
                "note": note + f"no passage sentence is close to the question (closeness {closeness:.2f}, under "
                f"{CLOSENESS_FLOOR})"}  # fmt: skip
    return {"answer": hits[number].text[start:end], "source": "extractive", "supported": True, **figures,
            "note": note + "the passage sentence that best matches the question"}  # fmt: skip


def marked(answer: str) -> str:
    """The answer citing its first citation: "Doors open at 7:45 [1]." (the marker before the closing stop)."""
    body = answer.rstrip(".!?")
    return f"{body} [1]{answer[len(body) :]}"


def not_said(closest: Hit) -> str:
    """The answer when no passage supports one: the documents do not say, and where to look."""
    return f"The documents do not say. The closest passage is [1], in {closest.doc}."


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    question, method = inputs["question"], inputs["method"]
    hits = search(default_store(), inputs["collection"], question, ctx.embedder, inputs["passages"])
    if not hits:
        yield {"answer": "The collection has no passages.", "source": "none", "supported": False, "citations": [],
               "note": "the collection has no passages"}  # fmt: skip
        return
    best = best_sentence(ctx, question, hits)
    if method == "extractive" or (method == "auto" and best[3] < CLOSENESS_FLOOR):
        # auto: when no sentence is close to the question, the documents do not say; the model is not asked
        yield extractive(hits, best, f"method={method}: ")
        return
    retrieved = [{"doc": h.doc, "text": h.text} for h in hits]
    prompt = as_prompt(ctx, ctx.render(TEMPLATE, question=question, retrieved=retrieved), chat=True)
    answer = ""
    for piece in ctx.llm.stream(prompt, ctx.params):
        answer += piece
        yield {"answer": answer.strip(), "source": "generated"}
    shown = LEAD_IN.sub("", re.sub(r"\s*\[\d+\]", "", answer).strip())
    shown = shown[:1].upper() + shown[1:]
    # In auto, the model may only rephrase the sentence that best answers the question (with its neighbours), and its
    # numbers and names must stand there: a price from another paragraph is not the answer.
    score, first, window = sentence_support(shown, question, hits, best[:3] if method == "auto" else None)
    invented = unsupported_facts(shown, [window, question])
    abstains = bool(ABSTAINS.search(shown))
    supported = score >= SUPPORT_THRESHOLD and not abstains and not invented and best[3] >= CLOSENESS_FLOOR
    if method == "auto" and not supported:
        why = ("says it does not know" if abstains else f"names {invented[0].text!r}, which its sentence lacks"
               if invented else f"is not held by the best passage sentence (support {score:.2f})")  # fmt: skip
        yield {
            **extractive(hits, best, f"the generated answer ({shown!r}) {why}; instead: "),
            "support": round(score, 3),
        }
        return
    # The answer cites the passage that holds it: its marker points at the first citation.
    figures = {"support": round(score, 3), "closeness": round(best[3], 3)}
    yield {"answer": marked(shown) if supported else shown, "source": "generated", "supported": supported,
           **figures, "citations": ranked_citations(hits, first)}  # fmt: skip


def grounded(ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
    """`unsupported` for each number and name of a generated answer that its passages (or the question) lack."""
    if output.get("source") != "generated":
        return []  # a passage sentence, or the answer that the documents do not say
    sources = [c["text"] for c in output.get("citations", [])] + [inputs["question"]]
    return unsupported(output["answer"], sources, "the passages")


# An eval row is {"question", "collection", "answers": [...], "evidence": {"doc", "contains"}, optional "passages",
# "method"}; or, for a question the documents do not answer, {"question", "collection", "answerable": false}.


def qa_reference(row: dict[str, Any]) -> dict[str, Any]:
    """The accepted answers and the evidence passage; none for a question the documents do not answer."""
    if row.get("answerable") is False:
        return {"answers": [], "evidence": None, "answerable": False}
    answers = row.get("answers", row.get("answer"))
    answers = [answers] if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        raise InputError("a qa eval item needs `answers`: the accepted answers, a list of strings "
                         "(or `answerable`: false for a question the documents do not answer)")  # fmt: skip
    return {"answers": answers, "evidence": passage(row.get("evidence")), "answerable": True}


def qa_prediction(output: dict[str, Any]) -> dict[str, Any]:
    """The answer, where it came from, whether a passage supports it, and the first citation."""
    citations = output.get("citations") or []
    first = {"doc": citations[0]["doc"], "text": citations[0]["text"]} if citations else None
    return {"answer": output["answer"], "source": output["source"], "citation": first,
            "supported": bool(output.get("supported"))}  # fmt: skip


def answer_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Whether the answer holds one of the accepted answers."""
    return any(contains(str(pred["answer"]), answer) for answer in ref["answers"])


def citation_correct(pred: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
    """Whether the first citation is the evidence passage."""
    return matches(pred.get("citation"), ref["evidence"])


def qa_item_score(pred: Any, ref: Any, row: dict[str, Any]) -> float:
    """Half for an answer holding a reference answer, half for a first citation on the evidence; for a question
    the documents do not answer, 1 for saying so."""
    if not ref["answerable"]:
        return float(not pred["supported"])
    return (answer_correct(pred, ref) + citation_correct(pred, ref)) / 2


def qa_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """Over answerable questions: answer_contains, citation_accuracy, the share answered from a passage sentence
    (extractive_share) and the share marked supported. Over the others: the share where the answer says that the
    documents do not say (refused_unanswerable). With both: the support decision's accuracy."""
    answerable = [(p, r) for p, r in zip(preds, refs, strict=True) if r["answerable"]]
    unanswerable = [p for p, r in zip(preds, refs, strict=True) if not r["answerable"]]
    result: dict[str, float] = {}
    if answerable:
        n = len(answerable)
        result |= {
            "answer_contains": sum(answer_correct(p, r) for p, r in answerable) / n,
            "citation_accuracy": sum(citation_correct(p, r) for p, r in answerable) / n,
            "extractive_share": sum(p["source"] == "extractive" for p, _ in answerable) / n,
            "supported_answerable": sum(p["supported"] for p, _ in answerable) / n,
        }
    if unanswerable:
        result["refused_unanswerable"] = sum(not p["supported"] for p in unanswerable) / len(unanswerable)
    if answerable and unanswerable:
        right = sum(p["supported"] for p, _ in answerable) + sum(not p["supported"] for p in unanswerable)
        result["support_accuracy"] = right / (len(answerable) + len(unanswerable))
    return result


def wrong_answer(pred: Any, ref: Any, row: dict[str, Any]) -> bool:
    """A real error: an answer missing the fact asked for, or any answer but "the documents do not say" to a
    question they do not answer."""
    return not answer_correct(pred, ref) if ref["answerable"] else bool(pred["supported"])


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
    error=wrong_answer,
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="qa",
    title="Question answering",
    description="Answer a question from a collection's passages only, citing them. A generated answer that no "
    "passage holds is replaced by the passage sentence that best matches the question, or, when none is close, by "
    "the answer that the documents do not say.",
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
    checked="answer",
    checks=(grounded,),
    display="answer",
    embedder=DEFAULT_EMBEDDER,
    helpers=("BM25",),
    default_params={"max_new_tokens": 96, "temperature": 0.0},
    streams=True,
    order=71,
    group="Documents",
)
