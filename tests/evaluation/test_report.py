"""The quality report: do-nothing baselines, the Markdown table, the runner on a fake model, the CLI."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from playground.core.errors import InputError
from playground.evaluation import evaluate as evaluation
from playground.evaluation import report
from playground.frontends.cli import main
from playground.runtime.evalspec import lead, majority_label
from tests.fakes import FakePool
from tests.helpers import cli


def write_set(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def reviews(labels: str) -> list[dict[str, object]]:
    """Sentiment rows with these labels ('p' positive, 'n' negative), in order."""
    names = {"p": "positive", "n": "negative"}
    return [{"id": i, "text": f"review {i}", "label": names[x]} for i, x in enumerate(labels)]


def test_the_majority_is_picked_on_the_dev_rows_and_applied_to_the_others() -> None:
    dev = reviews("pnn")
    test = reviews("ppn")
    predictions = report.baseline_predictions("sentiment", test, dev)
    assert predictions == ["negative"] * 3  # the test rows' own majority (positive) plays no part
    assert report.score("sentiment", predictions, test)["accuracy"] == pytest.approx(1 / 3, abs=1e-4)


def test_a_tie_takes_the_first_label_in_sorted_order_and_no_labels_is_an_error() -> None:
    dev = [{"text": "a", "label": "World"}, {"text": "b", "label": "Sports"}, {"text": "c", "label": "Business"}]
    assert majority_label(dev) == "Business"
    with pytest.raises(InputError, match="labelled rows"):
        report.baseline_predictions("classification", reviews("p"), [{"text": "no label"}])


def test_the_copy_baseline_returns_the_input_and_scores_like_the_eval() -> None:
    rows = [
        {"source": "The cat sleeps.", "reference": "The cat sleeps.", "source_lang": "en", "target_lang": "fr"},
        {"source": "It rains.", "reference": "Il pleut.", "source_lang": "en", "target_lang": "fr"},
    ]
    copies = report.baseline_predictions("translation", rows)
    assert copies == ["The cat sleeps.", "It rains."]
    assert report.score("translation", copies[:1], rows[:1])["chrf"] == pytest.approx(100.0)
    both = report.score("translation", copies, rows)
    assert 0 < both["chrf"] < 100 and set(both) == {"chrf", "bleu"}
    grammar = [{"source": "She go home .", "references": ["She goes home .", "She went home ."]}]
    assert report.baseline_predictions("grammar", grammar) == ["She go home ."]
    style = [{"source": "the food was cold .", "reference": "The food was hot.", "target_style": "positive"}]
    assert report.baseline_predictions("style_transfer", style) == ["the food was cold ."]


def test_the_summary_baseline_is_the_first_sentence() -> None:
    document = "Mr Smith, 40, won the race in Leeds. He trained for years.\nThe crowd cheered."
    rows = [{"document": document, "reference": "Mr Smith won in Leeds."}]
    assert report.baseline_predictions("summarization", rows) == ["Mr Smith, 40, won the race in Leeds."]
    assert lead("no sentence end here") == "no sentence end here"
    scores = report.score("summarization", ["Mr Smith, 40, won the race in Leeds."], rows)
    assert scores["facts_kept"] == 1.0 and 0.5 < scores["rougeL"] < 1  # smith and leeds are both kept


def test_one_cluster_scores_an_adjusted_rand_of_zero() -> None:
    rows = [{"text": f"t{i}", "label": label} for i, label in enumerate("aabb")]
    predictions = report.baseline_predictions("clustering", rows)
    assert predictions == [0, 0, 0, 0]
    assert report.score("clustering", predictions, rows) == {"adjusted_rand": 0.0, "k": 1}
    with pytest.raises(InputError, match="no baseline for task 'keywords'"):
        report.baseline_predictions("keywords", rows)


def test_a_public_set_in_one_file_is_halved_and_jfleg_is_read_whole() -> None:
    by_task = dict(report.public_sets())
    assert by_task["sentiment"].source("test") == ("sst2-dev.jsonl", "test")
    assert by_task["grammar"].source("test") == ("jfleg-test.jsonl", None)
    assert by_task["grammar"].source("dev") == ("jfleg-dev.jsonl", None)
    command = report.command_for("grammar", "jfleg-test.jsonl", None, 3)
    assert command == "nlp-playground eval grammar --data $B/jfleg-test.jsonl --limit 3"


def test_classification_is_offered_every_label_of_the_set(tmp_path: Path) -> None:
    rows = [{"text": f"t{i}", "label": label} for i, label in enumerate(("World", "World", "Sports", "Business"))]
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kept = evaluation.read_eval_set(data, limit=1)  # one item, one label: the choice is still the set's
    assert kept[0]["labels"] == ["Business", "Sports", "World"]
    assert evaluation.read_eval_set(data, split="test")[0]["labels"] == ["Business", "Sports", "World"]
    command = report.command_for("classification", "agnews-400.jsonl", "test", 2, {"labels": ["Sci/Tech", "World"]})
    words = shlex.split(command)  # the command line a shell would see
    assert words[words.index("--param") + 1] == 'labels=["Sci/Tech", "World"]'


def test_the_markdown_table_shows_both_columns_and_errors_in_a_row() -> None:
    good = report.Row("translation", "mt-en-fr.jsonl", "test", ("chrf", "bleu"), "nlp-playground eval translation",
                      n=99, failed=1, model={"chrf": 45.678, "bleu": 9.87}, baseline={"chrf": 20.0, "bleu": 1.234},
                      baseline_is="input copied")  # fmt: skip
    label = report.Row("sentiment", "sst2-dev.jsonl", "test", ("accuracy", "macro_f1"), "cmd", n=4,
                       model={"accuracy": 0.75}, baseline={"accuracy": 0.5, "macro_f1": 0.3333})  # fmt: skip
    bad = report.Row("grammar", "jfleg-test.jsonl", None, ("gleu",), "cmd", error="a | b\nc")
    lines = report.markdown_table([good, label, bad]).splitlines()
    assert len(lines) == 5 and all(line.count(" | ") == 7 for line in lines[2:])
    assert "| mt-en-fr (test half) | 99 (1 failed) | chrF / BLEU | 45.7 / 9.9 | 20.0 / 1.2 | input copied |" in lines[2]
    assert "| 0.750 / – | 0.500 / 0.333 |" in lines[3]  # a metric the model lacks is a dash
    assert "| jfleg-test | – | GLEU | error: a \\| b c |" in lines[4]


def test_the_report_runs_the_model_and_the_baseline_on_the_same_split(
    tmp_path: Path, fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every voter is undecided (the fake's prompt bias calibrates away, the exemplar vote is made even), so the task
    # answers "positive", its first label, for every review; the dev half's majority is negative.
    monkeypatch.setattr("playground.tasks.sentiment.exemplar_probs", lambda ctx, name, text, labels: [1 / 3] * 3)
    fake_pool.fake("smollm2-135m").scorer = lambda context, labels: [0.0 if "positive" in x else -5.0 for x in labels]
    write_set(tmp_path / "sst2-dev.jsonl", reviews("nnp" + "ppn"))
    rows = report.quality_report(tmp_path, "test", tasks=["sentiment", "grammar"], pool=fake_pool)
    sentiment, grammar = rows
    assert sentiment.n == 3 and sentiment.error is None
    assert sentiment.model["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert sentiment.baseline["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert sentiment.baseline_is == "majority label 'negative' (picked on the dev half)"
    assert sentiment.command == "nlp-playground eval sentiment --data $B/sst2-dev.jsonl --split test"
    assert grammar.error is not None and "jfleg-test.jsonl" in grammar.error  # no such file: its row says so
    dev = report.quality_report(tmp_path, "dev", limit=2, tasks=["sentiment"], pool=fake_pool)[0]
    assert dev.n == 2 and dev.baseline_is == "majority label 'positive' (picked on the test half)"
    assert dev.baseline["accuracy"] == 0.0 and dev.command.endswith("--split dev --limit 2")
    with pytest.raises(InputError, match="no public set for chat"):
        report.quality_report(tmp_path, tasks=["chat"], pool=fake_pool)


def test_the_cli_shows_a_broken_set_in_its_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sst2-dev.jsonl").write_text('{"text": "fine", "label": "positive"}\n{oops\n', encoding="utf-8")
    output = tmp_path / "report.md"
    argv = ["report", "--benchmarks", str(tmp_path), "--task", "sentiment", "--output", str(output)]
    assert main(argv) == 1  # a set failed
    printed = capsys.readouterr()
    assert (
        "| sentiment | sst2-dev (test half) | – | accuracy / macro-F1 / calibration error | error: sst2-dev.jsonl: "
        "line 2" in printed.out
    )
    assert output.read_text(encoding="utf-8") == printed.out
    assert "1 sets failed" in printed.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--benchmarks", "no-such-dir"], "no public sets at no-such-dir"),
        (["report", "--benchmarks", ".", "--task", "sentimnt"], "no public set for sentimnt"),
        (["report", "--benchmarks", ".", "--limit", "0"], "the limit must be at least 1"),
        (["report", "--benchmarks", ".", "--output", "no-such-dir/q.md"], "there is no folder no-such-dir"),
    ],
)
def test_bad_report_arguments_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.model
def test_report_cli_on_two_clear_reviews(tmp_path: Path) -> None:
    rows = [
        {"id": "d1", "text": "dull and lifeless .", "label": "negative"},
        {"id": "d2", "text": "a tedious mess .", "label": "negative"},
        {"id": "t1", "text": "A wonderful, moving film that I loved from start to finish.", "label": "positive"},
        {"id": "t2", "text": "The food was cold and the waiter was rude.", "label": "negative"},
    ]
    write_set(tmp_path / "sst2-dev.jsonl", rows)
    output = tmp_path / "quality.md"
    proc = cli("report", "--benchmarks", str(tmp_path), "--task", "sentiment", "--limit", "2", "--output", str(output))
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("| sentiment |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2] == "2" and cells[6] == "majority label 'negative' (picked on the dev half)"
    model, baseline = (float(c.split(" / ")[0]) for c in cells[4:6])
    assert model == 1.0 and baseline == 0.5  # the model gets both; always-negative gets one
    assert output.read_text(encoding="utf-8").count("| sentiment |") == 1


@pytest.mark.model
def test_report_on_the_public_sst2_set(
    shared_benchmarks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "q.md"
    argv = ["report", "--benchmarks", str(shared_benchmarks), "--task", "sentiment", "--limit", "2"]
    assert main([*argv, "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    # The dev half of SST-2 holds 228 positive and 208 negative reviews.
    assert "majority label 'positive' (picked on the dev half)" in text
    assert "`nlp-playground eval sentiment --data $B/sst2-dev.jsonl --split test --limit 2`" in text
    assert f"`$B` is {shared_benchmarks}" in capsys.readouterr().out
