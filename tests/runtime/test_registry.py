"""The registry, task specs and input validation, on no model at all."""

from __future__ import annotations

import pytest

from playground.core.errors import InputError, ParamError, TemplateError, UnknownTaskError
from playground.engines.params import make_params
from playground.runtime.registry import Input, TaskSpec, all_tasks, get_task, register
from playground.service import api
from tests.helpers import EXPECTED_TASKS


def test_every_task_is_registered_in_display_order() -> None:
    names = [spec.name for spec in all_tasks()]
    assert set(names) == EXPECTED_TASKS and len(EXPECTED_TASKS) >= 16
    assert names[0] == "generation"


def test_unknown_task_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownTaskError, match="Did you mean 'sentiment'"):
        get_task("sentimnt")


def test_task_names_accept_dashes() -> None:
    assert get_task("style-transfer").name == "style_transfer"


def test_schema_is_json_ready_and_lists_inputs() -> None:
    schemas = {s["name"]: s for s in api.list_tasks()}
    translation = schemas["translation"]
    assert translation["default_model"] == "gemma3-270m"
    target = next(i for i in translation["inputs"] if i["name"] == "target_lang")
    assert {"en", "fr", "es", "de", "it", "pt"} <= set(target["choices"])
    assert schemas["clustering"]["embedder"] == "minilm-l6-v2"


@pytest.mark.parametrize(
    ("task", "inputs", "message"),
    [
        ("sentiment", {"text": ""}, "text is empty"),
        ("sentiment", {"text": "   \n "}, "text is empty"),
        ("sentiment", {}, "needs the input 'text'"),
        ("sentiment", {"txt": "hi"}, "Did you mean 'text'"),
        ("sentiment", {"text": "x" * 4001}, "too long: 4001 characters, the limit is 4000"),
        ("sentiment", {"text": 3}, "must be a string"),
        ("translation", {"text": "hi", "target_lang": "klingon"}, "unknown target_lang 'klingon'"),
        ("translation", {"text": "hi", "target_lang": "auto"}, "unknown target_lang"),
        ("style_transfer", {"text": "hi", "style": "pirate"}, "choose one of: formal"),
        ("classification", {"text": "hi", "labels": ["a"]}, "at least 2 labels"),
        ("classification", {"text": "hi", "labels": [str(i) for i in range(21)]}, "at most 20 labels"),
        ("classification", {"text": "hi", "labels": "a, a"}, "at least 2 labels"),
        ("clustering", {"texts": ["only one"]}, "at least 2 texts"),
        ("clustering", {"texts": ["a", "b"], "n_clusters": "many"}, "whole number or 'auto'"),
        ("clustering", {"texts": ["a", "b"], "n_clusters": 0}, "between 1 and 20"),
        ("summarization", {"text": "hi", "mode": "poetic"}, "unknown mode"),
    ],
)
def test_bad_inputs_raise_a_clear_error(task: str, inputs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        get_task(task).validate(inputs)


@pytest.mark.parametrize(
    ("task", "inputs", "expected"),
    [
        ("translation", {"text": " hola "}, {"text": "hola", "target_lang": "fr", "source_lang": "auto"}),
        ("translation", {"text": "x", "target_lang": "German"}, {"target_lang": "de"}),
        ("translation", {"text": "x", "target_lang": "ES"}, {"target_lang": "es"}),
        ("classification", {"text": "x", "labels": "sports, politics"}, {"labels": ["sports", "politics"]}),
        ("classification", {"text": "x", "labels": "a\nb\n\nc"}, {"labels": ["a", "b", "c"]}),
        ("clustering", {"texts": "one\ntwo\n"}, {"texts": ["one", "two"], "n_clusters": "auto"}),
        ("clustering", {"texts": ["a", "b"], "n_clusters": "3"}, {"n_clusters": 3}),
        ("summarization", {"text": "x"}, {"mode": "abstractive"}),
    ],
)
def test_inputs_are_cleaned_and_defaulted(task: str, inputs: dict, expected: dict) -> None:
    cleaned = get_task(task).validate(inputs)
    assert {k: cleaned[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"temperature": -1}, "temperature"),
        ({"max_new_tokens": 100_000}, "max_new_tokens"),
        ({"top_p": 0}, "top_p"),
        ({"num_beams": 0}, "num_beams"),
        ({"temprature": 0.5}, "Did you mean 'temperature'"),
        ({"stop": [""]}, "stop sequences must not be empty"),
    ],
)
def test_bad_generation_params_raise_param_error(values: dict, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        make_params(values)


def test_params_accept_a_single_stop_string_and_merge() -> None:
    params = make_params({"stop": "END", "seed": 3})
    assert params.stop == ("END",)
    assert params.merged(temperature=0.5).seed == 3


def _noop(ctx, inputs):  # pragma: no cover - never run
    yield {}


def test_register_rejects_a_template_using_an_undeclared_variable() -> None:
    spec = TaskSpec(
        name="broken",
        title="Broken",
        description="uses a variable it does not declare",
        inputs=(Input("prompt", "text", "Prompt"),),  # sentiment.j2 reads `text`
        templates=("sentiment.j2",),
        run=_noop,
    )
    with pytest.raises(TemplateError, match="text"):
        register(spec)


def test_register_rejects_a_missing_template_and_a_duplicate_name() -> None:
    missing = TaskSpec("ghost", "Ghost", "", (Input("text", "text", "Text"),), _noop, templates=("nope.j2",))
    with pytest.raises(TemplateError, match="not found"):
        register(missing)
    with pytest.raises(ValueError, match="twice"):
        register(get_task("sentiment"))
