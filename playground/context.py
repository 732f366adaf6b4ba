"""What a task sees while it runs: the shared models (loaded on first use), its parameters and a meter."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import templates
from .backends import POOL, Backend, ModelPool, Prompt
from .backends.base import TokenPiece
from .models import ModelRef, resolve
from .params import GenerationParams

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


MAX_PROMPTS = 100  # prompts kept per task call (a long text translated sentence by sentence makes many)


@dataclass
class Meter:
    """Timings of one task call: model loading, time to first token, tokens made and time spent making them."""

    start: float = field(default_factory=time.perf_counter)
    load_s: float = 0.0
    first_token_s: float | None = None
    tokens: int = 0
    generate_s: float = 0.0
    models: list[ModelRef] = field(default_factory=list)
    scorer: str | None = None  # how labels were scored, when they were
    prompts: list[dict[str, Any]] = field(default_factory=list)  # what each model call was given, in order
    token_log: list[dict[str, Any]] = field(default_factory=list)  # generated tokens, when logprobs were asked for

    def record(self, ref: ModelRef, call: str, prompt: Prompt, continuations: Sequence[str] = ()) -> None:
        """Keep the exact prompt of one model call: the rendered text, or the messages sent through a chat template."""
        if len(self.prompts) >= MAX_PROMPTS:
            return
        sent = prompt if isinstance(prompt, str) else [dict(m) for m in prompt]
        entry: dict[str, Any] = {"model": ref.name, "call": call, "prompt": sent}
        if continuations:
            entry["continuations"] = list(continuations)
        self.prompts.append(entry)

    def timings(self) -> dict[str, Any]:
        total = time.perf_counter() - self.start
        return {
            "load_s": round(self.load_s, 3),
            "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 3),
            "total_s": round(total, 3),
            "tokens": self.tokens,
            "tokens_per_s": round(self.tokens / self.generate_s, 1) if self.generate_s > 0 and self.tokens else None,
        }


class MeteredBackend(Backend):
    """Wraps a shared backend to record this call's token counts and timings."""

    def __init__(self, inner: Backend, meter: Meter) -> None:
        self.inner = inner
        self.meter = meter
        self.ref = inner.ref
        self.context_length = inner.context_length
        self.supports_chat = inner.supports_chat

    def stream(self, prompt: Prompt, params: GenerationParams) -> Generator[str, None, None]:
        self.meter.record(self.ref, "generate", prompt)
        started = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self.inner.stream(prompt, params):
                if self.meter.first_token_s is None:
                    self.meter.first_token_s = time.perf_counter() - self.meter.start
                pieces.append(piece)
                if isinstance(piece, TokenPiece):
                    self.meter.token_log.extend(piece.tokens)
                yield piece
        finally:
            self.meter.generate_s += time.perf_counter() - started
            if pieces:
                self.meter.tokens += self.inner.count_generated(pieces)

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        self.meter.record(self.ref, "score", context, continuations)
        started = time.perf_counter()
        try:
            return self.inner.score(context, continuations)
        finally:
            self.meter.scorer = self.meter.scorer or self.inner.scorer  # the first model's: the task's own
            if self.meter.first_token_s is None:
                self.meter.first_token_s = time.perf_counter() - self.meter.start
            self.meter.generate_s += time.perf_counter() - started

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.inner.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def count_prompt(self, prompt: Prompt) -> int:
        return self.inner.count_prompt(prompt)


class TaskContext:
    """Hands a task its models lazily, so a task that never generates never loads an LLM."""

    def __init__(
        self,
        llm: ModelRef,
        embedder: ModelRef,
        params: GenerationParams,
        pool: ModelPool = POOL,
    ) -> None:
        self.llm_ref = llm
        self.embedder_ref = embedder
        self.params = params
        self.meter = Meter()
        self.templates: dict[str, str] = {}  # edited template texts, by template name, for this call only
        self._pool = pool
        self._llm: MeteredBackend | None = None
        self._embedder: MeteredBackend | None = None

    def _get(self, ref: ModelRef) -> MeteredBackend:
        backend, load_s = self._pool.get(ref)
        self.meter.load_s += load_s
        if ref not in self.meter.models:
            self.meter.models.append(ref)
        return MeteredBackend(backend, self.meter)

    @property
    def llm(self) -> MeteredBackend:
        """The task's language model."""
        if self._llm is None:
            self._llm = self._get(self.llm_ref)
        return self._llm

    def helper_llm(self, name: str) -> MeteredBackend:
        """Another model for one step of a task (the multilingual model translating what the task's model wrote)."""
        return self._get(resolve(name, None))

    @property
    def embedder(self) -> MeteredBackend:
        """The sentence embedder."""
        if self._embedder is None:
            self._embedder = self._get(self.embedder_ref)
        return self._embedder

    def render(self, template: str, **variables: Any) -> str:
        """Render a prompt template, or the user's edited text of it."""
        return templates.render(template, self.templates.get(template), **variables)

    def with_params(self, **overrides: Any) -> GenerationParams:
        """The call's parameters with task-specific overrides (e.g. a stop sequence) added."""
        if "stop" in overrides:
            overrides["stop"] = tuple(dict.fromkeys((*self.params.stop, *overrides["stop"])))
        return self.params.merged(**overrides)


def make_context(
    llm: str,
    embedder: str,
    engine: str | None,
    params: GenerationParams,
    pool: ModelPool = POOL,
    base_url: str | None = None,
) -> TaskContext:
    """Resolve model names (no loading yet; a remote model with no name asks its server) and build a context."""
    return TaskContext(
        resolve(llm, engine, base_url=base_url),
        resolve(embedder, None, role="embedder", base_url=base_url),
        params,
        pool,
    )
