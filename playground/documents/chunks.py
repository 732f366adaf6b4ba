"""Documents cut into overlapping passages at sentence boundaries, each knowing its place in the original text."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from playground.documents.readers import Document
from playground.text.sentences import sentence_spans

MAX_CHARS = 700  # about 150 MiniLM tokens: well inside its 256-token window, small enough to cite
OVERLAP = 1  # sentences repeated at the start of the next chunk, so an answer across a cut is in one chunk


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: its text is exactly document.text[start:end]."""

    doc: str
    index: int
    text: str
    start: int
    end: int
    page: int | None = None  # the page the chunk starts on, for documents with pages (PDF)


def _pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than max_chars cut at spaces into pieces that fit."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        while end - start > max_chars:
            cut = text.rfind(" ", start + 1, start + max_chars + 1)
            cut = cut if cut > start else start + max_chars  # no space: cut inside the word
            spans.append((start, cut))
            start = cut + len(text[cut:end]) - len(text[cut:end].lstrip())
        if end > start:
            spans.append((start, end))
    return spans


def chunk_text(doc: str, text: str, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[Chunk]:
    """Group consecutive sentences into chunks of at most max_chars; each starts with the previous one's tail."""
    spans = _pieces(text, max_chars)
    chunks: list[Chunk] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= max_chars:
            last += 1
        start, end = spans[first][0], spans[last][1]
        chunks.append(Chunk(doc, len(chunks), text[start:end], start, end))
        if last + 1 >= len(spans):
            break
        first = max(last + 1 - overlap, first + 1)  # always move on, even when one sentence fills a chunk
        while first <= last and spans[last + 1][1] - spans[first][0] > max_chars:
            first += 1  # repeat only what fits beside the next sentence: a chunk with nothing new is a copy
    return chunks


def chunk_document(document: Document, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[Chunk]:
    """A document's chunks; a document with pages (PDF) is chunked page by page, so every chunk has one page."""
    if not document.pages:
        return chunk_text(document.name, document.text, max_chars, overlap)
    chunks: list[Chunk] = []
    bounds = [*document.pages, len(document.text)]
    for page, (start, end) in enumerate(itertools.pairwise(bounds), 1):
        for piece in chunk_text(document.name, document.text[start:end], max_chars, overlap):
            chunks.append(Chunk(document.name, len(chunks), piece.text, start + piece.start, start + piece.end, page))
    return chunks


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, underscore), for keyword matching and highlighting."""
    return [w.lower() for w in _WORD.findall(text)]
