"""Document collections without a real model (chunks are in test_documents_chunks.py): the Qdrant store (local mode,
one folder per test), hybrid search with embedders whose vectors the tests choose, add_files, and the search and qa
tasks on the fake pool. Real models and the CLI are in test_documents_models.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from playground.core.errors import InputError
from playground.documents.chunks import chunk_document
from playground.documents.indexing import add_files
from playground.documents.readers import Document, read_documents
from playground.documents.search import search
from playground.documents.store import DocumentStore, check_name, content_hash, default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER, ModelRef
from playground.service import api
from tests.fakes import FakeBackend, FakePool
from tests.pdfmaker import write_pdf

DIM = 8


def unit(*xs: float) -> list[float]:
    """A vector of DIM numbers starting with xs (zeros after)."""
    return [*xs, *[0.0] * (DIM - len(xs))]


class Steered(FakeBackend):
    """An embedder whose vectors a test chooses: `rule` maps each text to its (unnormalised) vector."""

    def __init__(self, rule: Callable[[str], Sequence[float]], name: str = "steered") -> None:
        super().__init__(ModelRef(name, "sentence-transformers", ""))
        self.rule = rule

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.history.append(("embed", list(texts)))
        vectors = np.array([self.rule(t) for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fake(name: str = "fake-embedder") -> FakeBackend:
    return FakeBackend(ModelRef(name, "sentence-transformers", ""))


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(path=tmp_path / "q")


def items(count: int, extra: dict[int, str] | None = None) -> list[Document]:
    """`count` one-chunk documents "Item NN. ..." (vector rank NN+1 under `by_item`), some with extra words."""
    extra = extra or {}
    return [
        Document(f"item{i:02d}.txt", f"Item {i:02d}. {extra.get(i, 'Plain filler words here.')}") for i in range(count)
    ]


def by_item(text: str) -> list[float]:
    """Item i lies at a growing angle from the query direction (1, 0, ...): vector rank i + 1."""
    match = re.match(r"Item (\d+)", text)
    return unit(1.0, 0.1 * int(match.group(1))) if match else unit(1.0)


# --- the store ----------------------------------------------------------------------------------------------------


def test_add_unchanged_replaced_and_counts(store: DocumentStore) -> None:
    embedder = fake()
    a, b = Document("a.txt", "Alpha is short."), Document("b.txt", "Bravo is short too.")
    assert store.add("notes", [a, b], embedder) == {"a.txt": "added", "b.txt": "added"}
    assert store.names() == ["notes"] and store.count("notes") == 2
    embedder.history.clear()
    assert store.add("notes", [a], embedder) == {"a.txt": "unchanged"}
    assert not embedder.history  # nothing embedded for an unchanged document

    longer = Document("a.txt", " ".join(f"Sentence number {i} says a little more about alpha." for i in range(40)))
    assert store.add("notes", [longer], embedder) == {"a.txt": "replaced"}
    files = {f.doc: f for f in store.files("notes")}
    assert files["a.txt"].chunks == len(chunk_document(longer)) > 1
    assert files["a.txt"].sha256 == content_hash(longer) and files["a.txt"].chars == len(longer.text)
    assert files["b.txt"].chunks == 1
    assert store.count("notes") == files["a.txt"].chunks + 1
    assert [c.text for c in store.chunks("notes") if c.doc == "a.txt"] == [c.text for c in chunk_document(longer)]

    assert store.add("notes", [a], embedder) == {"a.txt": "replaced"}  # back to one chunk: the old ones are gone
    assert store.count("notes") == 2


def test_remove_documents_then_the_collection(store: DocumentStore) -> None:
    embedder = fake()
    store.add("one", [Document("a.txt", "Alpha."), Document("b.txt", "Bravo.")], embedder)
    store.add("two", [Document("c.txt", "Charlie.")], embedder)
    assert store.names() == ["one", "two"]
    assert store.remove("one", ["a.txt"]) == ["a.txt"]
    assert [f.doc for f in store.files("one")] == ["b.txt"]
    with pytest.raises(InputError, match=r"no document 'a\.txt'"):
        store.remove("one", ["a.txt"])
    assert store.remove("one") == ["one"]
    assert store.names() == ["two"]


def test_unknown_collection_lists_the_collections(store: DocumentStore) -> None:
    store.add("beta", [Document("a.txt", "Alpha.")], fake())
    store.add("alpha", [Document("a.txt", "Alpha.")], fake())
    for call in (
        lambda: store.files("gamma"),
        lambda: store.remove("gamma"),
        lambda: search(store, "gamma", "x", fake()),
    ):
        with pytest.raises(InputError) as info:
            call()
        assert "no collection 'gamma' (collections: alpha, beta)" in str(info.value)


def test_unknown_collection_in_an_empty_store(store: DocumentStore) -> None:
    with pytest.raises(InputError, match="collections: none yet"):
        store.count("anything")


@pytest.mark.parametrize("name", ["", " ", "-lead", ".hidden", "a b", "x/y", "../up", "é", "x" * 65, None, 7])
def test_bad_collection_names_are_refused(store: DocumentStore, name: object) -> None:
    with pytest.raises(InputError, match="collection name"):
        check_name(name)
    with pytest.raises(InputError, match="collection name"):
        store.add(name, [Document("a.txt", "Alpha.")], fake())  # type: ignore[arg-type]
    assert store.names() == []


@pytest.mark.parametrize("name", ["a", "Notes_2024", "v1.2-final", "x" * 64])
def test_good_collection_names(name: str) -> None:
    assert check_name(f" {name} ") == name


def test_another_embedder_is_refused(store: DocumentStore) -> None:
    store.add("c", [Document("a.txt", "Alpha.")], fake("emb-a"))
    with pytest.raises(InputError, match="built with the embedder 'emb-a'"):
        store.add("c", [Document("b.txt", "Bravo.")], fake("emb-b"))
    with pytest.raises(InputError, match="built with the embedder 'emb-a'"):
        search(store, "c", "alpha", fake("emb-b"))
    assert store.embedder_of("c") == "emb-a" and store.count("c") == 1


def test_an_emptied_collection_searches_and_takes_any_embedder(store: DocumentStore) -> None:
    store.add("c", [Document("a.txt", "Alpha.")], Steered(lambda t: unit(1.0), name="small"))
    store.remove("c", ["a.txt"])
    assert store.names() == ["c"] and store.count("c") == 0
    assert search(store, "c", "alpha", fake()) == []
    wide = Steered(lambda t: [1.0] * 12, name="wide")  # another embedder, another vector size
    assert store.add("c", [Document("b.txt", "Bravo.")], wide) == {"b.txt": "added"}
    assert [h.doc for h in search(store, "c", "bravo", wide)] == ["b.txt"]


def test_stop_words_only_collection_searches(store: DocumentStore) -> None:
    store.add("c", [Document("a.txt", "It is to be, or not to be.")], fake())
    hits = search(store, "c", "is it alpha", fake())
    assert [h.doc for h in hits] == ["a.txt"] and hits[0].keyword_rank is None and hits[0].vector_rank == 1


def test_default_store_is_one_per_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.delenv("QDRANT_URL", raising=False)
    assert default_store() is default_store()
    assert default_store().path == tmp_path / "qdrant"


# --- hybrid search ------------------------------------------------------------------------------------------------


def test_fusion_puts_a_chunk_both_rankings_found_first(store: DocumentStore) -> None:
    # 30 items: the vector ranking lists the 20 nearest (items 0-19), BM25 lists the two with "zebra".
    docs = items(30, {2: "A zebra walked past the gate and stopped.", 25: "Zebra zebra."})
    embedder = Steered(by_item)
    store.add("zoo", docs, embedder)
    hits = {h.doc: h for h in search(store, "zoo", "zebra", embedder, top_k=4)}
    first = next(iter(hits.values()))
    assert first.doc == "item02.txt"
    assert (first.vector_rank, first.keyword_rank) == (3, 2)
    assert first.score == pytest.approx(1 / 63 + 1 / 62, abs=1e-6)
    assert (hits["item00.txt"].vector_rank, hits["item00.txt"].keyword_rank) == (1, None)
    assert (hits["item25.txt"].vector_rank, hits["item25.txt"].keyword_rank) == (None, 1)
    assert hits["item25.txt"].similarity is None and hits["item25.txt"].text == "Item 25. Zebra zebra."
    assert hits["item00.txt"].score == hits["item25.txt"].score == pytest.approx(1 / 61, abs=1e-6)
    assert first.score > hits["item00.txt"].score


@pytest.mark.parametrize("query", ["P-7731", "Where is Quillfeather?", "ticket p-7731"])
def test_codes_and_rare_names_are_found_by_keywords(store: DocumentStore, query: str) -> None:
    notes = {3: "Parcel P-7731 left the depot late.", 4: "Ms Quillfeather signed for it."}

    def rule(text: str) -> list[float]:
        if text == query:
            return unit(1.0)
        if "P-7731" in text or "Quillfeather" in text:
            return unit(-1.0, 0.2)  # the embedder puts the right chunk furthest from the query
        return by_item(text)

    embedder = Steered(rule)
    store.add("depot", items(8, notes), embedder)
    hits = search(store, "depot", query, embedder, top_k=8)
    wanted = "item04.txt" if "Quillfeather" in query else "item03.txt"
    assert hits[0].doc == wanted
    assert hits[0].keyword_rank == 1
    assert hits[0].vector_rank in (7, 8)  # last but (for the other note) one: the vectors alone would bury it
    assert hits[0].similarity is not None and hits[0].similarity < 0
    assert all(h.keyword_rank is None for h in hits[1:] if h.doc not in ("item03.txt", "item04.txt"))


def test_keyword_index_follows_adds_and_removes(store: DocumentStore) -> None:
    embedder = Steered(by_item)
    store.add("c", items(5), embedder)
    assert all(h.keyword_rank is None for h in search(store, "c", "walrus", embedder))
    store.add("c", [Document("new.txt", "Item 09. A walrus slept on the rocks.")], embedder)
    hits = search(store, "c", "walrus", embedder)
    assert hits[0].doc == "new.txt" and hits[0].keyword_rank == 1
    store.remove("c", ["new.txt"])
    assert all(h.doc != "new.txt" and h.keyword_rank is None for h in search(store, "c", "walrus", embedder))


def test_keyword_index_sees_changes_made_by_another_process(tmp_path: Path) -> None:
    # The app and `nlp-playground index` share the folder: a replaced document with as many chunks as before
    # must not leave the app searching the old words.
    embedder = Steered(by_item)
    app, cli = DocumentStore(path=tmp_path / "q"), DocumentStore(path=tmp_path / "q")
    app.add("c", items(3, {1: "Walrus teeth are tusks."}), embedder)
    first = search(app, "c", "walrus", embedder)[0]
    assert (first.doc, first.keyword_rank) == ("item01.txt", 1)
    cli.add("c", [Document("item01.txt", "Item 01. Narwhal tusks are teeth.")], embedder)
    assert app.count("c") == 3  # as many chunks as before
    hits = search(app, "c", "narwhal", embedder)
    assert (hits[0].doc, hits[0].keyword_rank, hits[0].text) == ("item01.txt", 1, "Item 01. Narwhal tusks are teeth.")
    assert all(h.keyword_rank is None for h in search(app, "c", "walrus", embedder))


def test_hits_of_a_pdf_carry_pages_and_spans(store: DocumentStore, tmp_path: Path) -> None:
    pages = ["Cover page of the report.", "Budget is discussed here.", "The code Z-44 appears on page three only."]
    [document] = read_documents(write_pdf(tmp_path / "report.pdf", pages))
    embedder = Steered(lambda t: unit(1.0, len(t) % 5))
    store.add("pdfs", [document], embedder)
    hit = search(store, "pdfs", "Z-44", embedder)[0]
    assert (hit.doc, hit.page, hit.keyword_rank) == ("report.pdf", 3, 1)
    assert document.text[hit.start : hit.end] == hit.text == pages[2]
    assert set(hit.to_dict()) >= {"doc", "text", "score", "start", "end", "page", "vector_rank", "keyword_rank"}


# --- add_files ----------------------------------------------------------------------------------------------------


def test_add_files_reports_unreadable_files_and_indexes_the_rest(
    tmp_path: Path, store: DocumentStore, fake_pool: FakePool
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Good text to index.", encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    files: list[Path | tuple[Path, str]] = [
        good,
        broken,
        tmp_path / "missing.txt",
        empty,
        tmp_path / "image.png",
        (good, "renamed.md"),
    ]
    report = add_files("mixed", files, store=store, pool=fake_pool)
    assert report.status == {"good.txt": "added", "renamed.md": "added"}
    assert set(report.failed) == {"broken.pdf", "missing.txt", "empty.md", "image.png"}
    assert "not a readable PDF" in report.failed["broken.pdf"]
    assert "file not found" in report.failed["missing.txt"]
    assert report.lines()[-1] == "2 added" and len(report.lines()) == 5
    assert [f.doc for f in store.files("mixed")] == ["good.txt", "renamed.md"]
    assert store.embedder_of("mixed") == DEFAULT_EMBEDDER

    again = add_files("mixed", [good], store=store, pool=fake_pool)
    assert again.status == {"good.txt": "unchanged"} and again.lines() == ["1 unchanged"]


def test_add_files_with_nothing_readable_loads_no_model(tmp_path: Path, store: DocumentStore) -> None:
    class NoModels(FakePool):
        def _make(self, ref: ModelRef) -> FakeBackend:
            raise AssertionError("no model should load")

    report = add_files("none", [tmp_path / "missing.txt"], store=store, pool=NoModels())
    assert report.status == {} and report.lines() == ["missing.txt: file not found: missing.txt", "nothing indexed"]
    assert store.names() == []


# --- the search and qa tasks on the fake pool ---------------------------------------------------------------------

FACTS = {
    "hours.txt": "Opening hours are posted at the door. Doors open at 7:45 every weekday. Weekends are closed.",
    "prices.txt": "Tickets cost 12 euros for adults. Children travel free.",
}


@pytest.fixture
def collection(tmp_path: Path, fake_pool: FakePool) -> Iterator[str]:
    """A collection in the default store (the one the tasks use), indexed with the fake pool's embedder."""
    name = f"fake-{uuid.uuid4().hex[:8]}"
    paths = []
    for doc, text in FACTS.items():
        (tmp_path / doc).write_text(text, encoding="utf-8")
        paths.append(tmp_path / doc)
    assert add_files(name, paths, pool=fake_pool).status == {"hours.txt": "added", "prices.txt": "added"}
    yield name
    default_store().remove(name)


