"""Evaluation: adapters on a fake backend, the bundled sets, the CLI on the real model and public sets."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import pytest

from playground.core.errors import InputError
from playground.core.resources import data_dir
from playground.evaluation import evaluate as evaluation
from playground.frontends.cli import main
from playground.frontends.ui.evaluate import run_note
from playground.tasks import style_transfer, summarization
from tests.fakes import FakePool
from tests.helpers import cli

BUNDLED = data_dir("assets") / "eval"


def test_choice_task_scores_accuracy_and_lists_the_worst(fake_pool: FakePool) -> None:
    # The fake prefers " positive" for every text, so the negative items are the misses.
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [0.0 if "positive" in x else -5.0 for x in labels]
    rows = [{"id": 1, "text": "good", "label": "positive"}, {"id": 2, "text": "bad", "label": "negative"}]
    report = evaluation.evaluate("sentiment", rows, {"method": "score"}, pool=fake_pool)
    assert report.metrics["accuracy"] == 0.5 and report.metrics["n"] == 2
    assert [i.id for i in report.worst(1)] == [2]


def prefers_positive(fake_pool: FakePool) -> None:
    """The fake scores " positive" above every other label, whatever the text."""
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [0.0 if "positive" in x else -5.0 for x in labels]


def test_worst_items_are_only_those_below_the_best_score(fake_pool: FakePool) -> None:
    prefers_positive(fake_pool)
    rows = [{"id": i, "text": f"t{i}", "label": label} for i, label in enumerate(["positive"] * 3 + ["negative"])]
    rows.append({"id": "empty", "text": "", "label": "positive"})
    report = evaluation.evaluate("sentiment", rows, {"method": "score"}, pool=fake_pool)
    assert [i.id for i in report.worst(10)] == ["empty", 3]  # the failed item first; never a perfect one
    assert evaluation.worst_note(report) == "2 of 5 items below the best possible score (1), 1 of them failed"


def test_a_perfect_run_has_no_worst_items(fake_pool: FakePool) -> None:
    prefers_positive(fake_pool)
    rows = [{"id": i, "text": f"t{i}", "label": "positive"} for i in range(3)]
    report = evaluation.evaluate("sentiment", rows, {"method": "score"}, pool=fake_pool)
    assert report.worst(10) == [] and evaluation.worst_note(report) == "every item got the best possible score (1)"
    fake_pool.fake("gemma3-270m").enqueue("Bonjour.")
    rows = [{"source": "Hello.", "reference": "Bonjour.", "source_lang": "en", "target_lang": "fr"}]
    mt = evaluation.evaluate("translation", rows, {"candidates": 1}, pool=fake_pool)
    assert mt.items[0].score == pytest.approx(100.0) and mt.worst() == []  # chrF's best is 100, not 1
    clusters = evaluation.evaluate("clustering", [{"text": f"goal {i}", "label": "a"} for i in range(3)],
                                   pool=fake_pool)  # fmt: skip
    assert clusters.worst() == [] and "scored on the whole set" in evaluation.worst_note(clusters)


def test_a_limit_past_the_end_of_the_set_is_said() -> None:
    assert evaluation.items_note(12, 20) == "the set has 12 items; ran all 12 (asked for 20)"
    assert evaluation.items_note(3, 5, "dev") == "the dev split has 3 items; ran all 3 (asked for 5)"
    assert evaluation.items_note(12, 12) == evaluation.items_note(12, None) == "12 items"


def test_the_evaluate_tab_says_what_ran_and_what_fell_short() -> None:
    items = [evaluation.ItemResult(id=i, inputs={}, score=float(i % 2)) for i in range(12)]
    report = evaluation.Report("sentiment", {}, {}, items, best=1.0)
    assert run_note(report, 20, 20) == (
        "The set has 12 items; ran all 12 (asked for 20); 6 of 12 items below the best possible score (1)."
    )
    assert run_note(report, 12, 12).startswith("12 items; 6 of 12")
    assert run_note(report, 200, 12) == "12 items (this public app evaluates at most 12); 6 of 12 items below " \
        "the best possible score (1)."  # fmt: skip


def test_eval_cli_says_the_set_is_short_and_lists_only_misses(
    fake_pool: FakePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefers_positive(fake_pool)
    monkeypatch.setattr(evaluation, "evaluate", functools.partial(evaluation.evaluate, pool=fake_pool))
    argv = ["eval", "sentiment", "--data", str(BUNDLED / "sentiment.jsonl"), "--limit", "20", "--param",
            "method=score", "--output", str(tmp_path / "items.jsonl")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "sentiment on sentiment.jsonl: the set has 12 items; ran all 12 (asked for 20)" in out
    misses = [r["id"] for r in evaluation.read_eval_set(BUNDLED / "sentiment.jsonl") if r["label"] != "positive"]
    line = next(line for line in out.splitlines() if "below the best possible score" in line)
    assert line.startswith(f"method=score: {len(misses)} of 12 items below the best possible score (1); the worst: ")
    assert sorted(line.split("the worst: ")[1].split(", ")) == sorted(f"{m} (0)" for m in misses[:5])


def test_a_failing_item_is_reported_and_the_rest_scored(fake_pool: FakePool) -> None:
    rows = [{"id": "a", "text": "", "label": "positive"}, {"id": "b", "text": "fine", "label": "neutral"}]
    report = evaluation.evaluate("sentiment", rows, pool=fake_pool)
    assert report.errors == 1 and "text is empty" in (report.items[0].error or "")
    assert report.metrics["n"] == 1


def test_classification_takes_the_label_set_from_the_data(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    rows = [{"text": "x", "label": "World"}, {"text": "y", "label": "Sports"}]
    evaluation.evaluate("classification", rows, {"method": "score"}, pool=fake_pool)  # the 135M model's label scores
    assert [" Sports", " World"] in [call[1][1] for call in fake.history]


def test_config_overrides_reach_the_task(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("Positive!")
    rows = [{"text": "great", "label": "positive"}]
    report = evaluation.evaluate("sentiment", rows, {"method": "generate"}, pool=fake_pool)
    assert report.metrics["accuracy"] == 1.0 and fake.history[0][0] == "generate"


def test_grammar_and_translation_adapters(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("She goes to the market every day.")
    grammar = evaluation.evaluate(
        "grammar",
        [{"source": "She go to the market every day.", "references": ["She goes to the market every day."]}],
        pool=fake_pool,
    )
    assert grammar.metrics["gleu"] == pytest.approx(1.0)
    fake_pool.fake("gemma3-270m").enqueue("Bonjour.")
    rows = [{"source": "Hello.", "reference": "Bonjour.", "source_lang": "en", "target_lang": "fr"}]
    mt = evaluation.evaluate("translation", rows, {"candidates": 1}, pool=fake_pool)  # the adapter, not reranking
    assert mt.metrics["chrf"] == pytest.approx(100.0) and mt.items[0].score == pytest.approx(100.0)


def test_clustering_is_scored_on_the_whole_set(fake_pool: FakePool) -> None:
    rows = [{"text": f"{word} {i}", "label": word} for word in ("goal", "bake") for i in range(3)]
    report = evaluation.evaluate("clustering", rows, pool=fake_pool)
    assert report.metrics["adjusted_rand"] == pytest.approx(1.0) and report.metrics["k"] == 2


def test_bad_eval_sets_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": "positive"}\n{oops\n')
    with pytest.raises(InputError, match="line 2 is not valid JSON"):
        evaluation.read_eval_set(bad)
    with pytest.raises(InputError, match="not found"):
        evaluation.read_eval_set(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="no evaluation for task 'generation'"):
        evaluation.evaluate("generation", [{"text": "x"}])


def test_every_bundled_set_is_well_formed() -> None:
    for task, spec in evaluation.evaluable().items():
        rows = evaluation.read_eval_set(BUNDLED / f"{task}.jsonl")
        assert len(rows) >= 3 and len({r["id"] for r in rows}) == len(rows)
        for row in rows:
            if spec.inputs is not None:
                spec.inputs(row, rows)
            spec.reference(row)
        if spec.set_inputs is not None:
            spec.set_inputs(rows, {})


def test_metrics_table_shows_both_columns_and_the_difference() -> None:
    a = evaluation.Report("sentiment", {}, {"accuracy": 0.5})
    b = evaluation.Report("sentiment", {}, {"accuracy": 0.75})
    table = evaluation.metrics_table([a, b], ["scoring", "generate"])
    assert "scoring" in table and "generate" in table and "+0.25" in table


@pytest.mark.model
def test_eval_cli_on_the_bundled_sentiment_set(tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    proc = cli("eval", "sentiment", "--data", str(BUNDLED / "sentiment.jsonl"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    accuracy = float(next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("accuracy")))
    assert accuracy >= 0.75  # clear reviews; a mis-wired task scores about chance
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(items) == 12 and {"inputs", "prediction", "reference", "score"} <= set(items[0])


@pytest.mark.model
def test_eval_cli_on_sst2_with_compare(shared_benchmarks: Path, tmp_path: Path) -> None:
    proc: subprocess.CompletedProcess[str] = cli(
        "eval", "sentiment", "--data", str(shared_benchmarks / "sst2-dev.jsonl"), "--limit", "30",
        "--compare", "method=generate", "--output", str(tmp_path / "sst.jsonl"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    row = next(line.split() for line in proc.stdout.splitlines() if line.startswith("accuracy"))
    scoring, generating = float(row[1]), float(row[2])
    assert scoring >= 0.65 and scoring > generating
    assert (tmp_path / "sst.compare.jsonl").is_file()


def test_a_set_without_splits_is_halved_for_dev_and_test(tmp_path: Path) -> None:
    data = tmp_path / "plain.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": f"t{i}", "label": "a"}) + "\n" for i in range(7)))
    assert [r["id"] for r in evaluation.read_eval_set(data, split="dev")] == [0, 1, 2]
    assert [r["id"] for r in evaluation.read_eval_set(data, split="test")] == [3, 4, 5, 6]
    assert [r["id"] for r in evaluation.read_eval_set(data, limit=2, split="test")] == [3, 4]
    assert len(evaluation.read_eval_set(data)) == 7
    with pytest.raises(InputError, match="names no splits: choose dev"):
        evaluation.read_eval_set(data, split="train")


def test_summary_scores_measure_length_and_the_facts_kept() -> None:
    assert summarization.facts("Sam Sodje, 37, met Efe in 2014. They won 2,000 pounds.") == {
        "sodje",
        "37",
        "efe",
        "2014",
        "2,000",
    }  # fmt: skip  ("Sam" and "They" open their sentences)
    document = "Sam Sodje met his brother Efe in London in 2014 and they talked for an hour about the charity."
    rows = [{"document": document}]
    refs = [["Sam Sodje and Efe met in London in 2014."]]  # facts in the document: sodje, efe, london, 2014
    scores = summarization.summary_scores(["Sodje met Efe in 2014."], refs, rows)
    assert scores["facts_kept"] == 0.75 and scores["length_ratio"] == 5 / len(document.split())
    assert scores["length_ratio_max"] == scores["length_ratio"] and 0 < scores["rougeL"] <= 1
    assert "facts_kept" not in summarization.summary_scores(["x"], [["no names here."]], [{"document": "plain text."}])


def test_style_scores_count_copies_of_the_input() -> None:
    rows = [{"source": s, "target_style": "formal"} for s in ("the food is cold .", "hi there")]
    preds = ["The food is cold.", "Good day."]
    scores = style_transfer.style_scores(preds, [["x"], ["y"]], rows, evaluation.Tools({}))
    assert scores["copied"] == 0.5 and "target_style" not in scores  # measured for positive and negative only


def test_label_probabilities_get_a_calibration_error_and_a_generated_label_none(fake_pool: FakePool) -> None:
    prefers_positive(fake_pool)
    rows = [{"id": 1, "text": "good", "label": "positive"}, {"id": 2, "text": "bad", "label": "negative"}]
    report = evaluation.evaluate("sentiment", rows, {"method": "score"}, pool=fake_pool)
    sure = [i.confidence for i in report.items]
    assert all(c is not None and 0 < c <= 1 for c in sure) and sure[0] == sure[1]  # the fake: the same for both
    assert report.metrics["mean_confidence"] == pytest.approx(sum(sure) / 2, abs=1e-4)
    # Both items fall in one bin at the same confidence; half are right, so the gap is the confidence less a half.
    assert report.metrics["ece"] == pytest.approx(abs(sure[0] - 0.5), abs=1e-4)
    fake_pool.fake("smollm2-135m").enqueue("Positive.", "Negative.")
    generated = evaluation.evaluate("sentiment", rows, {"method": "generate"}, pool=fake_pool)
    assert generated.metrics["accuracy"] == 1.0 and "ece" not in generated.metrics  # a parsed label says no probability


def test_eval_reports_the_share_flagged_and_how_often_a_flag_marks_a_real_error(fake_pool: FakePool) -> None:
    # Three sentences: one translated, one left in English (flagged, and closer to its source than to the
    # reference: a real error), one translated loosely (a chrF miss that is not an untranslated sentence).
    fake_pool.fake("gemma3-270m").enqueue(
        "Le musée ouvre à neuf heures.",
        "Tickets cost twelve euros for adults.",
        "Tickets cost twelve euros for adults.",  # the repair: the prompt without examples
        "Les enfants entrent gratuitement aujourd'hui.",
    )  # fmt: skip
    rows = [
        {"source": "The museum opens at nine.", "reference": "Le musée ouvre à neuf heures."},
        {"source": "Tickets cost twelve euros for adults.", "reference": "Les billets coûtent douze euros."},
        {"source": "Children under six enter free.", "reference": "Les moins de six ans entrent gratuitement."},
    ]
    rows = [{**row, "source_lang": "en", "target_lang": "fr"} for row in rows]
    report = evaluation.evaluate("translation", rows, {"candidates": 1}, pool=fake_pool)
    assert [i.checks for i in report.items] == [[], ["untranslated"], []]
    assert report.metrics["flagged"] == report.metrics["errors"] == 0.3333
    assert report.metrics["flag_precision"] == 1.0 and report.metrics["flag_recall"] == 1.0
