"""A loopback stand-in for an OpenAI-compatible server (vLLM, llama.cpp server, Ollama), for tests and benchmarks.

It answers /v1/models, /v1/completions, /v1/chat/completions and /v1/embeddings with deterministic text, logprobs
and vectors, one thread per request, records what it was sent, and can be told to be slow, to fail, to drop
connections or to refuse echoed logprobs, so a client's retries, timeouts and concurrency are testable without a model:

    with StubServer(delay=0.2) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

_WORD = re.compile(r"\s*\S+")
Reply = tuple[int, Any, bool]  # status, JSON payload (a list of events when streaming), streaming


def tokens(text: str) -> list[tuple[str, int]]:
    """Whitespace-led word tokens and their character offsets: "a bc" -> [("a", 0), (" bc", 1)]."""
    return [(m.group(), m.start()) for m in _WORD.finditer(text)]


def fake_logprob(token: str, position: int) -> float:
    """A deterministic negative log-probability for a token at a position."""
    digest = hashlib.sha256(f"{position}:{token}".encode()).digest()
    return -round(0.05 + int.from_bytes(digest[:4], "big") % 1000 / 100, 4)


def fake_embedding(text: str, dim: int = 8) -> list[float]:
    """A deterministic unit vector derived from a hash of the text."""
    values = [byte - 127.5 for byte in hashlib.shake_256(text.encode()).digest(dim)]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def _error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> Reply:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, False


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass(kw_only=True, eq=False)
class StubServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 with canned answers, fault injection and request counters.

    `reply` maps a prompt (or the last user message) to the answer; `top_logprobs` scripts the first generated
    token's alternatives; `echo_logprobs=False` refuses echo+logprobs with a 400 like servers that cannot echo;
    the first `drop_first` requests get their connection closed unanswered, the first `fail_first` get
    `fail_status` (with a `retry-after-ms` of `retry_after` seconds); `api_key` makes a bearer token required.
    """

    delay: float = 0.0
    model: str = "stub"
    models: Sequence[str] = ()  # the served model ids; (model,) when empty
    reply: Callable[[str], str] | None = None
    dim: int = 8
    echo_logprobs: bool = True
    top_logprobs: Callable[[str], dict[str, float]] | None = None
    fail_first: int = 0
    fail_status: int = 503
    drop_first: int = 0
    retry_after: float | None = 0.01
    api_key: str | None = None
    chunk_delay: float = 0.0  # > 0: a stream is written event by event, this many seconds apart
    requests: int = field(default=0, init=False)  # received so far
    in_flight: int = field(default=0, init=False)
    max_in_flight: int = field(default=0, init=False)
    paths: list[str] = field(default_factory=list, init=False)
    bodies: list[Any] = field(default_factory=list, init=False)  # parsed JSON, None for a request without one
    cut_streams: int = field(default=0, init=False)  # streams the client closed before their end

    def __post_init__(self) -> None:
        self.models = tuple(self.models) or (self.model,)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()  # open (keep-alive) connections, cut on close()
        handler = type("Handler", (_Handler,), {"stub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def close(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._httpd.server_close()
            with self._lock:
                for connection in self._connections:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
            self._thread.join(timeout=2)

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def arrive(self, path: str, body: Any) -> int:
        """Count a request in; returns its 1-based number."""
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.paths.append(path)
            self.bodies.append(body)
            return self.requests

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def respond(self, number: int, method: str, path: str, body: Any, authorization: str | None) -> Reply:
        """The answer to request `number` (the caller drops the connection itself for the first `drop_first`)."""
        if number <= self.fail_first:
            status = self.fail_status
            kind = {429: "rate_limit_error"}.get(status, "server_error" if status >= 500 else "invalid_request_error")
            return _error(status, f"Stub failure {number} of {self.fail_first}.", kind)
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        route = urlsplit(path).path.removeprefix("/v1").rstrip("/")
        if method == "GET" and route == "/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "stub"} for m in self.models]
            return 200, {"object": "list", "data": data}, False
        handlers = {"/completions": self._completions, "/chat/completions": self._chat, "/embeddings": self._embed}
        if method != "POST" or route not in handlers:
            return _error(404, f"No route {method} {path}.")
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.")
        name = body.get("model", self.models[0])
        if name not in self.models:
            return _error(404, f"The model `{name}` does not exist.", code="model_not_found")
        return handlers[route](body)

    def _answer(self, prompt: str, body: dict[str, Any]) -> tuple[str, str]:
        """The generated text for a prompt, cut at `stop` and `max_tokens` words, and the finish reason."""
        text = self.reply(prompt) if self.reply is not None else "echo: " + prompt[:40]
        stops = body.get("stop") or []
        for stop in [stops] if isinstance(stops, str) else stops:
            text = text.split(stop)[0] if stop else text
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        words = tokens(text)
        if isinstance(limit, int) and len(words) > limit:
            return "".join(word for word, _ in words[:limit]), "length"
        return text, "stop"

    def _logprobs(self, prompt: str, text: str, echo: bool, top: int) -> dict[str, Any]:
        """OpenAI completion logprobs for the returned text: the prompt's tokens first when echoing."""
        toks, start = (tokens(prompt), len(prompt)) if echo else ([], 0)
        generated = len(toks)  # the index of the first generated token
        toks += [(word, offset + start) for word, offset in tokens(text[start:])]
        values = [None if i == 0 and generated else fake_logprob(word, i) for i, (word, _) in enumerate(toks)]
        tops: list[dict[str, float] | None] = []
        for i, ((word, _), value) in enumerate(zip(toks, values, strict=True)):
            if value is None:
                tops.append(None)
            elif i == generated and self.top_logprobs is not None:
                tops.append(dict(self.top_logprobs(prompt)))
            else:
                tops.append(dict([(word, value), *((f" alt{k}", round(value - k - 0.5, 4)) for k in range(1, top))]))
        offsets = [offset for _, offset in toks]
        return {"tokens": [w for w, _ in toks], "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}

    def _envelope(self, kind: str, body: dict[str, Any], choices: list[Any], **extra: Any) -> dict[str, Any]:
        head = {"id": f"stub-{self.requests}", "object": kind, "created": int(time.time())}
        return {**head, "model": body.get("model", self.models[0]), "choices": choices, **extra}

    def _completions(self, body: dict[str, Any]) -> Reply:
        raw = body.get("prompt", "")
        prompts = [str(p) for p in raw] if isinstance(raw, list) else [str(raw)]
        echo, top = bool(body.get("echo")), body.get("logprobs")
        if echo and isinstance(top, int) and not self.echo_logprobs:
            return _error(400, "echo is not supported together with logprobs.")
        choices, events, used = [], [], [0, 0]
        for index, prompt in enumerate(prompts):
            text, finish = self._answer(prompt, body)
            full = prompt + text if echo else text
            logprobs = self._logprobs(prompt, full, echo, top) if isinstance(top, int) else None
            choices.append({"index": index, "text": full, "finish_reason": finish, "logprobs": logprobs})
            pieces = ([prompt] if echo else []) + [word for word, _ in tokens(text)]
            events += [{"index": index, "text": piece, "finish_reason": None, "logprobs": None} for piece in pieces]
            events.append({"index": index, "text": "", "finish_reason": finish, "logprobs": None})
            used[0], used[1] = used[0] + len(tokens(prompt)), used[1] + len(tokens(text))
        if body.get("stream"):
            return 200, [self._envelope("text_completion", body, [event]) for event in events], True
        return 200, self._envelope("text_completion", body, choices, usage=_usage(*used)), False

    def _chat(self, body: dict[str, Any]) -> Reply:
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        users = [m.get("content") for m in messages if m.get("role") == "user"] or [""]
        content = users[-1]
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        prompt = str(content or "")
        text, finish = self._answer(prompt, body)
        usage = _usage(len(tokens(prompt)), len(tokens(text)))
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            return 200, self._envelope("chat.completion", body, [choice], usage=usage), False
        deltas = [{"role": "assistant", "content": ""}] + [{"content": word} for word, _ in tokens(text)]
        chunks: list[dict[str, Any]] = [{"index": 0, "delta": delta, "finish_reason": None} for delta in deltas]
        chunks.append({"index": 0, "delta": {}, "finish_reason": finish})
        events = [self._envelope("chat.completion.chunk", body, [chunk]) for chunk in chunks]
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(self._envelope("chat.completion.chunk", body, [], usage=usage))
        return 200, events, True

    def _embed(self, body: dict[str, Any]) -> Reply:
        raw = body.get("input", "")
        texts = [str(t) for t in raw] if isinstance(raw, list) else [str(raw)]
        data = []
        for index, text in enumerate(texts):
            vector: Any = fake_embedding(text, self.dim)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        usage = _usage(sum(len(tokens(text)) for text in texts), 0)
        return 200, {"object": "list", "data": data, "model": body.get("model", self.models[0]), "usage": usage}, False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    stub: StubServer  # set on the subclass each server makes

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines."""

    def setup(self) -> None:
        super().setup()
        with self.stub._lock:
            self.stub._connections.add(self.connection)

    def finish(self) -> None:
        with self.stub._lock:
            self.stub._connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _handle(self, raw: bytes) -> None:
        stub = self.stub
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None  # answered with a 400
        number = stub.arrive(self.path, body)
        try:
            if stub.delay:
                time.sleep(stub.delay)
            if number <= stub.drop_first:
                self.close_connection = True  # no response at all: the client sees the connection close
                return
            auth = self.headers.get("Authorization")
            status, payload, streaming = stub.respond(number, self.command, self.path, body, auth)
            headers = {}
            if number <= stub.fail_first and stub.retry_after is not None:  # a short wait before a retry
                headers["retry-after-ms"] = str(stub.retry_after * 1000)
            self._send(status, payload, streaming, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            if body and isinstance(body, dict) and body.get("stream"):
                with stub._lock:
                    stub.cut_streams += 1
        finally:
            stub.leave()

    def _send(self, status: int, payload: Any, streaming: bool, headers: dict[str, str]) -> None:
        if streaming and self.stub.chunk_delay > 0:  # event by event on a connection closed at the end
            self.send_response(status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for event in [*(json.dumps(e).encode() for e in payload), b"[DONE]"]:
                self.wfile.write(b"data: %s\n\n" % event)
                self.wfile.flush()
                time.sleep(self.stub.chunk_delay)
            return
        if streaming:  # server-sent events, one per chunk, then the [DONE] sentinel
            data = b"".join(b"data: %s\n\n" % json.dumps(event).encode() for event in payload) + b"data: [DONE]\n\n"
        else:
            data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream" if streaming else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
