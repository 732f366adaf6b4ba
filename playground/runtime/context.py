"""What a task sees while it runs: the shared models (loaded on first use), its parameters and a meter."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core import budget
from playground.engines.base import Backend, Prompt, TokenPiece
from playground.engines.catalogue import ModelRef, resolve
from playground.engines.params import GenerationParams
from playground.engines.pool import POOL, ModelPool
from playground.runtime import templates

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


MAX_PROMPTS = 100  # prompts kept per task call (a long text translated sentence by sentence makes many)


CALL_KINDS = ("generate", "score", "embed")


@dataclass
class ModelUse:
    """What one model did in a task call: its calls by kind, the tokens it generated and the time spent in it."""

    ref: ModelRef
    load_s: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)  # by kind: generate, score, embed
    tokens: int = 0  # generated, by the generations that ended
    seconds: float = 0.0  # inside the model: reading prompts, decoding, scoring, embedding
    decoded: int = 0  # the tokens after each generation's first piece
    decode_s: float = 0.0  # inside the model after each generation's first piece: decoding alone
    # The generations still streaming, each with the backend that counts its tokens and its pieces so far.
    live: list[tuple[Backend, list[str]]] = field(default_factory=list)

    def called(self, kind: str) -> None:
        self.calls[kind] = self.calls.get(kind, 0) + 1

    def counts(self) -> tuple[int, int]:
        """The tokens generated and the tokens decoded after a first piece, the live generations' included."""
        tokens, decoded = self.tokens, self.decoded
        for backend, pieces in self.live:
            made, after_first = generated_counts(backend, pieces)
            tokens, decoded = tokens + made, decoded + after_first
        return tokens, decoded

    def figures(self) -> dict[str, Any]:
        """Name, engine, calls, tokens, seconds and decoding speed (None when nothing was decoded), JSON-ready."""
        tokens, decoded = self.counts()
        return {
            "name": self.ref.name,
            "engine": self.ref.engine,
            "calls": {kind: self.calls[kind] for kind in CALL_KINDS if self.calls.get(kind)},
            "tokens": tokens,
            "seconds": round(self.seconds, 3),
            "tokens_per_s": round(decoded / self.decode_s, 1) if decoded and self.decode_s > 0 else None,
            "load_s": round(self.load_s, 3),
        }


def generated_counts(backend: Backend, pieces: Sequence[str]) -> tuple[int, int]:
    """The tokens of a generation's pieces, and those after its first piece (the first comes with the prompt)."""
    if not pieces:
        return 0, 0
    made = backend.count_generated(pieces)
    return made, max(0, made - backend.count_generated(pieces[:1]))


@dataclass
class Meter:
    """Timings of one task call: per model, its calls, tokens and time; overall, load, first token and total.

    A model's speed counts decoding alone: the time inside the model after a generation's first piece, so reading
    the prompt, scoring, embedding and the task's own work between tokens are not in it. (An engine that generates
    on a thread of its own, transformers, may run ahead while the task works; its speed then reads high.)
    """

    start: float = field(default_factory=time.perf_counter)
    load_s: float = 0.0
    first_token_s: float | None = None  # the first generated piece; None when nothing was generated
    uses: dict[tuple[str, str, str], ModelUse] = field(default_factory=dict)  # by ModelRef.key, in first-use order
    scorer: str | None = None  # how labels were scored, when they were
    prompts: list[dict[str, Any]] = field(default_factory=list)  # what each model call was given, in order
    token_log: list[dict[str, Any]] = field(default_factory=list)  # generated tokens, when logprobs were asked for

    @property
    def models(self) -> list[ModelRef]:
        """The models this call loaded, in order."""
        return [use.ref for use in self.uses.values()]

    def use(self, ref: ModelRef) -> ModelUse:
        """The figures of one model, started on its first use."""
        return self.uses.setdefault(ref.key, ModelUse(ref))

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
        """The overall figures (load, first token, total, tokens, decoding speed) and each model's under `models`."""
        total = time.perf_counter() - self.start
        models = [use.figures() for use in self.uses.values()]
        decoded = sum(use.counts()[1] for use in self.uses.values())
        decode_s = sum(use.decode_s for use in self.uses.values())
        return {
            "load_s": round(self.load_s, 3),
            "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 3),
            "total_s": round(total, 3),
            "tokens": sum(m["tokens"] for m in models),
            "tokens_per_s": round(decoded / decode_s, 1) if decoded and decode_s > 0 else None,
            "models": models,
        }


class MeteredBackend(Backend):
    """Wraps a shared backend to record this call's token counts and timings, per model."""

    def __init__(self, inner: Backend, meter: Meter, use: ModelUse | None = None) -> None:
        self.inner = inner
        self.meter = meter
        self.ref = inner.ref
        self.context_length = inner.context_length
        self.supports_chat = inner.supports_chat
        self.use = meter.use(inner.ref) if use is None else use  # the figures of the model asked for

    def stream(self, prompt: Prompt, params: GenerationParams) -> Generator[str, None, None]:
        budget.check()  # a request past its budget stops at its next model call
        self.meter.record(self.ref, "generate", prompt)
        use = self.use
        use.called("generate")
        pieces: list[str] = []
        live = (self.inner, pieces)
        use.live.append(live)  # counted while it streams, so a partial result (the last before Stop) has its tokens
        iterator = iter(self.inner.stream(prompt, params))
        try:
            while True:
                started = time.perf_counter()
                try:
                    piece = next(iterator)
                except StopIteration:
                    return
                finally:  # only the time inside the model: not the task's nor the app's between pieces
                    spent = time.perf_counter() - started
                    use.seconds += spent
                    if pieces:
                        use.decode_s += spent
                budget.check()  # ... or at its next token
                if self.meter.first_token_s is None:
                    self.meter.first_token_s = time.perf_counter() - self.meter.start
                pieces.append(piece)
                if isinstance(piece, TokenPiece):
                    self.meter.token_log.extend(piece.tokens)
                yield piece
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # on Stop: end the engine's generation now
            use.live = [entry for entry in use.live if entry is not live]
            made, after_first = generated_counts(self.inner, pieces)
            use.tokens += made
            use.decoded += after_first

    def generate_many(self, prompt: Prompt, params: GenerationParams, seeds: Sequence[int]) -> list[str]:
        if len(seeds) == 1:  # one generation: streamed and counted as any other
            return [self.generate(prompt, params.merged(seed=seeds[0]))]
        budget.check()
        for _ in seeds:  # one record and call per generation, as when they ran one after another
            self.meter.record(self.ref, "generate", prompt)
            self.use.called("generate")
        started = time.perf_counter()
        texts: list[str] = []
        try:
            texts = self.inner.generate_many(prompt, params, seeds)
            return texts
        finally:
            self.use.seconds += time.perf_counter() - started
            self.use.tokens += sum(self.inner.count_generated([text]) for text in texts if text)

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        budget.check()
        self.meter.record(self.ref, "score", context, continuations)
        self.use.called("score")
        started = time.perf_counter()
        try:
            return self.inner.score(context, continuations)
        finally:
            self.meter.scorer = self.meter.scorer or self.inner.scorer  # the first model's: the task's own
            self.use.seconds += time.perf_counter() - started

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        budget.check()
        self.use.called("embed")
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.use.seconds += time.perf_counter() - started

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
        # The backend's own ref: a server's model named on load (the openai engine's first model) shows by its name.
        use = self.meter.use(backend.ref)
        use.load_s += load_s
        return MeteredBackend(backend, self.meter, use)

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
