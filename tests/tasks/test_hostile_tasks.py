"""Hostile inputs to the tasks on the fake backend: identical texts, and items of control characters only."""

from __future__ import annotations

from typing import Any

import pytest

from playground.service import api
from tests.fakes import FakePool


def test_clustering_identical_texts_with_forced_k_has_no_empty_cluster(fake_pool: FakePool) -> None:
    result = api.run("clustering", pool=fake_pool, texts=["same", "same", "same"], n_clusters=3)
    assert all(c["size"] >= 1 for c in result.output["clusters"]), result.output["clusters"]


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("clustering", {"texts": ["\x00\x07", "red apple", "green apple"]}),
        ("clustering", {"texts": "red apple\n\x1b\ngreen apple"}),  # as the app's texts box sends it
        ("classification", {"text": "The striker scored.", "labels": ["\x00", "sports", "cooking"]}),
    ],
)
def test_a_control_character_only_item_is_dropped_like_a_blank_one(
    task: str, inputs: dict[str, Any], fake_pool: FakePool
) -> None:
    result = api.run(task, pool=fake_pool, **inputs)
    assert result.done
    if task == "clustering":  # the two real texts are clustered; the control characters are no text
        assert len(result.output["assignments"]) == 2
    else:
        assert set(result.output["scores"]) == {"sports", "cooking"}
