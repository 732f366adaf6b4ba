"""Start llama-cpp-python's OpenAI-compatible server on loopback with an embedded model (tests and benchmarks).

    with llama_cpp_server() as base_url:
        api.run("sentiment", text="...", engine="openai", base_url=base_url)

It needs the `server` extra of llama-cpp-python (`pip install "llama-cpp-python[server]"`, part of the test extra).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from playground.core.errors import ModelError
from playground.engines.catalogue import PRESETS


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """End a child process: ask it to stop, and kill it when it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def llama_cpp_server(
    preset: str = "smollm2-135m", alias: str = "smollm2", *, embedding: bool = False, startup_s: float = 60.0
) -> Iterator[str]:
    """Serve a preset on a free loopback port for the duration of the block; yield its base URL (…/v1).

    Requests are queued, not interrupted (`--interrupt_requests false`): by default the server drops a stream in
    progress when a new request comes in. `embedding=True` serves /v1/embeddings instead of scoring logits.
    """
    model = PRESETS[preset].locate()
    port = free_port()
    command = [sys.executable, "-m", "playground.testing.llama_server", "--model", str(model), "--model_alias", alias,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--interrupt_requests", "false",
               "--n_threads", os.environ.get("NLP_PLAYGROUND_THREADS", "1")]  # fmt: skip
    command += ["--embedding", "true"] if embedding else ["--logits_all", "true"]
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + startup_s
            while True:
                try:
                    with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                        break
                except (urllib.error.URLError, OSError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        tail = log.read().decode("utf-8", "replace")[-400:]
                        raise ModelError(f"llama_cpp.server did not start: {tail}") from None
                    time.sleep(0.2)
            yield base_url
        finally:
            stop(process, timeout=10)
