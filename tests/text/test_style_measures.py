"""The model-free register measures (formality, reading ease, concision), their use in ranking style-transfer
candidates and in the eval's `moved` metric; and, on the embedded models, rewrites that move as asked."""

from __future__ import annotations

import pytest

from playground.core.resources import data_dir
from playground.evaluation import evaluate as evaluation
from playground.service import api
from playground.text.style_measures import casual_markers, formality, moved, reading_ease, style_score, syllables


def test_syllables_and_reading_ease_follow_word_and_sentence_length() -> None:
    assert [syllables(w) for w in ("cat", "table", "make", "municipality", "free")] == [1, 2, 1, 6, 1]
    easy = "The cat sat on the mat. It was warm."
    hard = "The municipality implemented a comprehensive initiative to ameliorate congestion."
    assert reading_ease(easy) > 90 > 10 > reading_ease(hard)
    assert reading_ease("") == 0.0


def test_casual_markers_and_formality() -> None:
    casual = "hey, can u send me the stuff asap? thx!"
    assert casual_markers(casual) >= 6  # hey, u, stuff, asap, thx, "!", the lower-case start
    assert casual_markers("Could you please send me the report?") == 0
    assert formality("Could you please send me the report?") == 1.0
    assert formality(casual) < 0.3
    assert casual_markers("I can't come") == 2  # a contraction and no final stop


def test_style_scores_and_moves_are_relative_where_the_style_is() -> None:
    source = "Due to the fact that it was raining outside, we made the decision to stay at home."
    assert style_score("concise", "We stayed home because of the rain.", source) > 0.5
    assert style_score("concise", source + " Really.", source) == 0.0
    assert moved("concise", "We stayed home.", source) is True
    assert moved("concise", source, source) is False
    assert moved("formal", "Thank you for your help.", "thx 4 the help!!") is True
    assert moved("informal", "Thank you for your help.", "thx 4 the help!!") is False
    assert moved("persuasive", "Buy it now.", "It is for sale.") is None
    assert style_score("positive", "Great.", "Bad.") is None  # sentiment is the sentiment task's to measure


def test_the_eval_counts_rewrites_that_moved_and_leaves_unmeasured_styles_out() -> None:
    rows = [
        {"source": "hey, thx a lot!!", "reference": "Thank you very much.", "target_style": "formal"},
        {"source": "We are very grateful.", "reference": "thx!", "target_style": "informal"},
        {"source": "It is for sale.", "reference": "Buy it today!", "target_style": "persuasive"},
    ]
    preds = ["Thank you very much.", "We are very grateful.", "Buy it now!"]
    spec = evaluation.eval_spec("style_transfer")
    scores = spec.score(preds, [r["reference"] for r in rows], rows, evaluation.Tools({}))
    assert scores["moved"] == pytest.approx(0.5)  # formal moved, informal did not; persuasive is not counted
    assert "target_style" not in scores


def test_the_register_set_is_split_and_its_human_rewrites_all_move() -> None:
    rows = evaluation.read_eval_set(data_dir("assets") / "eval" / "style_registers.jsonl")
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {r["target_style"] for r in rows} == {"formal", "simple", "concise"}
    assert all(moved(r["target_style"], r["reference"], r["source"]) for r in rows)


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("hey, thx for the help yesterday, u saved me!", "formal"),
        ("Due to the fact that it was raining outside, we made the decision to stay at home.", "concise"),
    ],
)
def test_the_embedded_model_rewrites_in_the_asked_direction(text: str, style: str) -> None:
    out = api.run("style_transfer", text=text, style=style, seed=0).output
    assert moved(style, out["text"], text), out["text"]
    assert all("style" in c for c in out["candidates"])  # every candidate was measured for the ranking
