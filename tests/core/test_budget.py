"""Wall-clock budgets: a block past its time is interrupted, a request past its budget answers with a one-line error
at once and its work stops, politely or not; work that ends in time is untouched."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from playground.core import budget
from playground.core.budget import BudgetError, Interrupted, run_budgeted, time_limit


def _spin(seconds: float) -> int:
    """Pure-Python work that never looks at a clock it does not own."""
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        count += 1
    return count


def test_time_limit_interrupts_a_python_loop() -> None:
    started = time.perf_counter()
    with pytest.raises(Interrupted), time_limit(0.3):
        _spin(30)
    assert time.perf_counter() - started < 3


def test_time_limit_leaves_work_that_ends_in_time_alone() -> None:
    with time_limit(5) as limit:
        assert _spin(0.05) > 0
    assert not limit.fired
    time.sleep(0.1)
    assert _spin(0.05) > 0  # no interruption left pending for later code


def test_items_pass_through_in_order() -> None:
    assert list(run_budgeted(lambda: iter(range(5)), seconds=5)) == [0, 1, 2, 3, 4]


def test_an_error_of_the_work_reaches_the_caller() -> None:
    def work() -> Iterator[int]:
        yield 1
        raise ValueError("bad row")

    results = run_budgeted(work, seconds=5)
    assert next(results) == 1
    with pytest.raises(ValueError, match="bad row"):
        next(results)


def _polite(stopped: threading.Event) -> Iterator[int]:
    """Work that checks its budget, as every model call and streamed token does."""
    try:
        yield 0
        while True:
            budget.check()
            time.sleep(0.01)
    finally:
        stopped.set()


def test_past_its_budget_the_caller_gets_an_error_at_once_and_polite_work_stops() -> None:
    stopped = threading.Event()
    started = time.perf_counter()
    results = run_budgeted(lambda: _polite(stopped), seconds=0.5, grace=30)
    assert next(results) == 0
    with pytest.raises(BudgetError, match=r"ran past its 0.5 s budget"):
        next(results)
    assert time.perf_counter() - started < 3
    assert stopped.wait(5), "the work went on after its budget"


def test_a_runaway_that_never_checks_is_interrupted_after_the_grace() -> None:
    finished = threading.Event()
    interrupted = threading.Event()

    def runaway() -> Iterator[int]:
        try:
            yield 0
            while True:  # a bug: no budget check, no model call
                _spin(0.01)
        except Interrupted:
            interrupted.set()
            raise
        finally:
            finished.set()

    results = run_budgeted(runaway, seconds=0.3, grace=0.3)
    next(results)
    with pytest.raises(BudgetError):
        next(results)
    assert finished.wait(10) and interrupted.is_set()


def test_closing_early_stops_the_work_without_an_error() -> None:
    stopped = threading.Event()
    results = run_budgeted(lambda: _polite(stopped), seconds=60, grace=30)
    assert next(results) == 0
    results.close()  # the Stop button
    assert stopped.wait(5)


def test_check_outside_a_budgeted_request_does_nothing() -> None:
    release = threading.Event()

    def waiting() -> Iterator[int]:
        yield 0
        release.wait(5)  # still inside its request, past its budget

    results = run_budgeted(waiting, seconds=0.1, grace=30)
    assert next(results) == 0
    time.sleep(0.3)
    assert budget.check() is None  # that budget is the request's thread's, not this one's
    release.set()
    results.close()


def test_a_model_call_past_the_budget_stops_at_its_next_token(fake_pool: Any) -> None:
    """The wiring: every streamed token checks the request's budget, so a long generation ends at the budget."""
    from playground.service import api
    from tests.fakes import FakeBackend

    made: list[int] = []

    class Slow(FakeBackend):
        def stream(self, prompt: Any, params: Any) -> Iterator[str]:
            for number in range(1000):
                made.append(number)
                time.sleep(0.01)
                yield "x "

    api.run("generation", pool=fake_pool, prompt="Warm up.")  # imports and first loads are not what is measured
    fake_pool._loader = Slow
    fake_pool.clear()
    results = run_budgeted(lambda: api.stream("generation", pool=fake_pool, prompt="Go on."), seconds=2, grace=30)
    with pytest.raises(BudgetError):
        list(results)
    time.sleep(0.3)
    count = len(made)
    time.sleep(0.3)
    assert 0 < count < 1000 and len(made) == count, "the generation went on after the budget"
