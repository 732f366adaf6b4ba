"""Documents cut into chunks: exact spans, overlap, long sentences, pages (no models)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from playground.documents.chunks import Chunk, chunk_document, chunk_text
from playground.documents.readers import Document, page_of, read_documents
from playground.documents.store import content_hash
from playground.text.sentences import sentence_spans
from tests.pdfmaker import write_pdf
from tests.strategies import FAST

# --- chunks -------------------------------------------------------------------------------------------------------

PROSE = (
    "The river rose in March. Farmers moved their cattle to the hills. The mayor opened the school as a shelter. "
    "By April the water had gone down.\nRepairs took the whole summer. The bridge reopened in September."
)


def assert_exact(text: str, chunks: Sequence[Chunk]) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.start : c.end] == c.text and c.text == c.text.strip() and c.text


def test_chunk_spans_are_exact_and_cover_every_sentence() -> None:
    chunks = chunk_text("river.txt", PROSE, max_chars=80)
    assert len(chunks) > 2
    assert_exact(PROSE, chunks)
    assert all(len(c.text) <= 80 for c in chunks)
    for start, end in sentence_spans(PROSE):
        assert any(c.start <= start and end <= c.end for c in chunks), PROSE[start:end]


def test_consecutive_chunks_share_one_sentence() -> None:
    chunks = chunk_text("river.txt", PROSE, max_chars=90)  # two sentences fit, three do not
    assert len(chunks) == 5
    for before, after in itertools.pairwise(chunks):
        last = sentence_spans(before.text)[-1]
        assert after.text.startswith(before.text[last[0] : last[1]])  # the previous chunk's last sentence
        assert after.start == before.start + last[0] and after.end > before.end
    no_overlap = chunk_text("river.txt", PROSE, max_chars=80, overlap=0)
    assert all(a.end < b.start for a, b in itertools.pairwise(no_overlap))


def test_whole_text_is_one_chunk_when_it_fits() -> None:
    [chunk] = chunk_text("river.txt", PROSE)
    assert (chunk.start, chunk.end, chunk.page) == (0, len(PROSE), None)


def test_no_chunk_is_a_copy_of_part_of_the_one_before() -> None:
    # The last sentence of the first chunk cannot share a chunk with the long one after it: repeating it alone
    # would make a passage with nothing new in it.
    text = "A" * 30 + ". " + "B" * 30 + ". " + "C" * 60 + "."
    chunks = chunk_text("d", text, max_chars=70)
    assert [(c.start, c.end) for c in chunks] == [(0, 63), (64, 125)]


def test_a_sentence_longer_than_the_limit_is_cut_at_spaces() -> None:
    long = " ".join(f"word{i:03d}" for i in range(60)) + "."  # 479 characters, no sentence end inside
    text = f"Short start. {long} Short end."
    chunks = chunk_text("long.txt", text, max_chars=100)
    assert_exact(text, chunks)
    assert all(len(c.text) <= 100 for c in chunks)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    for c in chunks:  # cut between words, never inside one
        assert c.start == 0 or text[c.start - 1] == " "
        assert c.end == len(text) or text[c.end] == " "


def test_a_word_longer_than_the_limit_is_cut_inside() -> None:
    text = "x" * 250
    chunks = chunk_text("w.txt", text, max_chars=100)
    assert [(c.start, c.end) for c in chunks] == [(0, 100), (100, 200), (200, 250)]


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12) | st.text(
    alphabet="xyz", min_size=40, max_size=90
)
SENTENCE = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(WORD, min_size=1, max_size=12),
    st.sampled_from([". ", "? ", "! ", ".\n", "\n\n", " ", ", "]),
)
TEXT = st.builds("".join, st.lists(SENTENCE, min_size=1, max_size=25)).map(lambda t: "  " + t if len(t) % 3 else t)


@FAST
@given(text=TEXT, max_chars=st.integers(20, 300), overlap=st.integers(0, 2))
def test_chunk_text_invariants(text: str, max_chars: int, overlap: int) -> None:
    chunks = chunk_text("doc", text, max_chars, overlap)
    assert_exact(text, chunks)
    assert all(len(c.text) <= max_chars for c in chunks)
    covered = np.zeros(len(text), dtype=bool)
    for c in chunks:
        covered[c.start : c.end] = True
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())  # every character of every sentence
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start and before.end < after.end  # always onward, never a repeat
        if overlap == 0 or after.start > before.end:
            assert not text[before.end : after.start].strip()  # a gap is whitespace only


PAGE = st.builds(" ".join, st.lists(SENTENCE.map(str.strip), min_size=0, max_size=8))


@FAST
@given(pages=st.lists(PAGE, min_size=1, max_size=5), max_chars=st.integers(30, 200))
def test_paged_chunks_never_cross_a_page(pages: list[str], max_chars: int) -> None:
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    document = Document("paged.pdf", "\n\n".join(pages), tuple(starts))
    chunks = chunk_document(document, max_chars)
    assert_exact(document.text, chunks)
    for c in chunks:
        assert c.page is not None and c.page == page_of(document, c.start) == page_of(document, c.end - 1)
        assert pages[c.page - 1][c.start - starts[c.page - 1] :].startswith(c.text)
    for number, page in enumerate(pages, 1):
        assert bool(page.strip()) == any(c.page == number for c in chunks)


def test_pdf_chunks_keep_their_page(tmp_path: Path) -> None:
    pages = [
        "Page one begins here. It talks about apples.\nApples are red.",
        "Page two is about bananas. Bananas are yellow. They grow in bunches.",
        "",
        "Page four ends the file. The last word is plum.",
    ]
    [document] = read_documents(write_pdf(tmp_path / "fruit.pdf", pages))
    chunks = chunk_document(document, max_chars=50)
    assert_exact(document.text, chunks)
    assert {c.page for c in chunks} == {1, 2, 4}
    for c in chunks:
        assert c.page == page_of(document, c.start) == page_of(document, c.end - 1)
    assert next(c for c in chunks if "plum" in c.text).page == 4
    assert next(c for c in chunks if "yellow" in c.text).page == 2
    # The same text without pages is one text, chunked across the page breaks, so it hashes differently.
    assert content_hash(document) != content_hash(Document(document.name, document.text))
