"""Property-based tests of input validation: each task input and each task's validate return cleaned values with the
promised invariants or raise InputError, and plausible inputs validate again to themselves. No test loads a model."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from playground.core.errors import InputError, PlaygroundError
from playground.runtime.registry import COLLECTION_NAME, Input, TaskSpec, all_tasks
from playground.text.textio import clean_text
from tests.strategies import ANY_TEXT, EDGE_NUMBERS, FAST, JSON_VALUES, PROSE, VALID_TEXT, is_clean

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


def _check_cleaned(spec: Input, raw: Any, value: Any, level: dict[str, Any] | None = None) -> None:
    """The invariants of one validated input value; level: the settings of the task's quality level, if any."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and not spec.required):
        assert value == (level or {}).get(spec.name, spec.default)  # a level's setting stands in for a default
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
    level = dict(spec.qualities.get(cleaned.get("quality", ""), {}))
    for field in spec.inputs:
        _check_cleaned(field, raw.get(field.name), cleaned[field.name], level)


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
    level = dict(spec.qualities.get(cleaned.get("quality", ""), {}))
    for field in spec.inputs:
        _check_cleaned(field, raw[field.name], cleaned[field.name], level)

    def lists(inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in inputs.items()}

    assert lists(spec.validate(cleaned)) == lists(cleaned)
