"""Clustering at scale: batches with progress, k on a sample, mini-batch k-means, central members, a light page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from playground.core.errors import InputError
from playground.frontends.cli import main
from playground.frontends.ui.views import MAX_PLOTTED, SHOWN_MEMBERS, plotted_rows
from playground.runtime.registry import get_task
from playground.service import api
from playground.tasks import clustering
from tests.fakes import FakePool

TOPICS = ("apple", "river", "engine")


def blobs(n: int, centres: int = 3, spread: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors around `centres` random directions, and which centre each came from."""
    rng = np.random.default_rng(1)
    centre = rng.normal(size=(centres, 32))
    truth = np.arange(n) % centres
    vectors = centre[truth] + rng.normal(scale=spread * np.sqrt(32), size=(n, 32)) / np.sqrt(32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), truth


def test_the_sample_is_seeded_sorted_and_bounded() -> None:
    assert list(clustering.sample_rows(5)) == [0, 1, 2, 3, 4]
    rows = clustering.sample_rows(10_000)
    assert len(rows) == clustering.SAMPLE == len(set(rows.tolist()))
    assert list(rows) == sorted(rows) and list(rows) == list(clustering.sample_rows(10_000))


def test_k_is_chosen_on_a_sample_of_a_large_set(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, _ = blobs(9_000, centres=4)
    seen: list[int] = []
    fit = clustering.kmeans
    monkeypatch.setattr(clustering, "kmeans", lambda v, k: seen.append(len(v)) or fit(v, k))
    k, scores = clustering.choose_k(vectors)
    assert k == 4 and set(scores) == set(range(2, clustering.MAX_AUTO_K + 1))
    assert set(seen) == {clustering.SAMPLE}  # no k-means (or silhouette) over all 9,000


def test_many_vectors_use_mini_batch_k_means_and_still_find_the_groups() -> None:
    vectors, truth = blobs(clustering.MINIBATCH_FROM + 100)
    labels = np.array(clustering.kmeans(vectors, 3))
    for centre in range(3):  # each true group lands in one cluster
        assert len(set(labels[truth == centre])) == 1
    assert len(set(labels)) == 3


def test_representatives_are_the_members_nearest_the_centroid() -> None:
    vectors = np.array([[1, 0], [0.8, 0.6], [0.5, 0.866], [0, 1], [0.71, 0.71]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert clustering.representatives(vectors, 2) == [4, 1]
    assert clustering.representatives(vectors, 10)[-1] in (0, 3)  # the extremes come last


def test_a_large_run_reports_progress_then_every_assignment(fake_pool: FakePool) -> None:
    n = clustering.MINIBATCH_FROM + 500
    texts = [f"{TOPICS[i % 3]} text number {i}" for i in range(n)]
    results = list(api.stream("clustering", pool=fake_pool, texts=texts))
    progress = [r.output["progress"] for r in results if not r.done]
    assert progress[0] == f"embedded 1,000 of {n:,} texts" and progress[-1] == f"embedded {n:,} of {n:,} texts"
    batches = [len(texts) for kind, texts in fake_pool.fake("minilm-l6-v2").history if kind == "embed"]
    assert max(batches) <= clustering.EMBED_BATCH and sum(batches) == n
    out = results[-1].output
    assert out["k"] == 3 and len(out["assignments"]) == len(out["points"]) == n
    for c in out["clusters"]:
        assert len({m.split()[0] for m in c["members"]}) == 1  # one topic per cluster
        assert len(c["representatives"]) == clustering.REPRESENTATIVES
        assert set(c["representatives"]) <= set(c["members"])
    assert sum(c["size"] for c in out["clusters"]) == n


def test_a_small_run_has_no_progress_step(fake_pool: FakePool) -> None:
    results = list(api.stream("clustering", pool=fake_pool, texts=["apple pie", "apple tart", "river bank"]))
    assert all("progress" not in r.output for r in results)


def test_the_task_takes_ten_thousand_texts_and_no_more(fake_pool: FakePool) -> None:
    spec = get_task("clustering")
    assert len(spec.validate({"texts": ["x"] * 10_000})["texts"]) == 10_000
    with pytest.raises(InputError, match="at most 10000 texts"):
        spec.validate({"texts": ["x"] * 10_001})


def test_the_page_plots_and_lists_a_bounded_share() -> None:
    assert plotted_rows(5) == [0, 1, 2, 3, 4]
    rows = plotted_rows(10_000)
    assert len(rows) == MAX_PLOTTED and rows[0] == 0 and rows[-1] == 9_999 and rows == sorted(set(rows))


def test_the_clusters_view_downsamples_the_plot_and_shortens_lists(fake_pool: FakePool) -> None:
    from playground.frontends.ui.views import VIEWS

    n = 3_000
    texts = [f"{TOPICS[i % 3]} text number {i}" for i in range(n)]
    out = api.run("clustering", pool=fake_pool, texts=texts).output
    _, show = VIEWS["clusters"](get_task("clustering"))
    summary, frame = show(out, {"texts": texts})
    assert len(frame) == MAX_PLOTTED
    assert summary.count("\n- ") <= 3 * (SHOWN_MEMBERS + 1) and "more (every member is in the JSON output)" in summary
    assert show({"progress": "embedded 1,000 of 3,000 texts"}, {"texts": texts}) == [
        "embedded 1,000 of 3,000 texts",
        None,
    ]


@pytest.mark.model
def test_the_real_embedder_clusters_a_file_through_every_large_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The thresholds are lowered so that 600 texts take the batched, sampled and mini-batch paths in seconds.
    monkeypatch.setattr(clustering, "EMBED_BATCH", 200)
    monkeypatch.setattr(clustering, "SAMPLE", 300)
    monkeypatch.setattr(clustering, "MINIBATCH_FROM", 500)
    subjects = (
        ("The striker scored", "The keeper saved a penalty", "The referee showed a red card"),
        ("Whisk the eggs with sugar", "Bake the bread in a hot oven", "Season the soup with salt"),
        ("Heavy rain is expected", "Strong winds will blow", "Snow will fall on the hills"),
    )
    endings = ("today", "again", "at last", "once more", "this week")
    texts = [f"{subjects[i % 3][i // 3 % 3]} {endings[i % 5]} ({i})." for i in range(600)]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(texts) + "\n")
    assert main(["run", "clustering", "--texts-file", str(source), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["output"]
    assert len(out["assignments"]) == 600 and 3 <= out["k"] <= clustering.MAX_AUTO_K
    subject_of = {}  # no cluster mixes two subjects (a subject's three phrases may be clusters of their own)
    for i, cluster in enumerate(out["assignments"]):
        assert subject_of.setdefault(cluster, i % 3) == i % 3
    for c in out["clusters"]:
        assert set(c["representatives"]) <= set(c["members"])


def test_texts_file_is_for_list_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "t.csv"
    source.write_text("id,text\n1,hello\n")
    assert main(["run", "sentiment", "--texts-file", str(source)]) == 2
    assert "--texts-file gives a list of texts; sentiment takes one text" in capsys.readouterr().err


def test_the_cli_and_comparison_text_show_a_progress_partial() -> None:
    from playground.service.formatting import format_output

    assert format_output("clusters", {"progress": "embedded 1,000 of 3,000 texts"}) == "embedded 1,000 of 3,000 texts"
