"""Hostile inputs against validation and templates: the hostile set covers what the issue lists, template syntax in
an input is text, and a bad choice gets a short error that names it."""

from __future__ import annotations

from typing import Any

import pytest

from playground.core.errors import InputError, PlaygroundError
from playground.runtime import templates
from playground.runtime.registry import get_task
from tests.hostile import BY_NAME, HOSTILE, TASKS, build_row, hostile_value


def test_the_hostile_set_covers_what_the_issue_lists() -> None:
    names = set(BY_NAME)
    assert len(names) == len(HOSTILE), "names are row ids: they must be unique"
    for needed in ("lone_high_surrogate", "control_chars", "rtl_override", "zero_width", "emoji", "combining_marks",
                   "script_tag", "img_onerror", "jinja_expression", "jinja_block", "prompt_injection", "empty",
                   "whitespace_only", "huge", "long_single_token", "labels_empty", "labels_duplicates",
                   "labels_markup", "temperature_nan", "max_new_tokens_negative", "top_p_too_big",
                   "stop_empty_string"):  # fmt: skip
        assert needed in names
    assert len(hostile_value(BY_NAME["huge"])) >= 100_000
    for task in TASKS:
        assert sum(build_row(item, task) is not None for item in HOSTILE) >= 35


@pytest.mark.parametrize("name", ["jinja_expression", "jinja_block", "chat_markup"])
def test_template_syntax_in_inputs_is_text_not_code(name: str) -> None:
    value = hostile_value(BY_NAME[name])
    summary = {"sentences": "two sentences", "words": 20}
    for template, key, extra in (("generation.j2", "prompt", {}), ("sentiment.j2", "text", {}),
                                 ("summarization.j2", "text", summary)):  # fmt: skip
        rendered = templates.render(template, **{key: value}, **extra)
        assert value in rendered  # inserted verbatim: "{{ 7*7 }}" is not evaluated to 49


def test_an_unknown_choice_is_named_in_its_error() -> None:
    with pytest.raises(InputError, match="unknown style '<script>'"):
        get_task("style_transfer").validate({"text": "hi", "style": "<script>"})


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("translation", {"text": "hi", "target_lang": "x" * 100_000}),
        ("style_transfer", {"text": "hi", "style": "y" * 100_000}),
        ("grammar", {"text": "hi", "language": "z" * 100_000}),
    ],
)
def test_a_huge_choice_value_gets_a_short_error(task: str, inputs: dict[str, Any]) -> None:
    with pytest.raises(PlaygroundError) as caught:
        get_task(task).validate(inputs)
    assert len(str(caught.value)) < 500, f"{len(str(caught.value))} characters"


def test_a_choice_given_a_list_says_what_is_wrong() -> None:
    with pytest.raises(InputError) as caught:
        get_task("summarization").validate({"text": "Cats sleep.", "mode": ["extractive"]})
    assert "empty" not in str(caught.value)