def test_search_task(fake_pool: FakePool, collection: str) -> None:
    result = api.run("search", pool=fake_pool, query="tickets euros", collection=collection, passages=1)
    [hit] = result.output["hits"]
    assert hit["doc"] == "prices.txt" and hit["keyword_rank"] == 1 and hit["text"] == FACTS["prices.txt"]
    with pytest.raises(InputError, match="no collection 'nowhere'"):
        api.run("search", pool=fake_pool, query="x", collection="nowhere")
    with pytest.raises(InputError, match="collection name"):
        api.run("search", pool=fake_pool, query="x", collection="../etc")


def test_qa_keeps_a_supported_answer_and_cites_its_passage(fake_pool: FakePool, collection: str) -> None:
    question = "Doors open when?"  # the fake embedder: the same first word, nearly the same vector
    found = api.run("search", pool=fake_pool, query=question, collection=collection, passages=2).output["hits"]
    number = [h["doc"] for h in found].index("hours.txt") + 1  # the passage number the prompt gives hours.txt
    fake_pool.fake("smollm2-135m").enqueue(f"Doors open at 7:45 every weekday [{number}].")
    out = api.run("qa", pool=fake_pool, question=question, collection=collection, passages=2).output
    assert out["source"] == "generated" and out["support"] == 1.0
    # The marker points at the first citation, the passage that holds the answer, whatever number the model gave.
    assert out["answer"] == "Doors open at 7:45 every weekday [1]." and out["supported"] is True
    assert [c["doc"] for c in out["citations"]] == ["hours.txt", "prices.txt"]
    assert out["citations"][0]["text"] == FACTS["hours.txt"]
    prompt = str(fake_pool.fake("smollm2-135m").history[-1][1])
    assert f"[{number}] (hours.txt) {FACTS['hours.txt']}" in prompt


