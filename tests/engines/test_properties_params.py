"""Property-based tests of generation parameters: make_params returns parameters in range or raises ParamError, for
any values. No test loads a model."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from playground.core.errors import ParamError, PlaygroundError
from playground.engines.params import PARAM_NAMES, make_params
from tests.strategies import ANY_TEXT, FAST, NEAR_RANGE, PARAM_VALUES, check_params

PARAM_DICTS = st.one_of(
    st.fixed_dictionaries({}, optional=NEAR_RANGE),
    st.fixed_dictionaries({}, optional={name: NEAR_RANGE[name] | PARAM_VALUES for name in sorted(PARAM_NAMES)}),
    st.dictionaries(ANY_TEXT, PARAM_VALUES, max_size=2),
)


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
    check_params(params)
    try:
        check_params(params.merged(**values))
    except ParamError:
        pytest.fail("parameters that validated once must validate again")
