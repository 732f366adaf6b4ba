"""Sentence boundaries: spans and sentences of a text, line breaks kept as boundaries."""

from __future__ import annotations

import re

_ABBREVIATIONS = ("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "u.s")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9ÀÁÂÄÇÉÈÊËÍÎÏÑÓÔÖÚÛÜ¿¡])")


_LINE = re.compile(r"[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")  # what str.splitlines keeps


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at end punctuation followed by a capital, and at line breaks.

    Common abbreviations and initials do not end a sentence; spans exclude surrounding whitespace.
    """
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            first = start + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(stripped)))

    for line in _LINE.finditer(text):
        start, paragraph = line.start(), line.group()
        for match in _SENTENCE_END.finditer(paragraph):
            head = paragraph[start - line.start() : match.start()].rstrip()
            last_word = head.rsplit(None, 1)[-1].rstrip(".").lower() if head.split() else ""
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            add(start, line.start() + match.end())
            start = line.start() + match.end()
        add(start, line.end())
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (see sentence_spans)."""
    return [text[start:end] for start, end in sentence_spans(text)]


# What joins a praise to a criticism: a semicolon or colon, or a contrasting conjunction.
_CONTRAST = re.compile(
    r"\s*[;:]\s+|,?\s+\b(?:but|however|although|though|whereas|while|yet|on the other hand)\b,?\s+", re.IGNORECASE
)
_OPENING_CONTRAST = re.compile(r"^(?:although|though|while|whereas)\s+", re.IGNORECASE)
MIN_CLAUSE_WORDS = 3


def contrast_clauses(text: str) -> list[str]:
    """The parts of a text that a contrast separates ("The room was tiny, but breakfast was lovely." gives two),
    sentence by sentence; parts under three words stay with no clause of their own."""
    parts: list[str] = []
    for sentence in split_sentences(text):
        body = sentence.strip()
        pieces: list[str] = []
        if _OPENING_CONTRAST.match(body):  # "Although A, B": the concession ends at its first comma
            head, _, body = _OPENING_CONTRAST.sub("", body).partition(", ")
            pieces.append(head)
        pieces += _CONTRAST.split(body)
        parts += [p.strip(" ,.;:") for p in pieces if len(p.split()) >= MIN_CLAUSE_WORDS]
    return parts
