"""Property-based tests of input and parameter validation: each task input and each task's validate return
cleaned values with the promised invariants or raise InputError, plausible inputs validate again to themselves,
make_params returns parameters in range or raises ParamError, and the Advanced controls (advanced_arguments,
parse_stop) turn whatever the widgets give into typed arguments or ParamError. No test loads a model.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from playground.core.errors import InputError, ParamError, PlaygroundError
from playground.engines.params import MAX_NEW_TOKENS_CAP, PARAM_NAMES, GenerationParams, make_params
from playground.frontends.ui.helpers import ADVANCED, advanced_arguments, parse_stop
from playground.runtime.registry import COLLECTION_NAME, Input, TaskSpec, all_tasks
from playground.text.textio import clean_text
from tests.strategies import ANY_TEXT, FAST, JSON_VALUES, PROSE, VALID_TEXT, is_clean

# Numbers and number-like strings at the edges of what float(), int() and pydantic accept.
EDGE_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0, -0.0, 5e-324, 1e308, 10**400, -(10**400), 2**63, 2**64 + 1, True, False,
     "1e400", "-1e400", "nan", "inf", "", " ", "0x10", "1_000", "٣", " 7 ", "3.5", "auto"]
)  # fmt: skip


# --- task inputs -----------------------------------------------------------------------------------------------------

TASKS = all_tasks()


def _plausible_for(spec: Input) -> st.SearchStrategy[Any]:
    """Values a form or a JSONL row would give this input: mostly valid, with near-misses of its choices."""
    words = [*spec.choices, *spec.aliases]
    near = (
        st.sampled_from(words).flatmap(lambda w: st.sampled_from([w, w.upper(), f"  {w}\t", w.title(), w[:-1]]))
        if words
        else st.nothing()
    )
    some_text = (PROSE | VALID_TEXT | ANY_TEXT).filter(lambda t: clean_text(t).strip() != "")
    if spec.kind == "text":
        return some_text
    if spec.kind == "choice":
        return near
    if spec.kind == "options":
        return st.lists(near, min_size=1, max_size=4) | st.lists(near, min_size=1, max_size=4).map(",".join)
    if spec.kind == "collection":
        return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,70}", fullmatch=True) | some_text
    if spec.kind in ("integer", "number"):
        low, high = int(spec.minimum) - 1, int(spec.maximum) + 1
        return st.integers(low, high) | st.floats(low, high) | st.integers(low, high).map(str)
    if spec.kind == "messages":
        message = st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant", "bot"]),
                                         "content": some_text | JSON_VALUES})  # fmt: skip
        return some_text | st.lists(message, max_size=5) | st.lists(message, max_size=3).map(lambda m: [*m, {
            "role": "user", "content": "last"}])  # fmt: skip
    if spec.kind == "flag":
        return st.booleans() | st.sampled_from(["true", "No", " on ", "maybe", "1"])
    if spec.kind == "count":
        numbers = st.integers(0, spec.max_items + 1)
        return numbers | numbers.map(str) | st.sampled_from(["auto", " Auto ", "2.0", "٣"])
    items = st.lists(some_text, min_size=spec.min_items - 1, max_size=min(spec.max_items + 1, 8))
    return items | items.map("\n".join) | items.map(",".join)


def _values_for(spec: Input) -> st.SearchStrategy[Any]:
    """Values aimed at one input: plausible ones, arbitrary JSON, and edge numbers."""
    return st.one_of(_plausible_for(spec), JSON_VALUES, st.lists(ANY_TEXT, max_size=6), EDGE_NUMBERS)


def _check_cleaned(spec: Input, raw: Any, value: Any) -> None:
    """The invariants of one validated input value."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and not spec.required):
        assert value == spec.default
        return
    if spec.kind == "text":
        assert isinstance(value, str)
        assert value and value == value.strip() and is_clean(value) and len(value) <= spec.max_chars
    elif spec.kind == "choice":
        assert value in spec.choices or value in spec.aliases.values()
    elif spec.kind == "options":
        assert value and value == [c for c in spec.choices if c in value]
    elif spec.kind == "count":
        assert value == "auto" or (type(value) is int and 1 <= value <= spec.max_items)
    elif spec.kind == "collection":
        assert isinstance(value, str) and COLLECTION_NAME.fullmatch(value)
    elif spec.kind in ("integer", "number"):
        assert type(value) is (int if spec.kind == "integer" else float)
        assert spec.minimum <= value <= spec.maximum
    elif spec.kind == "flag":
        assert type(value) is bool
    elif spec.kind == "messages":
        assert isinstance(value, list) and value and value[-1]["role"] == "user"
        assert all(set(m) == {"role", "content"} and m["role"] in ("system", "user", "assistant") for m in value)
        assert all(m["content"] and m["content"] == m["content"].strip() and is_clean(m["content"]) for m in value)
        assert all(m["role"] != "system" for m in value[1:])
    else:  # texts, labels
        assert isinstance(value, list)
        assert spec.min_items <= len(value) <= spec.max_items
        assert all(isinstance(t, str) and t and t == t.strip() and is_clean(t) for t in value)
        assert all(len(t) <= spec.max_chars for t in value)
        if spec.kind == "labels":
            assert len(set(value)) == len(value)


