"""The hand-written fake backend the unit tests run tasks on, and a model pool made of them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from playground.engines.base import Backend, Prompt
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.engines.pool import ModelPool


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
