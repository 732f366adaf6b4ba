"""Mixed reviews: a text that praises one thing and criticises another is not 99% sure of its label."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from playground.service import api
from playground.text.sentences import contrast_clauses
from tests.fakes import FakePool

MIXED = "The room was tiny and the staff ignored us, but breakfast was lovely."


def test_contrasts_split_a_text_into_parts() -> None:
    assert contrast_clauses(MIXED) == ["The room was tiny and the staff ignored us", "breakfast was lovely"]
    assert contrast_clauses("Although the hotel is central, the walls are thin.") == [
        "the hotel is central", "the walls are thin"
    ]  # fmt: skip
    assert contrast_clauses("The acting is superb; the plot makes little sense.") == [
        "The acting is superb", "the plot makes little sense"
    ]  # fmt: skip
    assert contrast_clauses("A lovely, quiet hotel.") == ["A lovely, quiet hotel"]


def by_words(context: str, labels: Sequence[str]) -> list[float]:
    """A scorer that reads the review in the prompt: 'lovely' is positive, 'tiny' negative, both: negative wins."""
    review = context.rsplit("Review:", 1)[-1] if "Review:" in context else context
    want = "negative" if "tiny" in review else "positive" if "lovely" in review else "neutral"
    return [0.0 if want in label else -4.0 for label in labels]


def test_a_review_with_a_praised_and_a_criticised_part_is_less_sure(fake_pool: FakePool) -> None:
    for name in ("smollm2-135m", "gemma3-270m"):
        fake_pool.fake(name).scorer = by_words
    out = api.run("sentiment", pool=fake_pool, text=MIXED).output
    before, after = out["ensemble_scores"], out["scores"]
    assert out["label"] == "negative" == max(after, key=after.__getitem__)  # the ensemble's label stays
    assert after["negative"] < before["negative"] and sum(after.values()) == pytest.approx(1)
    assert [(m["text"], m["label"]) for m in out["mixed"]] == [
        ("The room was tiny and the staff ignored us", "negative"), ("breakfast was lovely", "positive")
    ]  # fmt: skip
    one_way = api.run("sentiment", pool=fake_pool, text="The room was tiny, but the bed was tiny too.").output
    assert one_way["label"] == "negative" and "mixed" not in one_way  # both parts negative: not mixed


@pytest.mark.model
def test_the_newcomers_mixed_review_does_not_read_negative_99_percent() -> None:
    out = api.run("sentiment", text=MIXED).output
    assert "mixed" in out and max(out["scores"].values()) < 0.9, out
    clear = api.run("sentiment", text="The room was tiny, dirty and loud, and the staff ignored us.").output
    assert clear["label"] == "negative" and "mixed" not in clear