INPUTS = [field for spec in TASKS for field in spec.inputs]


@FAST
@given(st.sampled_from(INPUTS), st.data())
def test_input_validate_raises_only_input_error(field: Input, data: st.DataObject) -> None:
    """Each input of each task, given any value, returns a cleaned value or raises InputError."""
    value = data.draw(_values_for(field) | st.none(), label=field.name)
    try:
        cleaned = field.validate(value)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    _check_cleaned(field, value, cleaned)


@FAST
@given(st.sampled_from(TASKS), st.data())
def test_task_validate_raises_only_input_error(spec: TaskSpec, data: st.DataObject) -> None:
    """Every task's validate, on any JSON object, returns cleaned inputs or raises InputError."""
    raw: dict[str, Any] = {}
    for field in spec.inputs:
        if data.draw(st.integers(0, 4), label=f"has {field.name}"):
            raw[field.name] = data.draw(_values_for(field), label=field.name)
    if not data.draw(st.integers(0, 5), label="no extra key"):
        raw.update(data.draw(st.dictionaries(ANY_TEXT, JSON_VALUES, min_size=1, max_size=2), label="extra"))
    try:
        cleaned = spec.validate(raw)
    except PlaygroundError as exc:
        assert isinstance(exc, InputError)
        return
    assert set(cleaned) == {i.name for i in spec.inputs}
    for field in spec.inputs:
        _check_cleaned(field, raw.get(field.name), cleaned[field.name])


@FAST
@given(st.sampled_from(TASKS), st.data())
def test_task_validate_accepts_its_own_output(spec: TaskSpec, data: st.DataObject) -> None:
    """Plausible inputs validate to values with the promised invariants, which validate again to themselves."""
    raw = {f.name: data.draw(_plausible_for(f), label=f.name) for f in spec.inputs}
    try:
        cleaned = spec.validate(raw)
    except PlaygroundError:
        return
    assert set(cleaned) == {i.name for i in spec.inputs}
    for field in spec.inputs:
        _check_cleaned(field, raw[field.name], cleaned[field.name])

    def lists(inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in inputs.items()}

    assert lists(spec.validate(cleaned)) == lists(cleaned)


# --- generation parameters -------------------------------------------------------------------------------------------

PARAM_VALUES = JSON_VALUES | EDGE_NUMBERS | st.lists(ANY_TEXT, max_size=3)
# Values around each parameter's range, so that valid parameters come up as often as refused ones.
NEAR_RANGE: dict[str, st.SearchStrategy[Any]] = {
    "max_new_tokens": st.integers(-1, MAX_NEW_TOKENS_CAP + 1),
    "temperature": st.floats(-0.5, 2.5),
    "top_p": st.floats(-0.1, 1.1),
    "top_k": st.integers(-1, 1001),
    "repetition_penalty": st.floats(0.4, 2.1),
    "num_beams": st.integers(0, 9),
    "seed": st.none() | st.integers(-1, 2**32),
    "stop": st.none() | VALID_TEXT | st.lists(VALID_TEXT, max_size=3),
    "logprobs": st.integers(-1, 6),
    "draft": st.sampled_from(["none", "prompt-lookup", "prompt-lookup:0", "prompt-lookup:64", "prompt-lookup:65"])
    | st.from_regex(r"(none|prompt-lookup)(:-?\d{1,3})?", fullmatch=True)
    | ANY_TEXT,
}
assert set(NEAR_RANGE) == PARAM_NAMES  # a new parameter needs a range here
PARAM_DICTS = st.one_of(
    st.fixed_dictionaries({}, optional=NEAR_RANGE),
    st.fixed_dictionaries({}, optional={name: NEAR_RANGE[name] | PARAM_VALUES for name in sorted(PARAM_NAMES)}),
    st.dictionaries(ANY_TEXT, PARAM_VALUES, max_size=2),
)


