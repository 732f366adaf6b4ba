"""Quality levels: `quality=fast|balanced|best` sets a task's techniques; a setting given explicitly wins."""

from __future__ import annotations

import pytest

from playground.core.errors import InputError
from playground.runtime.inputs import QUALITY_LEVELS, Input, quality_input
from playground.runtime.registry import TaskSpec, get_task, register
from playground.service import api
from tests.fakes import FakePool


def generations(fake_pool: FakePool, task: str, model: str, **arguments: object) -> int:
    fake = fake_pool.fake(model)
    api.run(task, pool=fake_pool, seed=3, **arguments)
    return sum(kind == "generate" for kind, _ in fake.history)


@pytest.mark.parametrize(("quality", "expected"), [("fast", 1), ("balanced", 4), ("best", 8), (None, 8)])
def test_style_transfer_draws_the_candidates_its_level_says(fake_pool: FakePool, quality: str | None,
                                                             expected: int) -> None:  # fmt: skip
    chosen = {"quality": quality} if quality else {}
    count = generations(fake_pool, "style_transfer", "smollm2-135m", text="The food was great.", style="formal",
                        **chosen)  # fmt: skip
    assert count == expected


@pytest.mark.parametrize(("quality", "expected"), [("fast", 1), ("balanced", 3), ("best", 5)])
def test_translation_draws_the_candidates_its_level_says(fake_pool: FakePool, quality: str, expected: int) -> None:
    fake = fake_pool.fake("gemma3-270m")
    fake.default_text = " Le chat dort."
    count = generations(fake_pool, "translation", "gemma3-270m", text="The cat sleeps.", target_lang="fr",
                        source_lang="en", quality=quality)  # fmt: skip
    assert count == expected


def test_an_explicit_setting_wins_over_the_level(fake_pool: FakePool) -> None:
    count = generations(fake_pool, "style_transfer", "smollm2-135m", text="The food was great.", style="formal",
                        quality="fast", candidates=3)  # fmt: skip
    assert count == 3
    spec = get_task("translation")
    assert spec.validate({"text": "Hi.", "target_lang": "fr", "quality": "balanced"})["candidates"] == 3
    assert (
        spec.validate({"text": "Hi.", "target_lang": "fr", "quality": "balanced", "candidates": 2})["candidates"] == 2
    )
    assert spec.validate({"text": "Hi.", "target_lang": "fr"})["candidates"] == 5  # best, the default


def test_an_unknown_level_is_one_line() -> None:
    with pytest.raises(InputError, match="quality") as caught:
        get_task("translation").validate({"text": "Hi.", "target_lang": "fr", "quality": "ultra"})
    assert "\n" not in str(caught.value) and "fast" in str(caught.value)


def test_each_level_is_described_and_a_task_must_define_them_all() -> None:
    item = quality_input({"fast": "one pass", "balanced": "some", "best": "all"})
    assert item.advanced and item.choices == QUALITY_LEVELS and "fast: one pass" in item.help

    def run(ctx: object, inputs: object) -> object:
        yield {}

    partial = TaskSpec(name="half_levels", title="Half", description="d", run=run,  # type: ignore[arg-type]
                       inputs=(Input("text", "text", "Text"), item), qualities={"fast": {}, "best": {}})  # fmt: skip
    with pytest.raises(ValueError, match="every level"):
        register(partial)
    unknown = TaskSpec(name="odd_levels", title="Odd", description="d", run=run,  # type: ignore[arg-type]
                       inputs=(Input("text", "text", "Text"), item),
                       qualities={level: {"beams": 2} for level in QUALITY_LEVELS})  # fmt: skip
    with pytest.raises(ValueError, match="beams"):
        register(unknown)
