"""Document collections on the real embedded models (MiniLM, SmolLM2), through the CLI and the api: a four-page PDF
whose answer is on page 3 and a Markdown note, indexed with `nlp-playground index`, then searched and asked about.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.documents.readers import read_documents
from playground.frontends.cli import main
from playground.service import api
from tests.pdfmaker import write_pdf

pytestmark = pytest.mark.model

PAGES = [
    "Welcome to the Harbour Museum.\nThe museum tells the story of the old port and its sailors.",
    "The ground floor shows model ships and old maps of the coast.\nThe top floor has a cafe with a view of the sea.",
    "The museum opens at 9:30 in the morning and closes at 17:00. It is closed on Mondays.\n"
    "Adult tickets cost 14 euros and children enter free.",
    "Photography is allowed without flash. Pets are not allowed inside.\nLost items are kept at the front desk.",
]
NOTES = "# Staff notes\n\nThe night guard keeps the storage key.\nBadge number K-5521 opens the loading door.\n"
QUESTION = "What time does the museum open?"


@dataclass
class Indexed:
    name: str
    pdf: Path
    md: Path
    added: str  # what `index add` printed to stderr


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process (the models stay loaded between calls): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    folder = tmp_path_factory.mktemp("docs")
    pdf = write_pdf(folder / "guide.pdf", PAGES)
    md = folder / "notes.md"
    md.write_text(NOTES, encoding="utf-8")
    name = f"harbour-{uuid.uuid4().hex[:8]}"
    code, _, err = cli("index", "add", name, str(pdf), str(md))
    assert code == 0, err
    yield Indexed(name, pdf, md, err)
    cli("index", "rm", name)


def search_json(name: str, query: str) -> list[dict]:
    code, out, err = cli("run", "search", "--text", query, "--param", f"collection={name}", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["task"] == "search" and result["model"] == "minilm-l6-v2"
    return list(result["output"]["hits"])


def test_index_add_and_ls(indexed: Indexed, capsys: pytest.CaptureFixture[str]) -> None:
    assert indexed.added.strip().endswith("2 added")
    assert main(["index", "ls"]) == 0
    assert f"{indexed.name}  2 documents, 5 chunks" in capsys.readouterr().out.splitlines()
    assert main(["index", "ls", indexed.name]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["guide.pdf", "notes.md"]
    assert lines[0].split("  ")[1].startswith("4 chunks, ") and lines[1].split("  ")[1].startswith("1 chunks, ")
    again = cli("index", "add", indexed.name, str(indexed.md))
    assert again[0] == 0 and again[2].strip().endswith("1 unchanged")


def test_search_puts_the_page_3_passage_first(indexed: Indexed) -> None:
    hits = search_json(indexed.name, QUESTION)
    assert hits[0]["doc"] == "guide.pdf" and hits[0]["page"] == 3
    assert "9:30" in hits[0]["text"] and hits[0]["vector_rank"] == 1
    [document] = read_documents(indexed.pdf)
    assert document.text[hits[0]["start"] : hits[0]["end"]] == hits[0]["text"]


def test_a_code_only_the_note_holds_finds_the_note(indexed: Indexed) -> None:
    hits = search_json(indexed.name, "K-5521")
    assert hits[0]["doc"] == "notes.md" and hits[0]["keyword_rank"] == 1 and hits[0]["page"] is None
    assert "K-5521" in hits[0]["text"]


def test_qa_answers_from_page_3(indexed: Indexed) -> None:
    out = api.run("qa", question=QUESTION, collection=indexed.name, passages=2, max_new_tokens=48).output
    assert out["source"] in ("generated", "extractive")
    assert "9:30" in out["answer"], out
    first = out["citations"][0]
    assert (first["doc"], first["page"]) == ("guide.pdf", 3)
    [document] = read_documents(indexed.pdf)
    assert document.text[first["start"] : first["end"]] == first["text"]


def test_extractive_answer_is_document_text_at_its_span(indexed: Indexed) -> None:
    out = api.run("qa", question=QUESTION, collection=indexed.name, method="extractive").output
    assert out["source"] == "extractive"
    first = out["citations"][0]
    [document] = read_documents(indexed.pdf)
    assert (first["doc"], first["page"]) == ("guide.pdf", 3)
    assert out["answer"] == first["text"] == document.text[first["start"] : first["end"]]
    assert out["answer"] == "The museum opens at 9:30 in the morning and closes at 17:00."


def test_index_rm_then_search_is_a_clear_error(indexed: Indexed, capsys: pytest.CaptureFixture[str]) -> None:
    name = f"gone-{uuid.uuid4().hex[:8]}"
    assert main(["index", "add", name, str(indexed.md)]) == 0
    assert main(["index", "rm", name, "notes.md", "other.md"]) == 2
    assert "has no document 'other.md'" in capsys.readouterr().err
    assert main(["index", "rm", name]) == 0
    assert f"removed: {name}" in capsys.readouterr().err
    assert main(["run", "search", "--text", "K-5521", "--param", f"collection={name}", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no collection {name!r} (collections: ") and indexed.name in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_chat_grounded_on_a_collection_answers_from_it_and_cites(indexed: Indexed) -> None:
    messages = [{"role": "user", "content": "Hello, I am planning a visit."},
                {"role": "assistant", "content": "Welcome! How can I help?"},
                {"role": "user", "content": QUESTION}]  # fmt: skip
    out = api.run("chat", messages=messages, collection=indexed.name, passages=2, max_new_tokens=48).output
    assert "9:30" in out["text"], out
    first = out["citations"][0]
    assert (first["doc"], first["page"]) == ("guide.pdf", 3)
    [document] = read_documents(indexed.pdf)
    assert document.text[first["start"] : first["end"]] == first["text"]
