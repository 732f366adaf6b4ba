"""The facts of a text that can be checked exactly: its numbers (digits or number words) and its names.

A name is a capitalised word that does not start a sentence (nor follow a colon or an opening quote), or one that
starts a sentence and is capitalised again elsewhere in the same text; a number is a run of digits (with its
separators) or an English number word. `unsupported_facts` returns the spans of a text's facts that its sources do
not contain, which is what the checks flag as `unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from playground.text.sentences import sentence_spans

_POSSESSIVE = re.compile(r"['’]s$")
_CITATION = re.compile(r"\[\d+\]")  # a citation marker, [1], is not a number of the text
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_ONES += "seventeen eighteen nineteen"
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
NUMBER_WORDS = {word: n for n, word in enumerate(_ONES.split())} | _TENS | {"hundred": 100, "thousand": 1000}
# Capitalised words that are not names: pronouns, days and months are checked as names (a wrong day is a wrong fact).
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'll", "i'd", "ok", "okay", "mr", "mrs", "ms", "dr"})


@dataclass(frozen=True)
class Fact:
    """A number or a name of a text, with its span and the key it is compared by."""

    kind: str  # "number" or "name"
    text: str
    start: int
    end: int
    key: str


def _number_key(text: str) -> str:
    """Digits without thousands separators ("1,200" and "1200" are one number); a decimal comma becomes a point."""
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return text.replace(",", "")
    return text.replace(",", ".")


def numbers(text: str) -> list[Fact]:
    """The numbers of a text: digit runs, and number words (as their value)."""
    found = [Fact("number", m.group(), m.start(), m.end(), _number_key(m.group())) for m in _NUMBER.finditer(text)
             if not _CITATION.fullmatch(text, max(0, m.start() - 1), m.end() + 1)]  # fmt: skip
    for match in _WORD.finditer(text):
        value = NUMBER_WORDS.get(match.group().lower())
        if value is not None:
            found.append(Fact("number", match.group(), match.start(), match.end(), str(value)))
    return sorted(found, key=lambda f: f.start)


def names(text: str) -> list[Fact]:
    """The names of a text: capitalised words past a sentence's start, or at a start and capitalised elsewhere."""
    capitalised: list[tuple[re.Match[str], bool]] = []
    for start, end in sentence_spans(text) or [(0, len(text))]:
        first = True
        for match in _WORD.finditer(text, start, end):
            word = match.group()
            before = text[start : match.start()].rstrip()
            opens = first or before.endswith((":", '"', "“", "‘", "(", "-", "–", "—", "•", "*"))
            first = False
            if word[0].isupper() and word.lower() not in _NOT_NAMES and word.lower() not in NUMBER_WORDS:
                capitalised.append((match, opens))
    inside = {m.group() for m, opens in capitalised if not opens}
    return [Fact("name", m.group(), m.start(), m.end(), m.group().lower())
            for m, opens in capitalised if not opens or m.group() in inside]  # fmt: skip


def facts(text: str) -> list[Fact]:
    """The numbers and names of a text, in order."""
    return sorted([*numbers(text), *names(text)], key=lambda f: f.start)


def _known(sources: Iterable[str]) -> tuple[set[str], set[str]]:
    """The number keys and the lower-cased words of the sources."""
    keys: set[str] = set()
    words: set[str] = set()
    for source in sources:
        keys |= {f.key for f in numbers(source)}
        words |= {w.lower() for w in _WORD.findall(source)}
    return keys, words


def unsupported_facts(text: str, sources: Sequence[str]) -> list[Fact]:
    """The numbers and names of text that no source contains (a name in any case, a number in digits or words).

    A name is supported by the same word anywhere in the sources ("Paris" by "paris"), and also without a
    possessive or plural ending ("Anna's" by "Anna", "Mondays" by "Monday").
    """
    keys, words = _known(sources)
    missing = []
    for fact in facts(text):
        if fact.kind == "number":
            if fact.key not in keys:
                missing.append(fact)
        elif not {fact.key, _POSSESSIVE.sub("", fact.key), fact.key.removesuffix("s")} & words:
            missing.append(fact)
    return missing
