"""The openai engine: any server that speaks the OpenAI API (vLLM, Ollama, TGI, llama.cpp's servers, hosted APIs).

Plain prompts go to /v1/completions and message lists to /v1/chat/completions, streamed. Labels are scored from
the prompt's log-probabilities (`echo` with `logprobs`, as vLLM gives them); a server without them is asked for the
top log-probabilities of the next token instead, token by token, and `scorer` says which ran.
Retries with backoff on 408/409/429, 5xx and dropped connections are the `openai` client's own; 4xx are not retried.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.core.errors import ModelError
from playground.engines.base import Backend, Prompt, TokenPiece, trim_at_stops, trim_tokens_at_stops
from playground.engines.cache import EMBEDDINGS
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams

try:
    import openai
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ModelError("the openai engine needs the openai package: pip install openai") from exc

if TYPE_CHECKING:
    from numpy.typing import NDArray

KEY_ENV = "OPENAI_API_KEY"
SCORING_SERVERS = "vLLM or llama-cpp-python's server (python -m llama_cpp.server --logits_all true)"
EMBED_BATCH = 64
TOP_LOGPROBS = (5000, 20, 5)  # asked in turn: llama-cpp-python's server lists any number, vLLM 20, OpenAI 5


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        raise ModelError(f"{name} must be a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ModelError(f"{name} must be a positive number")
    return value


def read_timeout() -> float:
    """Seconds to wait for a server's answer (or the next streamed piece): NLP_PLAYGROUND_REMOTE_TIMEOUT."""
    return _env_number("NLP_PLAYGROUND_REMOTE_TIMEOUT", 120.0)


def remote_concurrency() -> int:
    """How many requests may be in flight to a remote server at once: NLP_PLAYGROUND_REMOTE_CONCURRENCY."""
    return max(1, int(_env_number("NLP_PLAYGROUND_REMOTE_CONCURRENCY", 4)))


def make_client(base_url: str) -> openai.OpenAI:
    """A client with connect and read timeouts and the library's retries (NLP_PLAYGROUND_REMOTE_RETRIES, default 2)."""
    retries = int(os.environ.get("NLP_PLAYGROUND_REMOTE_RETRIES", "2") or 0)
    return openai.OpenAI(
        base_url=base_url,
        api_key=os.environ.get(KEY_ENV) or "no-key",  # local servers ignore it; the library insists on one
        timeout=openai.Timeout(read_timeout(), connect=5.0),
        max_retries=max(0, retries),
    )


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or exc.message or "")
    return " ".join(text.split())[:200]


@contextlib.contextmanager
def server_errors(base_url: str, model: str) -> Iterator[None]:
    """Turn the client's exceptions into one-line errors that name the server and what to check."""
    try:
        yield
    except openai.APITimeoutError:
        raise ModelError(
            f"the server at {base_url} did not answer within {read_timeout():g} s; it may be busy or still loading "
            "the model (NLP_PLAYGROUND_REMOTE_TIMEOUT sets the limit)"
        ) from None
    except openai.APIConnectionError:
        raise ModelError(
            f"cannot reach the OpenAI-compatible server at {base_url}: is it running, and is OPENAI_BASE_URL "
            "(or --base-url) right?"
        ) from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise ModelError(f"the server at {base_url} refused the request ({exc.status_code}); check {KEY_ENV}") from None
    except openai.NotFoundError as exc:
        raise ModelError(
            f"the server at {base_url} has no model {model!r} or no such route ({_server_message(exc)}); "
            "`nlp-playground models --engine openai` lists what it serves"
        ) from None
    except openai.APIStatusError as exc:
        raise ModelError(f"the server at {base_url} answered {exc.status_code}: {_server_message(exc)}") from None


@functools.lru_cache(maxsize=16)
def _served(base_url: str, key: str) -> tuple[str, ...]:
    with server_errors(base_url, ""):
        return tuple(m.id for m in make_client(base_url).models.list())


def served_models(base_url: str) -> list[str]:
    """The model names an OpenAI-compatible server lists at /v1/models (asked once per process)."""
    names = list(_served(base_url, os.environ.get(KEY_ENV, "")))
    if not names:
        raise ModelError(f"the server at {base_url} lists no models at /v1/models; name one with --model")
    return names


