"""Shared fixtures: a hand-written fake backend for unit tests, and the real embedded models for integration tests."""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from playground.engines.base import Backend, Prompt
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.engines.pool import ModelPool

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach the hub
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
# Document collections made by tests live in a folder of their own, never in the user's data directory.
os.environ.setdefault("NLP_PLAYGROUND_DATA", tempfile.mkdtemp(prefix="nlp-playground-test-data-"))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


class FakeBackend(Backend):
    """Answers from a queue of canned texts and scores, and records every call in `history`."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        self.context_length = 512
        self.supports_chat = True
        self.texts: list[str] = []
        self.scores: list[list[float]] = []
        self.default_text = "fake answer"
        self.scorer: Callable[[str, Sequence[str]], list[float]] | None = None
        self.history: list[tuple[str, object]] = []

    def enqueue(self, *texts: str) -> FakeBackend:
        self.texts.extend(texts)
        return self

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        self.history.append(("generate", prompt))
        text = self.texts.pop(0) if self.texts else self.default_text
        for stop in params.stop:
            text = text.split(stop)[0]
        for word in text.split(" "):
            yield word + " "

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        self.history.append(("score", (context, list(continuations))))
        if self.scorer is not None:
            return self.scorer(context, continuations)
        return self.scores.pop(0) if self.scores else [0.0] * len(continuations)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.history.append(("embed", list(texts)))
        # Texts that share their first word get nearly the same vector, so clusters are predictable.
        rows = []
        for text in texts:
            seed = int(hashlib.md5(text.split()[0].lower().encode()).hexdigest()[:8], 16)
            base = np.random.default_rng(seed).normal(size=16)
            noise = np.random.default_rng(len(text)).normal(scale=0.05, size=16)
            rows.append(base + noise)
        vectors = np.array(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


class FakePool(ModelPool):
    """A pool whose models are FakeBackends, one per (model, engine), inspectable by name."""

    def __init__(self) -> None:
        self.fakes: dict[str, FakeBackend] = {}
        super().__init__(loader=self._make)

    def _make(self, ref: ModelRef) -> Backend:
        return self.fakes.setdefault(ref.name, FakeBackend(ref))

    def fake(self, name: str) -> FakeBackend:
        """The fake for a model name, created on first use so tests can enqueue before a run."""
        return self.fakes.setdefault(name, FakeBackend(ModelRef(name, "llama.cpp", "")))


@pytest.fixture
def fake_pool() -> FakePool:
    return FakePool()


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/benchmarks is not present (it is not part of a user's clone)")
    return SHARED


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_app(launch_settings: dict[str, Any] | None = None, **create: Any) -> tuple[Any, str]:
    """Build the app (create_app's keyword arguments), serve it on a free loopback port; return it and its URL."""
    from playground.frontends.ui import create_app

    demo = create_app(**create)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **(launch_settings or {}))  # fmt: skip
    return demo, f"http://127.0.0.1:{port}/"
