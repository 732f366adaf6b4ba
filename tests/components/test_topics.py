"""The topic library: which labels take which topics, how a label scores, and the library's own sentences; on a
hand-made embedder and the fakes for the wiring, on the embedded models for the labels."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from playground.components import topics
from playground.engines.base import Backend, Prompt
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.service import api
from tests.fakes import FakePool


class TableEmbedder(Backend):
    """An embedder whose vectors come from a table (unit vectors), so cosines are chosen by the test."""

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.ref = ModelRef(name="table", engine="sentence-transformers", source="table")
        self.table = {k: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for k, v in table.items()}

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


@pytest.fixture
def small_library(monkeypatch: pytest.MonkeyPatch) -> None:
    library = {"ball games": ("goal", "match", "try"), "money": ("bank", "shares"), "weather": ("rain",)}
    monkeypatch.setattr(topics, "library", lambda: library)


def test_a_label_takes_the_topics_its_name_is_close_to(small_library: None) -> None:
    embedder = TableEmbedder(
        {
            "sport": [1, 0.1, 0],
            "finance": [0, 1, 0.3],
            "ball games": [1, 0, 0],
            "money": [0, 1, 0],
            "weather": [0, 0.3, 1],
        }
    )
    # weather's nearest label is finance, but at 0.55 it is more than the margin below finance's best (0.96).
    assert topics.matched_topics(embedder, ["sport", "finance"]) == {"sport": ["ball games"], "finance": ["money"]}


def test_the_library_abstains_when_a_label_names_none_of_its_topics(small_library: None) -> None:
    embedder = TableEmbedder(
        {"sport": [1, 0, 0], "spam": [0, 0.2, -1], "ball games": [1, 0, 0], "money": [0, 1, 0], "weather": [0, 0, 1]}
    )
    assert topics.matched_topics(embedder, ["sport", "spam"]) is None


def test_a_label_scores_the_mean_of_the_texts_nearest_sentences(small_library: None) -> None:
    embedder = TableEmbedder(
        {
            "text": [1, 0],
            "goal": [1, 0],
            "match": [0.6, 0.8],
            "try": [0, 1],
            "bank": [0.8, 0.6],
            "shares": [0, 1],
            "rain": [0, 1],
        }
    )
    scores = topics.topic_scores(embedder, "text", {"sport": ["ball games"], "finance": ["money", "weather"]})
    assert scores["sport"] == pytest.approx((1.0 + 0.6 + 0.0) / 3)
    assert scores["finance"] == pytest.approx((0.8 + 0.0 + 0.0) / 3)


def test_the_library_has_many_distinct_sentences_for_each_topic() -> None:
    library = topics.library()
    assert len(library) == 24  # the figures in docs/tasks.md
    assert {len(texts) for texts in library.values()} == {28}
    every = [t.lower() for texts in library.values() for t in texts]
    assert len(set(every)) == len(every)


def test_the_library_shares_no_six_word_run_with_the_news_benchmark(shared_benchmarks: Path) -> None:
    news = [words(json.loads(line)["text"]) for line in (shared_benchmarks / "agnews-400.jsonl").open(encoding="utf-8")]
    news_runs = {" ".join(item[i : i + 6]) for item in news for i in range(len(item) - 5)}
    every = [t for texts in topics.library().values() for t in texts]
    shared = [t for t in every if any(" ".join(words(t)[i : i + 6]) in news_runs for i in range(len(words(t)) - 5))]
    assert not shared


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_classification_lends_the_library_to_labels_that_name_its_topics(fake_pool: FakePool) -> None:
    # The fake embedder gives texts with the same first word nearly the same vector: "Sports" is the topic "sports".
    out = api.run("classification", pool=fake_pool, text="Goals in the final.", labels="Sports, Business").output
    assert out["topics"] == {"Sports": ["sports"], "Business": ["business"]}
    assert set(out["voters"]) == {"topics", "second_model"}
    embedded = [t for c in fake_pool.fake("minilm-l6-v2").history if c[0] == "embed" for t in c[1]]
    assert set(topics.library()["sports"]) <= set(embedded)
    assert any(c[0] == "score" for c in fake_pool.fake("gemma3-270m").history)
    assert not [c for c in fake_pool.fake("smollm2-135m").history if c[0] == "score"]  # no weight, so not asked
    # The topics' vote decides when the second model has no opinion.
    topic_vote = out["voters"]["topics"]
    assert out["label"] == max(topic_vote, key=topic_vote.get)


def test_classification_keeps_the_label_name_ensemble_when_the_library_abstains(fake_pool: FakePool) -> None:
    names = api.run(
        "classification", pool=fake_pool, text="Goals in the final.", labels="Sports, Business", method="names"
    ).output
    assert "topics" not in names and set(names["voters"]) == {"prompt", "embedder"}
    unknown = api.run("classification", pool=fake_pool, text="Great film.", labels="positive, negative").output
    assert "topics" not in unknown and set(unknown["voters"]) == {"prompt", "embedder"}
    assert "gemma3-270m" not in fake_pool.fakes  # the second model is not even loaded


def test_a_model_the_user_chose_decides_by_the_label_names(fake_pool: FakePool) -> None:
    out = api.run(
        "classification", pool=fake_pool, model="org/bigger-model", text="Goals.", labels="Sports, Business"
    ).output
    assert "topics" not in out and set(out["voters"]) == {"prompt", "embedder"}
    assert any(c[0] == "score" for c in fake_pool.fake("org/bigger-model").history)


@pytest.mark.model
def test_the_library_files_tech_company_news_under_the_label_that_names_technology() -> None:
    labels = ["World", "Sports", "Business", "Sci/Tech"]
    text = "Oracle revamps its database software to run on cheaper servers."
    library = api.run("classification", text=text, labels=labels).output
    assert library["topics"]["Sci/Tech"] == ["science", "technology"]
    assert library["label"] == "Sci/Tech"
    topic_vote = library["voters"]["topics"]
    assert max(topic_vote, key=topic_vote.get) == "Sci/Tech" and topic_vote["Sci/Tech"] > 0.5
