"""The check stage: after a task that writes text has answered, say where its answer is not backed by its input.

A task names the output field its checks read (`TaskSpec.checked`) and the checks that apply to it
(`TaskSpec.checks`): functions of (context, inputs, output) that return `Check`s, each a kind, a one-line message
and the character span of the checked text it is about. The stage (`run_checks`) adds `checks` to the final
output, empty when nothing was flagged, so the Python API, the CLI, batch files, HTTP, MCP and the run record all
carry them. Every text-writing task also gets the checks that need no source (`repeated`).

Kinds: `untranslated` (a translated sentence still in the source language), `unsupported` (a number or name the
input or passages do not contain, or a sentence none of theirs is close to), `length` (a summary longer than
asked), `meaning` (a rewrite whose meaning moved away from its input), `repeated` (a sentence written again, the
loop of a small model), and `unchecked` (a check that failed to run, with an empty span: the answer is then not
known to be sound).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from playground.text.facts import unsupported_facts
from playground.text.sentences import sentence_spans

if TYPE_CHECKING:
    from playground.runtime.context import TaskContext

log = logging.getLogger(__name__)
KINDS = ("untranslated", "unsupported", "length", "meaning", "repeated", "unchecked")


@dataclass(frozen=True)
class Check:
    """One flagged span of an output's checked text: [start, end) in characters, and what is wrong with it."""

    kind: str
    message: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Checker = Callable[["TaskContext", dict[str, Any], dict[str, Any]], list[Check]]


def unsupported(
    text: str, sources: Sequence[str], where: str = "the input", kinds: tuple[str, ...] = ("number", "name")
) -> list[Check]:
    """An `unsupported` check for each number and name (or only the `kinds` asked for) of text that the sources do
    not contain."""
    return [
        Check("unsupported", f"the {fact.kind} {fact.text!r} is not in {where}", fact.start, fact.end)
        for fact in unsupported_facts(text, sources)
        if fact.kind in kinds
    ]


def unsupported_claims(ctx: TaskContext, text: str, sources: Sequence[str], where: str, floor: float) -> list[Check]:
    """An `unsupported` check on each sentence of text (four words or more) whose embedding is not close to any
    sentence, or pair of neighbouring sentences, of the sources: a claim the sources do not make.

    The cosine floor is the caller's, chosen on labelled outputs (docs/checks.md).
    """
    spans = [(s, e) for s, e in sentence_spans(text) if len(text[s:e].split()) >= 4]
    said = [sentence for source in sources for sentence in _windows(source)]
    if not spans or not said:
        return []
    vectors = ctx.embedder.embed([text[s:e] for s, e in spans] + said)
    closeness = (vectors[: len(spans)] @ vectors[len(spans) :].T).max(axis=1)
    return [
        Check("unsupported", f"no sentence of {where} says this (closeness {c:.2f}, under {floor})", s, e)
        for (s, e), c in zip(spans, closeness, strict=True)
        if c < floor
    ]


def _windows(source: str) -> list[str]:
    """The sentences of a source and each pair of neighbouring ones (a claim may join two of them)."""
    sentences = [source[s:e] for s, e in sentence_spans(source)]
    return sentences + [f"{a} {b}" for a, b in pairwise(sentences)]


def repeated(text: str) -> list[Check]:
    """A `repeated` check on each sentence that repeats an earlier one word for word (a model stuck in a loop)."""
    seen: set[str] = set()
    found = []
    for start, end in sentence_spans(text):
        key = " ".join(text[start:end].lower().split())
        if len(key.split()) >= 3 and key in seen:
            found.append(Check("repeated", "this sentence repeats an earlier one", start, end))
        seen.add(key)
    return found


def sentences_beyond(text: str, most: int, asked: str) -> list[Check]:
    """A `length` check over the sentences of text past the `most` asked for (`asked` says how many, in words)."""
    spans = sentence_spans(text)
    if len(spans) <= most:
        return []
    message = f"{asked} were asked for; the answer has {len(spans)} sentences"
    return [Check("length", message, spans[most][0], spans[-1][1])]


def meaning_moved(ctx: TaskContext, source: str, text: str, floor: float) -> list[Check]:
    """A `meaning` check over the whole rewrite when it drops a number or name of its source, or when the cosine
    similarity of their embeddings is under `floor` (the rewrite says something else)."""
    if not text.strip() or " ".join(text.split()) == " ".join(source.split()):
        return []
    found = []
    dropped = list(dict.fromkeys(fact.text for fact in unsupported_facts(source, [text])))
    if dropped:
        listed = ", ".join(repr(d) for d in dropped[:5])
        found.append(Check("meaning", f"the rewrite drops {listed} from the input", 0, len(text)))
    vectors = ctx.embedder.embed([source, text])
    closeness = float(vectors[0] @ vectors[1])
    if closeness < floor:
        message = f"the rewrite's meaning moved away from the input (closeness {closeness:.2f}, under {floor})"
        found.append(Check("meaning", message, 0, len(text)))
    return found


def _valid(check: Check, text: str) -> bool:
    return check.kind in KINDS and 0 <= check.start <= check.end <= len(text)


def run_checks(
    checked: str, checkers: Sequence[Checker], ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]
) -> list[dict[str, Any]]:
    """The checks of a final output, in text order; a checker that fails is logged and says so as `unchecked`."""
    text = output.get(checked)
    if not isinstance(text, str):
        return []
    found = repeated(text)
    for checker in checkers:
        try:
            found += checker(ctx, inputs, output)
        except Exception as exc:  # a check must never cost the user the answer it checks
            log.exception("a check of %r failed", checked)
            name = getattr(checker, "__name__", "a check")
            found.append(Check("unchecked", f"{name} could not run ({type(exc).__name__})", 0, 0))
    kept = sorted({c for c in found if _valid(c, text)}, key=lambda c: (c.start, c.end, c.kind))
    return [c.to_dict() for c in kept]
