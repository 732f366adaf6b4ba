"""Every event of a public app runs under a wall-clock budget: past it, the visitor gets a one-line error, the
queue moves on to the next request, and the work itself is stopped (see playground.core.budget)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from playground.core.budget import BudgetError, run_budgeted
from playground.policy.limits import Limits

FILE_EVENTS = ("_batch", "evaluate", "index", "collection")  # api names of events that work through a file


def budget_for(api_name: str | None, limits: Limits) -> float | None:
    """The budget of an event by its API name: longer for the ones that run over a file."""
    name = str(api_name or "")
    if any(part in name for part in FILE_EVENTS):
        return limits.file_request_seconds
    return limits.request_seconds


def budgeted(fn: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """The same handler (generator or not, same signature for Gradio's special arguments) run under a budget."""

    def refuse(error: BudgetError) -> gr.Error:
        return gr.Error(str(error), print_exception=False)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from run_budgeted(lambda: fn(*args, **kwargs), seconds)
            except BudgetError as exc:
                raise refuse(exc) from None

        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        def once() -> Iterator[Any]:
            yield fn(*args, **kwargs)

        try:
            [result] = run_budgeted(once, seconds)  # to the end: the worker has finished when this returns
            return result
        except BudgetError as exc:
            raise refuse(exc) from None

    return call


def limit_events(demo: gr.Blocks, limits: Limits) -> int:
    """Put every queued event of the app under its budget; returns how many were wrapped (none when no limit)."""
    wrapped = 0
    for block_fn in demo.fns.values():
        fn = block_fn.fn
        if (
            fn is None
            or block_fn.is_cancel_function
            or inspect.iscoroutinefunction(fn)
            or inspect.isasyncgenfunction(fn)
        ):
            continue
        seconds = budget_for(block_fn.api_name, limits)
        if seconds:
            block_fn.fn = budgeted(fn, seconds)
            wrapped += 1
    return wrapped