def chunk_tokens(logprobs: Any) -> list[dict[str, Any]]:
    """The tokens of a streamed chunk with their log-probabilities: the chat form (content) or the completions form
    (tokens, token_logprobs, top_logprobs); none when the server sent none."""
    if logprobs is None:
        return []
    content = getattr(logprobs, "content", None)
    if content is not None:
        return [{"token": t.token, "logprob": round(t.logprob, 5), "top": [{"token": a.token, "logprob":
                 round(a.logprob, 5)} for a in t.top_logprobs or []]} for t in content]  # fmt: skip
    names, values = getattr(logprobs, "tokens", None) or [], getattr(logprobs, "token_logprobs", None) or []
    tops = getattr(logprobs, "top_logprobs", None) or [{}] * len(names)
    log = []
    for name, value, top in zip(names, values, tops, strict=False):
        ranked = sorted((top or {}).items(), key=lambda kv: -kv[1])
        log.append({"token": name, "logprob": round(value, 5),
                    "top": [{"token": k, "logprob": round(p, 5)} for k, p in ranked]})  # fmt: skip
    return log


class EchoUnsupported(Exception):
    """The server gave no usable log-probabilities for the prompt."""


class OpenAIBackend(Backend):
    """A model on an OpenAI-compatible server; thread-safe, so several requests may be in flight at once."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        self.base_url = ref.source
        self.client = make_client(self.base_url)
        self.supports_chat = True
        self.context_length = int(_env_number("NLP_PLAYGROUND_REMOTE_CONTEXT", 4096))
        self.scorer = "echo"  # becomes "next-token" once the server turns out not to echo prompt log-probabilities
        self._top_n = TOP_LOGPROBS[0]
        with server_errors(self.base_url, ref.name):
            listed = list(self.client.models.list())
        # Some servers answer for any name (llama-cpp-python's falls back to its default model): check it here.
        names = [m.id for m in listed]
        if not ref.name:  # no model named: the server's first one, as its /v1/models lists them
            if not names:
                raise ModelError(f"the server at {self.base_url} lists no models: name one")
            self.ref = ref = replace(ref, name=names[0])
        if names and ref.name not in names:
            raise ModelError(
                f"the server at {self.base_url} does not serve {ref.name!r}; it serves: {', '.join(names[:10])}"
            )
        for model in listed:  # vLLM reports its context window
            extra = model.model_extra or {}
            if isinstance(extra.get("max_model_len"), int):
                self.context_length = extra["max_model_len"]

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return server_errors(self.base_url, self.ref.name)

    @staticmethod
    def _sampling(params: GenerationParams) -> dict[str, Any]:
        if params.num_beams > 1:
            raise ModelError("beam search (num_beams > 1) needs engine='transformers'")
        if params.draft_tokens:
            raise ModelError("draft=prompt-lookup runs in-process (llama.cpp, transformers); a server sets up "
                             "speculative decoding itself when it starts (vLLM: --speculative-config)")  # fmt: skip
        sampling: dict[str, Any] = {
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.stop:
            sampling["stop"] = list(params.stop)
        if params.seed is not None:
            sampling["seed"] = params.seed
        extra: dict[str, Any] = {}  # not in the OpenAI API; vLLM and llama.cpp's servers take them
        if params.top_k:
            extra["top_k"] = params.top_k
        if params.repetition_penalty != 1.0:
            extra |= {"repetition_penalty": params.repetition_penalty, "repeat_penalty": params.repetition_penalty}
        if extra:
            sampling["extra_body"] = extra
        return sampling

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        sampling = self._sampling(params)
        response: Any
        extra: dict[str, Any]
        with self._errors():
            if isinstance(prompt, str):
                extra = {"logprobs": params.logprobs} if params.logprobs else {}
                response = self.client.completions.create(model=self.ref.name, prompt=prompt, stream=True,
                                                          **sampling, **extra)  # fmt: skip
            else:
                messages: Any = [dict(m) for m in prompt]
                extra = {"logprobs": True, "top_logprobs": params.logprobs} if params.logprobs else {}
                response = self.client.chat.completions.create(
                    model=self.ref.name, messages=messages, stream=True, **sampling, **extra
                )
        try:
            with self._errors():
                if params.logprobs:
                    yield from trim_tokens_at_stops(self._pieces(response, tokens=True), params.stop)  # type: ignore[arg-type]
                else:
                    yield from trim_at_stops((p for p in self._pieces(response) if p), params.stop)
        finally:
            response.close()  # Stop in the app, or an error: the server stops generating for this request

    def _pieces(self, response: Any, tokens: bool = False) -> Iterator[str]:
        chunks = iter(response)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except openai.OpenAIError:
                raise
            except Exception as exc:  # the transport's read errors; their module differs between openai versions
                what = "stopped answering" if "Timeout" in type(exc).__name__ else "dropped the connection"
                raise ModelError(f"the server at {self.base_url} {what} in the middle of an answer") from None
            if not chunk.choices:  # a usage-only chunk
                continue
            choice = chunk.choices[0]
            delta = getattr(choice, "delta", None)
            text = (delta.content or "") if delta is not None else (choice.text or "")
            yield TokenPiece(text, chunk_tokens(choice.logprobs)) if tokens else text

    def count_generated(self, pieces: Sequence[str]) -> int:
        return len(pieces)  # servers stream one token per chunk

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        if self.scorer == "echo":
            try:
                return [self._echo_score(context, c) for c in continuations]
            except EchoUnsupported:
                self.scorer = "next-token"
        tops: dict[str, dict[str, float]] = {}  # continuations that share a prefix share its request
        return [self._walk(context, c, tops) for c in continuations]

    def _echo_score(self, context: str, continuation: str) -> float:
        """Sum the log-probabilities of the continuation's tokens, read from the echoed prompt."""
        text = context + continuation
        with self._errors():
            try:  # one generated token is the least every server accepts; it is not counted
                response = self.client.completions.create(
                    model=self.ref.name, prompt=text, max_tokens=1, temperature=0, echo=True, logprobs=1
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError):  # the server refuses echo or logprobs
                raise EchoUnsupported from None
        logprobs = response.choices[0].logprobs if response.choices else None
        offsets = getattr(logprobs, "text_offset", None)
        values = getattr(logprobs, "token_logprobs", None)
        # The list must start at the prompt and end with the generated token: llama-cpp-python's server, for a
        # model without a BOS token, pairs each prompt token with the next position's distribution and leaves the
        # generated token out; those numbers are not the prompt's log-probabilities.
        if not offsets or not values or len(offsets) != len(values) or offsets[0] != 0 or offsets[-1] < len(text):
            raise EchoUnsupported
        total, counted = 0.0, 0
        ends = [*offsets[1:], math.inf]
        for start, end, value in zip(offsets, ends, values, strict=True):
            if start >= len(text):
                break  # the generated token
            if end > len(context):  # the token holds continuation text (a token across the join counts too)
                if value is None:
                    raise EchoUnsupported
                total += value
                counted += 1
        if not counted:
            raise ModelError(f"the continuation {continuation!r} has no tokens")
        return total

    def _walk(self, context: str, continuation: str, tops: dict[str, dict[str, float]]) -> float:
        """Follow the continuation token by token through the next token's top log-probabilities.

        Exact while each token is among the top ones the server lists (llama-cpp-python's server lists thousands,
        vLLM 20 by default); a token beyond them counts as less likely than the last listed, and the walk ends.
        """
        total, done = 0.0, ""
        while len(done) < len(continuation):
            prompt = context + done
            if prompt not in tops:
                tops[prompt] = self._top_logprobs(prompt)
            top = tops[prompt]
            rest = continuation[len(done) :]
            token = max((t for t in top if rest.startswith(t)), key=len, default=None)
            if token is None:
                return total + min(top.values()) - math.log(2)
            total += top[token]
            done += token
        return total

    def _top_logprobs(self, prompt: str) -> dict[str, float]:
        """The most likely next tokens and their log-probabilities, as many as the server will list."""
        while True:
            with self._errors():
                try:
                    response = self.client.completions.create(
                        model=self.ref.name, prompt=prompt, max_tokens=1, temperature=0, logprobs=self._top_n
                    )
                except (openai.BadRequestError, openai.UnprocessableEntityError):
                    smaller = [n for n in TOP_LOGPROBS if n < self._top_n]
                    if not smaller:
                        raise ModelError(
                            f"the server at {self.base_url} gives no log-probabilities, so labels cannot be scored "
                            f"there; use method=generate, or serve the model with {SCORING_SERVERS}"
                        ) from None
                    self._top_n = smaller[0]
                    continue
            logprobs = response.choices[0].logprobs if response.choices else None
            tops = getattr(logprobs, "top_logprobs", None)
            listed = {t: v for t, v in (tops[0] or {}).items() if t} if tops else {}
            if not listed:
                raise ModelError(
                    f"the server at {self.base_url} lists no next-token log-probabilities; use method=generate, "
                    f"or serve the model with {SCORING_SERVERS}"
                )
            self.scorer = f"next-token (top {self._top_n})"
            return listed

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return EMBEDDINGS.embed(self.ref.key, texts, self._embed)

    def _embed(self, texts: list[str]) -> NDArray[np.float32]:
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), EMBED_BATCH):
            with self._errors():
                batch = list(texts[start : start + EMBED_BATCH])
                response = self.client.embeddings.create(model=self.ref.name, input=batch)
            for item in sorted(response.data, key=lambda item: item.index):
                vector = np.asarray(item.embedding, dtype=np.float32)
                # A server running a model without a pooling layer (llama-cpp-python's, for a plain LLM) answers
                # with one vector per token: their mean stands for the text, as sentence-transformers pools.
                rows.append(vector.mean(axis=0) if vector.ndim == 2 else vector)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
