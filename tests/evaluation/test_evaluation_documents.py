"""Evaluation of the document tasks: metrics on hand-made outputs, the bundled sets, --split, and real runs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import InputError, UnknownTaskError
from playground.core.resources import data_dir
from playground.documents import references
from playground.documents.chunks import chunk_document
from playground.documents.readers import read_documents
from playground.evaluation import evaluate as evaluation
from playground.frontends.cli import build_parser
from playground.runtime.registry import get_task
from playground.tasks import duplicates
from tests.fakes import FakePool

BUNDLED = data_dir("assets") / "eval"
KETTLE = "kettle.txt"
REF = {"doc": KETTLE, "contains": "Error E3"}


def hit(doc: str, text: str) -> dict[str, Any]:
    return {"doc": doc, "text": text}


def test_containment_ignores_case_and_spaces() -> None:
    assert references.contains("It costs € 12 a night.", "€12")
    assert references.contains("The FORM is TR-9.", "form  is\ntr-9")
    assert not references.contains("It costs 12 euros.", "€12")


def test_search_metrics_on_hand_made_hits() -> None:
    adapter = evaluation.eval_spec("search")
    wrong_doc = hit("manual.txt", "error e3 means the base")  # the phrase, but in another document
    first = [hit(KETTLE, "Error E3: not seated."), hit("x.md", "other")]
    third = [hit("x.md", "a"), wrong_doc, hit(KETTLE, "... error  e3 ...")]
    missed = [wrong_doc, hit(KETTLE, "Error E2")]
    preds, refs = [first, third, missed], [[REF]] * 3
    metrics = adapter.score(preds, refs, [{}] * 3)
    assert metrics["recall@1"] == pytest.approx(1 / 3) and metrics["recall@k"] == pytest.approx(2 / 3)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 3) / 3) and metrics["k"] == 3
    assert [adapter.item_score(p, [REF], {}) for p in preds] == pytest.approx([1.0, 1 / 3, 0.0])
    # Any one of several relevant passages counts.
    assert adapter.item_score(missed, [REF, {"doc": KETTLE, "contains": "e2"}], {}) == 0.5


def test_search_rows_become_inputs_and_references() -> None:
    adapter = evaluation.eval_spec("search")
    row = {"query": "E3", "collection": "c", "passages": 3, "relevant": [REF], "split": "dev"}
    assert adapter.inputs(row, [row]) == {"query": "E3", "collection": "c", "passages": 3}
    assert adapter.reference(row) == [REF]
    output = {"hits": [{**hit(KETTLE, "t"), "score": 0.03, "start": 0, "end": 1, "page": None}]}
    assert adapter.prediction(output) == [hit(KETTLE, "t")]
    with pytest.raises(InputError, match="relevant"):
        adapter.reference({"query": "E3", "collection": "c"})
    with pytest.raises(InputError, match="contains"):
        adapter.reference({"relevant": [{"doc": KETTLE}]})


def qa_output(answer: str, source: str, citations: list[dict[str, Any]], supported: bool = True) -> dict[str, Any]:
    return {
        "answer": answer,
        "source": source,
        "supported": supported,
        "citations": [{**c, "start": 0, "end": 1, "page": None} for c in citations],
    }


def test_qa_metrics_on_hand_made_answers() -> None:
    adapter = evaluation.eval_spec("qa")
    row = {"question": "Price?", "collection": "c", "answers": ["12 euros", "€12"],
           "evidence": {"doc": "a.md", "contains": "costs 12 euros"}}  # fmt: skip
    ref = adapter.reference(row)
    assert ref["answerable"] is True
    assert adapter.inputs(row, [row]) == {"question": "Price?", "collection": "c"}
    cites = [hit("b.md", "costs 12 euros"), hit("a.md", "costs 12 euros")]  # the evidence, but cited second
    right = adapter.prediction(qa_output("It is € 12.", "generated", [hit("a.md", "A ticket costs 12 euros.")]))
    wrong_cite = adapter.prediction(qa_output("A ticket costs 12 Euros.", "extractive", cites))
    nothing = adapter.prediction({"answer": "The collection has no passages.", "source": "none", "citations": []})
    assert nothing["citation"] is None and nothing["supported"] is False  # no `supported`: not supported
    assert right["supported"] is True
    preds = [right, wrong_cite, nothing]
    metrics = adapter.score(preds, [ref] * 3, [row] * 3)
    assert metrics == pytest.approx({"answer_contains": 2 / 3, "citation_accuracy": 1 / 3, "extractive_share": 1 / 3,
                                     "supported_answerable": 2 / 3})  # fmt: skip
    assert [adapter.item_score(p, ref, row) for p in preds] == [1.0, 0.5, 0.0]
    assert adapter.inputs({**row, "method": "extractive", "passages": 2}, [])["method"] == "extractive"
    with pytest.raises(InputError, match="answers"):
        adapter.reference({**row, "answers": []})

    # A question the documents do not answer: no answers, no evidence; saying so is the right answer.
    unanswerable = {"question": "Parking?", "collection": "c", "answers": [], "answerable": False}
    none = adapter.reference(unanswerable)
    assert none == {"answers": [], "evidence": None, "answerable": False}
    assert adapter.inputs(unanswerable, [unanswerable]) == {"question": "Parking?", "collection": "c"}
    said = "The documents do not say. The closest passage is [1], in a.md."
    refused = adapter.prediction(qa_output(said, "none", [hit("a.md", "A ticket costs 12 euros.")], supported=False))
    invented = adapter.prediction(qa_output("Parking is free [1].", "generated", [hit("a.md", "x")]))
    assert [adapter.item_score(p, none, unanswerable) for p in (refused, invented)] == [1.0, 0.0]
    # The answer metrics count only the answerable rows; the support decision is scored over both.
    mixed = adapter.score([*preds, refused, invented], [ref] * 3 + [none] * 2, [row] * 3 + [unanswerable] * 2)
    assert mixed == pytest.approx({"answer_contains": 2 / 3, "citation_accuracy": 1 / 3, "extractive_share": 1 / 3,
                                   "supported_answerable": 2 / 3, "refused_unanswerable": 1 / 2,
                                   "support_accuracy": (2 + 1) / 5})  # fmt: skip
    only = adapter.score([refused, invented], [none] * 2, [unanswerable] * 2)
    assert only == pytest.approx({"refused_unanswerable": 1 / 2})


def pairs_output(*pairs: tuple[int, int, str]) -> dict[str, Any]:
    return {"pairs": [{"a": a, "b": b, "score": 0.9, "kind": kind, "spans": []} for a, b, kind in pairs]}


def test_duplicates_prediction_is_the_kind_of_the_pair_between_texts_0_and_1() -> None:
    adapter = evaluation.eval_spec("duplicates")
    assert adapter.prediction(pairs_output((0, 1, "copy"))) == "copy"
    assert adapter.prediction(pairs_output((0, 2, "copy"), (1, 0, "paraphrase"))) == "paraphrase"
    assert adapter.prediction(pairs_output((0, 2, "copy"))) == "different"
    assert adapter.prediction(pairs_output()) == "different"
    row = {"texts": ["a", "b"], "kind": "copy", "threshold": 0.8}
    assert adapter.inputs(row, [row]) == {"texts": ["a", "b"], "threshold": 0.8}
    with pytest.raises(InputError, match="kind"):
        adapter.reference({"texts": ["a", "b"], "kind": "same"})
    with pytest.raises(InputError, match="texts"):
        adapter.inputs({"texts": ["only one"], "kind": "copy"}, [])


def test_duplicates_metrics_per_kind() -> None:
    adapter = evaluation.eval_spec("duplicates")
    refs = ["copy", "copy", "paraphrase", "paraphrase", "different", "different"]
    preds = ["copy", "paraphrase", "paraphrase", "different", "different", "different"]
    metrics = adapter.score(preds, refs, [{}] * 6)
    assert metrics == pytest.approx({
        "accuracy": 4 / 6,
        "copy_precision": 1.0, "copy_recall": 0.5,
        "paraphrase_precision": 0.5, "paraphrase_recall": 0.5,
        "different_precision": 2 / 3, "different_recall": 1.0,
    })  # fmt: skip
    never = adapter.score(["different"], ["copy"], [{}])
    assert never["copy_precision"] == 0.0 and never["paraphrase_recall"] == 0.0
    assert adapter.item_score("copy", "copy", {}) == 1.0 and adapter.item_score("copy", "different", {}) == 0.0


def test_read_eval_set_resolves_documents_and_keeps_a_split(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    rows = [{"id": 1, "split": "dev", "documents": "docs"}, {"id": 2, "split": "test"}, {"id": 3},
            {"id": 4, "split": "test"}]  # fmt: skip
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    every = evaluation.read_eval_set(data)
    assert [r["id"] for r in every] == [1, 2, 3, 4]
    assert every[0]["documents"] == str((tmp_path / "docs").resolve()) and "documents" not in every[1]
    assert [r["id"] for r in evaluation.read_eval_set(data, split="test")] == [2, 3, 4]  # no split: always kept
    assert [r["id"] for r in evaluation.read_eval_set(data, limit=2, split="test")] == [2, 3]
    assert [r["id"] for r in evaluation.read_eval_set(data, split="dev")] == [1, 3]
    for outside in ("..", "/etc", "docs/../.."):
        data.write_text(json.dumps({"id": 1, "documents": outside}) + "\n", encoding="utf-8")
        with pytest.raises(InputError, match="in the eval file's folder"):
            evaluation.read_eval_set(data)
    only = tmp_path / "only.jsonl"
    only.write_text(json.dumps({"id": 1, "split": "dev"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="no items of the split 'test'"):
        evaluation.read_eval_set(only, split="test")


def test_eval_cli_takes_a_split() -> None:
    parser = build_parser()
    args = parser.parse_args(["eval", "search", "--data", "x.jsonl", "--split", "test"])
    assert args.split == "test"
    assert parser.parse_args(["eval", "search", "--data", "x.jsonl"]).split is None
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "search", "--data", "x.jsonl", "--split", "train"])


def small_collection(tmp_path: Path) -> tuple[str, Path]:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / KETTLE).write_text("Error E3 means the kettle is not on its base. Descale it.\n", encoding="utf-8")
    (folder / "museum.md").write_text("# Museum\n\nAn adult ticket costs 14 euros.\n", encoding="utf-8")
    return f"eval-unit-{uuid.uuid4().hex[:8]}", folder


def test_evaluate_indexes_the_documents_once_and_scores_search(fake_pool: FakePool, tmp_path: Path) -> None:
    collection, folder = small_collection(tmp_path)
    rows = [
        {"id": "a", "query": "E3", "collection": collection, "documents": str(folder), "relevant": [REF]},
        {"id": "b", "query": "adult ticket", "collection": collection, "documents": str(folder),
         "relevant": [{"doc": "museum.md", "contains": "14 euros"}]},
    ]  # fmt: skip
    report = evaluation.evaluate("search", rows, pool=fake_pool)
    assert report.errors == 0 and report.metrics["n"] == 2 and report.metrics["recall@k"] == 1.0
    assert 0 <= report.metrics["recall@1"] <= report.metrics["recall@k"]
    embedder = fake_pool.fake("minilm-l6-v2")
    embedder.history.clear()
    evaluation.evaluate("search", rows, pool=fake_pool)  # unchanged files: only the queries are embedded
    assert [call[1] for call in embedder.history if call[0] == "embed"] == [["E3"], ["adult ticket"]]


def test_evaluate_qa_extractive_on_a_fake_backend(fake_pool: FakePool, tmp_path: Path) -> None:
    collection, folder = small_collection(tmp_path)
    evidence = {"doc": "museum.md", "contains": "14 euros"}
    # The fake embedder makes texts with the same first word close: this question is close to the ticket sentence.
    row = {"question": "An adult ticket costs how much?", "collection": collection, "documents": str(folder),
           "method": "extractive", "answers": ["14 euros"], "evidence": evidence}  # fmt: skip
    # ... and this one to no sentence: the answer is that the documents do not say.
    unanswerable = {"question": "Where can visitors park?", "collection": collection, "documents": str(folder),
                    "method": "extractive", "answerable": False}  # fmt: skip
    report = evaluation.evaluate("qa", [row, unanswerable], pool=fake_pool)
    assert report.errors == 0 and report.metrics["extractive_share"] == 1.0
    assert report.metrics["answer_contains"] == report.metrics["citation_accuracy"] == 1.0
    assert report.metrics["refused_unanswerable"] == report.metrics["support_accuracy"] == 1.0
    answered, refused = (item.prediction for item in report.items)
    assert answered["source"] == "extractive" and answered["answer"] == "An adult ticket costs 14 euros."
    assert refused["source"] == "none" and refused["supported"] is False
    assert refused["answer"].startswith("The documents do not say.")


def test_a_missing_documents_folder_is_a_clear_error(fake_pool: FakePool, tmp_path: Path) -> None:
    row = {"query": "x", "collection": "eval-missing", "documents": str(tmp_path / "nope"), "relevant": [REF]}
    with pytest.raises(InputError, match="does not exist"):
        evaluation.evaluate("search", [row], pool=fake_pool)


def test_bundled_document_sets_point_at_passages_that_exist() -> None:
    for task, name, folder in (("search", "search", "documents"), ("qa", "qa", "documents"),
                               ("qa", "qa-other", "documents-other")):  # fmt: skip
        check_document_set(task, name, folder)
    pairs = evaluation.read_eval_set(BUNDLED / "duplicates.jsonl")
    assert {r["kind"] for r in pairs} == set(duplicates.KINDS)
    assert {r["split"] for r in pairs} == {"dev", "test"}


def check_document_set(task: str, name: str, folder: str) -> None:
    chunks = {}
    for path in (BUNDLED / folder).iterdir():
        for document in read_documents(path):
            chunks[document.name] = [c.text for c in chunk_document(document)]
    field = "relevant" if task == "search" else "evidence"
    rows = evaluation.read_eval_set(BUNDLED / f"{name}.jsonl")
    assert {r["split"] for r in rows} == {"dev", "test"}
    unanswerable = [r for r in rows if r.get("answerable") is False]
    if name == "qa":  # questions the documents do not answer, on both splits: no answers, no evidence
        assert {r["split"] for r in unanswerable} == {"dev", "test"}
        assert len(unanswerable) < len(rows)
        for row in unanswerable:
            assert not row["answers"] and "evidence" not in row and row["about"] in chunks, row["id"]
    else:
        assert not unanswerable
    for row in rows:
        assert Path(row["documents"]) == (BUNDLED / folder).resolve()
        if row in unanswerable:
            continue
        for ref in row[field] if isinstance(row[field], list) else [row[field]]:
            # the phrase lies inside one passage of its document, and in no other document
            assert any(references.contains(c, ref["contains"]) for c in chunks[ref["doc"]]), row["id"]
            others = [d for d in chunks if d != ref["doc"] and any(references.contains(c, ref["contains"])
                                                                   for c in chunks[d])]  # fmt: skip
            assert not others, row["id"]


@pytest.mark.model
def test_search_eval_on_the_bundled_set_with_minilm() -> None:
    rows = evaluation.read_eval_set(BUNDLED / "search.jsonl", limit=4)
    report = evaluation.evaluate("search", rows)
    assert report.errors == 0 and report.metrics["n"] == 4
    for name in ("recall@1", "recall@k", "mrr"):
        assert 0.0 <= report.metrics[name] <= 1.0
    assert report.metrics["recall@1"] <= report.metrics["recall@k"]


@pytest.mark.model
def test_duplicates_eval_on_the_bundled_set() -> None:
    try:
        get_task("duplicates")
    except UnknownTaskError:
        pytest.skip("the duplicates task is not there yet")
    rows = evaluation.read_eval_set(BUNDLED / "duplicates.jsonl")[::7]  # copies, paraphrases and different pairs
    report = evaluation.evaluate("duplicates", rows)
    assert report.errors == 0 and report.metrics["n"] == 6
    assert all(0.0 <= v <= 1.0 for k, v in report.metrics.items() if k != "n")