def test_qa_replaces_an_unsupported_answer_with_a_document_sentence(fake_pool: FakePool, collection: str) -> None:
    fake_pool.fake("smollm2-135m").enqueue("The museum was founded by pirates in 1802.")
    out = api.run("qa", pool=fake_pool, question="Doors open when?", collection=collection).output
    assert out["source"] == "extractive" and out["support"] < 0.6 and "names '1802'" in out["note"]
    assert out["supported"] is True and out["checks"] == []
    first = out["citations"][0]
    # The fake embedder gives texts with the same first word nearly the same vector: "Doors ..." wins.
    assert out["answer"] == first["text"] == "Doors open at 7:45 every weekday."
    assert FACTS[first["doc"]][first["start"] : first["end"]] == out["answer"]

    fake_pool.fake("smollm2-135m").enqueue("The museum was founded by pirates in 1802.")
    kept = api.run("qa", pool=fake_pool, question="Doors open?", collection=collection, method="generate").output
    assert kept["source"] == "generated" and kept["answer"].startswith("The museum") and kept["supported"] is False
    # The check stage flags the number the passages do not hold (museum is in none either: names are capitalised).
    assert [(c["kind"], kept["answer"][c["start"] : c["end"]]) for c in kept["checks"]] == [("unsupported", "1802")]


def test_qa_says_the_documents_do_not_say_without_asking_the_model(fake_pool: FakePool, collection: str) -> None:
    out = api.run("qa", pool=fake_pool, question="Parking for cars?", collection=collection).output
    assert out["supported"] is False and out["source"] == "none" and out["closeness"] < 0.62
    assert out["answer"] == f"The documents do not say. The closest passage is [1], in {out['citations'][0]['doc']}."
    assert "no passage sentence is close to the question" in out["note"] and out["checks"] == []
    assert "smollm2-135m" not in fake_pool.fakes


def test_qa_extractive_needs_no_llm(fake_pool: FakePool, collection: str) -> None:
    out = api.run("qa", pool=fake_pool, question="Tickets for adults?", collection=collection, method="extractive")
    assert out.output["answer"] == "Tickets cost 12 euros for adults." and out.output["source"] == "extractive"
    assert "smollm2-135m" not in fake_pool.fakes
