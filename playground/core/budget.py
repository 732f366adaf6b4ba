"""Wall-clock budgets: work that runs past its time is stopped, and the caller gets a one-line error at once.

Two tools, both for work whose author we do not trust to finish (a template typed into a public page, a request
that meets a bug we have not found):

- `time_limit(seconds)` raises `Interrupted` in the calling thread when a block runs past its time. It interrupts
  Python code between bytecodes (a Jinja loop, a runaway helper); one long call into C code ends first.
- `run_budgeted(work, seconds)` runs a generator in a worker thread of its own and passes its items on; when the
  budget is spent it raises `BudgetError` in the caller at once, so the app's queue moves on, and stops the worker:
  first politely (`check()`, called at every model call and streamed token, raises in it), then, if it does not
  stop within a grace period, with `Interrupted` raised inside it.
"""

from __future__ import annotations

import contextvars
import ctypes
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from playground.core.errors import PlaygroundError

log = logging.getLogger(__name__)

T = TypeVar("T")
GRACE_S = 15.0  # how long a worker past its budget may take to stop by itself before it is interrupted


class Interrupted(BaseException):
    """Raised inside a thread whose time ran out."""


class BudgetError(PlaygroundError):
    """A request ran past its wall-clock budget and was stopped."""


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Ask the interpreter to raise `exception` in another thread at its next bytecode (None clears a pending one)."""
    target = ctypes.c_ulong(thread_id)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(exception) if exception else None)


class time_limit:
    """Raise `Interrupted` in this thread if the block runs past `seconds`; nothing happens when it ends in time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._done = False
        self._thread = threading.get_ident()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self.fired = True
                _raise_in(self._thread, Interrupted)

    def __enter__(self) -> time_limit:
        self._thread = threading.get_ident()
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            if self.fired:
                _raise_in(self._thread, None)  # the block ended before the exception was delivered: drop it
        if self.fired and kind is None:
            raise Interrupted


# The budget of the request this thread works for: its deadline and whether it was given up.
_current = threading.local()


def check() -> None:
    """Raise BudgetError when the request this thread works for is past its budget or was given up."""
    deadline: float | None = getattr(_current, "deadline", None)
    if deadline is None:
        return
    given_up: threading.Event = _current.given_up
    if given_up.is_set() or time.monotonic() > deadline:
        raise BudgetError(f"the request ran past its {_current.seconds:g} s budget and was stopped")


_DONE = object()


def run_budgeted(work: Callable[[], Iterator[T]], seconds: float, grace: float | None = None) -> Iterator[T]:
    """Yield the items of `work()`, run in a thread of its own; past `seconds`, raise BudgetError and stop the work.

    Closing this iterator (a Stop button) stops the work the same way, without an error. `grace` (GRACE_S by
    default) is how long the work may take to stop by itself before it is interrupted.
    """
    grace = GRACE_S if grace is None else grace
    items: queue.Queue[Any] = queue.Queue(maxsize=1)  # the worker waits for each item to be taken: no run-ahead
    given_up = threading.Event()
    deadline = time.monotonic() + seconds
    context = contextvars.copy_context()  # the app's per-request context (progress bars) goes with the work

    def put(item: Any) -> bool:
        while not given_up.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def body() -> None:
        _current.deadline, _current.given_up, _current.seconds = deadline, given_up, seconds
        results = work()
        try:
            for item in results:
                if not put((item, None)):
                    break
        except Interrupted:
            log.warning("a request was interrupted %.0f s past its %g s budget", grace, seconds)
        except BaseException as exc:  # handed to the caller, which raises it in its own thread
            put((_DONE, exc))
            return
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                try:
                    close()  # ends a generation at once and frees the model
                except BaseException:
                    log.debug("closing a given-up request failed", exc_info=True)
            _current.deadline = None
        put((_DONE, None))

    worker = threading.Thread(target=context.run, args=(body,), name="request", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item, error = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise BudgetError(f"the request ran past its {seconds:g} s budget and was stopped") from None
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        given_up.set()
        if worker.is_alive():
            threading.Thread(target=_stop, args=(worker, grace), name="request-stopper", daemon=True).start()


def _stop(worker: threading.Thread, grace: float) -> None:
    """Give a worker that was given up `grace` seconds to stop by itself, then interrupt it."""
    worker.join(grace)
    if worker.is_alive() and worker.ident is not None:
        _raise_in(worker.ident, Interrupted)
