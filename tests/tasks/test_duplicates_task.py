"""The duplicates task on the real embedder: copies, paraphrases, same-topic texts left alone, and collections."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.core.errors import InputError
from playground.documents.indexing import add_files
from playground.documents.readers import read_documents
from playground.service import api

pytestmark = pytest.mark.model

ORIGINAL = ("The council approved the new cycle lane on Harbour Road on Tuesday. Work starts in March and the "
            "lane should be finished by the end of the summer.")  # fmt: skip
EDITED = ("The council approved the new bike lane on Harbour Road on Tuesday. Work begins in March and the "
          "lane should be finished by the end of summer.")  # fmt: skip
PARAPHRASE = ("Councillors voted on Tuesday for a bicycle lane on Harbour Road, to be built from March until "
              "late summer.")  # fmt: skip
SAME_TOPIC = "Harbour Road will be closed to cars for two weekends in October while the water pipes are replaced."


def kinds(texts: list[str]) -> dict[tuple[int, int], str]:
    pairs = api.run("duplicates", texts=texts).output["pairs"]
    return {(p["a"], p["b"]): p["kind"] for p in pairs}


def test_an_edited_copy_a_paraphrase_and_a_same_topic_text() -> None:
    found = kinds([ORIGINAL, EDITED, PARAPHRASE, SAME_TOPIC])
    assert found[(0, 1)] == "copy"
    assert found.get((0, 2)) == "paraphrase"
    assert not any(3 in pair for pair in found)  # the same road, another story


def test_copy_spans_point_at_the_shared_words_in_both_texts() -> None:
    pair = api.run("duplicates", texts=[ORIGINAL, EDITED]).output["pairs"][0]
    for span in pair["spans"]:
        assert ORIGINAL[span["a"][0] : span["a"][1]] == span["a_text"]
        assert EDITED[span["b"][0] : span["b"][1]] == span["b_text"]
    assert any("Harbour Road on Tuesday" in s["a_text"] for s in pair["spans"])


def test_a_collection_is_compared_across_its_documents(tmp_path: Path) -> None:
    essay = tmp_path / "essay.md"
    essay.write_text("My summer was quiet. " + EDITED + " I hope to ride it every day.\n", encoding="utf-8")
    source = tmp_path / "news.txt"
    source.write_text(ORIGINAL + " The budget is two million euros.\n", encoding="utf-8")
    other = tmp_path / "recipe.txt"
    other.write_text("Mix the flour with the butter, add sugar and bake for twenty minutes.\n", encoding="utf-8")
    add_files("dup-check", [essay, source, other])
    pairs = api.run("duplicates", collection="dup-check").output["pairs"]
    assert [(p["a"], p["b"], p["kind"]) for p in pairs] == [("essay.md", "news.txt", "copy")]
    texts = {d.name: d.text for path in (essay, source) for d in read_documents(path)}
    for span in pairs[0]["spans"]:  # spans are offsets into each document's own text
        assert texts["essay.md"][span["a"][0] : span["a"][1]] == span["a_text"]
        assert texts["news.txt"][span["b"][0] : span["b"][1]] == span["b_text"]


def test_texts_or_a_collection_not_both() -> None:
    with pytest.raises(InputError, match="either texts"):
        api.run("duplicates", texts=[ORIGINAL, EDITED], collection="dup-check")
