"""What a question asks for, and how well a sentence could answer it, without a model.

`answer_type` reads the kind of fact a question wants from its wording ("what time" wants a time, "how much" a
number, "who" a name), `offers` says whether a sentence holds a fact of that kind beyond the question's own, and
`shared` is the share of the question's content words that a sentence repeats. QA adds both to the embedding
closeness of question and sentence, so that among sentences on the question's topic the one holding the fact
asked for comes first (docs/checks.md has the figures).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from playground.text.facts import facts

_TIME = re.compile(r"\b\d{1,2}[.:]\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:noon|midnight)\b", re.IGNORECASE)
_DAY = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|today|tomorrow|week|weeks|month|months|year|years)\b",
    re.IGNORECASE,
)
_HOW_MUCH = (
    r"\bhow (?:much|many|long|often|far|old|big|heavy|fast)\b"
    r"|\bwhat (?:size|percentage|age|speed|level|temperature|price|fee|cost|number)\b"
)
# The wording of a question and the kind of fact it asks for, first match wins.
_TYPES = (
    ("time", re.compile(r"\bwhat time\b|\bhow (?:early|late)\b|\bby what time\b|\bat what time\b")),
    ("date", re.compile(r"\bwhen\b|\bwhat (?:date|day)\b|\bwhich (?:date|day|month|year)\b|\bby what date\b")),
    ("number", re.compile(_HOW_MUCH)),
    ("name", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (?:company|firm|person|teacher|doctor|team|shop)\b")),
    ("place", re.compile(r"\bwhere\b|\bwhich (?:town|city|room|street|building|place)\b")),
)
ANSWER_TYPES = tuple(name for name, _ in _TYPES)
_WORD = re.compile(r"[^\W_]+")


def answer_type(question: str) -> str | None:
    """The kind of fact the question asks for (time, date, number, name, place), or None when its wording does not
    say (a "what" or "why" question)."""
    lowered = question.lower()
    return next((name for name, pattern in _TYPES if pattern.search(lowered)), None)


def offers(kind: str | None, sentence: str, question: str) -> bool:
    """Whether the sentence holds a fact of the kind asked for that the question does not already name."""
    if kind is None:
        return False
    asked = {fact.key for fact in facts(question)}
    new = [fact for fact in facts(sentence) if fact.key not in asked]
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "date":
        return bool(_TIME.search(sentence) or _DAY.search(sentence)) or any(f.kind == "number" for f in new)
    if kind == "number":
        return any(f.kind == "number" for f in new)
    return any(f.kind == "name" for f in new)


def shared(question: str, sentence: str, stop: Collection[str]) -> float:
    """The share of the question's content words (not in `stop`) that the sentence holds, compared by their first
    five letters so that "charge" meets "charges" and "holiday" meets "holidays"."""
    asked = {w[:5] for w in _WORD.findall(question.lower()) if w not in stop}
    if not asked:
        return 0.0
    held = {w[:5] for w in _WORD.findall(sentence.lower())}
    return len(asked & held) / len(asked)
