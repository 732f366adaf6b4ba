"""Several calls in flight at once, results in input order: how batches and evaluations use a remote server."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """Yield fn(item) for every item in input order, with up to `workers` calls running at once.

    Items are read a little ahead of the results (twice the workers), never all at once, so a large file streams.
    Closing the iterator early cancels the calls not yet started and waits for the ones running.
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    executor = ThreadPoolExecutor(workers, thread_name_prefix="playground")
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(executor.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
