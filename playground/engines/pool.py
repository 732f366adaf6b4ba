"""Models load lazily, once per process, and are shared by every task."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from playground.engines.base import Backend
from playground.engines.catalogue import ModelRef


def _load(ref: ModelRef) -> Backend:
    # Engines import their heavy libraries only when a model of theirs is first asked for.
    if ref.engine == "llama.cpp":
        from playground.engines.llamacpp import LlamaCppBackend

        return LlamaCppBackend(ref)
    if ref.engine == "transformers":
        from playground.engines.hf import TransformersBackend

        return TransformersBackend(ref)
    if ref.engine == "openai":
        from playground.engines.remote import OpenAIBackend

        return OpenAIBackend(ref)
    from playground.engines.embedder import SentenceTransformerBackend

    return SentenceTransformerBackend(ref)


class ModelPool:
    """A small cache of loaded backends keyed by (model, engine, source)."""

    def __init__(self, loader: Callable[[ModelRef], Backend] = _load) -> None:
        self._loader = loader
        self._backends: dict[tuple[str, str, str], Backend] = {}
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        # Wraps every load: the CLI sets a status line on stderr here, so a cold start says what it waits for.
        self.on_load: Callable[[ModelRef], AbstractContextManager[object]] = lambda ref: nullcontext()

    def get(self, ref: ModelRef) -> tuple[Backend, float]:
        """Return the backend for ref and the seconds spent loading it now (0 when cached)."""
        with self._lock:
            backend = self._backends.get(ref.key)
            if backend is not None:
                return backend, 0.0
            key_lock = self._key_locks.setdefault(ref.key, threading.Lock())
        # Loading happens outside the pool lock so one slow model does not block the others.
        with key_lock:
            backend = self._backends.get(ref.key)
            if backend is not None:
                return backend, 0.0
            start = time.perf_counter()
            with self.on_load(ref):
                backend = self._loader(ref)
            with self._lock:
                self._backends[ref.key] = backend
            return backend, time.perf_counter() - start

    def loaded(self) -> list[tuple[str, str, str]]:
        """Return the (model, engine, source) keys that are loaded now."""
        with self._lock:
            return list(self._backends)

    def backends(self) -> list[Backend]:
        """Return the loaded backends."""
        with self._lock:
            return list(self._backends.values())

    def forget(self, keys: set[tuple[str, str, str]]) -> None:
        """Forget the backends with these keys (a server that went away, a test's stand-in)."""
        with self._lock:
            for key in keys:
                self._backends.pop(key, None)

    def clear(self) -> None:
        """Forget every loaded backend (they are freed once nothing else holds them)."""
        with self._lock:
            self._backends.clear()


POOL = ModelPool()
