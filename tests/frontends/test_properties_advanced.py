"""Property-based tests of the app's Advanced controls: advanced_arguments and parse_stop turn whatever the widgets
give into typed arguments or ParamError. No test loads a model."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from playground.core.errors import ParamError, PlaygroundError
from playground.engines.params import PARAM_NAMES, make_params
from playground.frontends.ui.helpers import ADVANCED, advanced_arguments, parse_stop
from tests.strategies import FAST, JSON_VALUES, NEAR_RANGE, PARAM_VALUES, VALID_TEXT, check_params

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
        check_params(make_params({k: v for k, v in args.items() if k in PARAM_NAMES}))
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