def _check_params(params: GenerationParams) -> None:
    """Every field of valid parameters is in its documented range."""
    assert 1 <= params.max_new_tokens <= MAX_NEW_TOKENS_CAP
    assert 0.0 <= params.temperature <= 2.0
    assert 0.0 < params.top_p <= 1.0
    assert 0 <= params.top_k <= 1000
    assert 0.5 <= params.repetition_penalty <= 2.0
    assert 1 <= params.num_beams <= 8
    assert params.seed is None or 0 <= params.seed <= 2**32 - 1
    assert all(isinstance(s, str) and s for s in params.stop)
    assert 0 <= params.logprobs <= 5
    assert 0 <= params.draft_tokens <= 64 and not (params.draft_tokens and (params.logprobs or params.num_beams > 1))


@FAST
@given(PARAM_DICTS)
@example({"temperature": math.nan})
@example({"max_new_tokens": 10**400, "seed": -1})
@example({"stop": [""]})
@example({"stop": {"a": 1}})
@example({"temprature": 0.5})
def test_make_params_raises_only_param_error(values: dict[str, Any]) -> None:
    """make_params returns parameters in range, or ParamError; merged() on them behaves the same."""
    try:
        params = make_params(values)
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)
        return
    _check_params(params)
    try:
        _check_params(params.merged(**values))
    except ParamError:
        pytest.fail("parameters that validated once must validate again")


BLANK = st.sampled_from(["", None])


def _advanced_values(wild: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """The eleven Advanced controls' values: blank, as the widgets give them, or drawn from wild."""
    return st.tuples(
        BLANK | VALID_TEXT | wild,  # model
        BLANK | st.sampled_from(["auto", "transformers", "llamacpp"]) | wild,  # engine
        *(BLANK | NEAR_RANGE[name] | NEAR_RANGE[name].map(str) | wild for name in ADVANCED[2:-1]),
        BLANK | VALID_TEXT | st.lists(VALID_TEXT, max_size=3) | wild,  # stop
    ).map(list)


ADVANCED_VALUES = _advanced_values(st.nothing()) | _advanced_values(PARAM_VALUES | st.floats().map(str))


@FAST
@given(ADVANCED_VALUES)
@example(["", "auto", "1e400", "nan", "inf", None, "", "", "", "9", "stop\\nhere"])
@example([None, None, 10**400, None, None, None, None, None, -(10**400), 10**400, None])
def test_advanced_arguments_then_make_params_raise_only_param_error(values: list[Any]) -> None:
    """The Advanced controls' values give typed api arguments or ParamError, and so does building params from them."""
    try:
        args = advanced_arguments(values)
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)
        return
    assert set(args) <= set(ADVANCED)
    for name in ("max_new_tokens", "top_k", "num_beams", "seed"):
        assert name not in args or type(args[name]) is int
    for name in ("temperature", "top_p", "repetition_penalty"):
        assert name not in args or (isinstance(args[name], float) and math.isfinite(args[name]))
    assert all(isinstance(s, str) and s for s in args.get("stop", []))
    try:
        _check_params(make_params({k: v for k, v in args.items() if k in PARAM_NAMES}))
    except PlaygroundError as exc:
        assert isinstance(exc, ParamError)


@FAST
@given(JSON_VALUES | st.lists(JSON_VALUES, max_size=4).map(tuple))
def test_parse_stop_gives_nonempty_strings(value: Any) -> None:
    """Any box value gives a list of non-empty stop strings; a text box gives one per line, \\n unescaped."""
    stops = parse_stop(value)
    assert all(isinstance(s, str) and s for s in stops)
    if isinstance(value, str):
        assert stops == [line.replace("\\n", "\n") for line in value.splitlines() if line]
