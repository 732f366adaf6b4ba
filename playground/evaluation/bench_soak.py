"""`nlp-playground bench soak`: the app's resident memory over a few hundred requests from several clients.

The app runs in a child process in public mode on a loopback port; clients call its HTTP API (each call a new
session, as a visitor's page would be), and the server's RSS is read from /proc at every hundredth request. A
leak shows as a curve that keeps climbing; a healthy app levels off once its models and caches are loaded.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playground.core.errors import PlaygroundError
from playground.testing.localserver import free_port, stop

# A mix of cheap requests that touch the shared models, the per-session state and the queue: label scoring, a short
# generation, keywords by text statistics, and a refused one (the refusal path must not leak either).
REQUESTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("sentiment", {"text": "The soup was cold and the waiter ignored us."}),
    ("generation", {"prompt": "Name a colour.", "max_new_tokens": 8}),
    ("keywords", {"text": "Solar panels turn sunlight into electricity for homes and schools.", "method": "yake"}),
    ("sentiment", {"text": "Lovely staff, quick service, would come again!"}),
    ("generation", {"prompt": "x", "max_new_tokens": 100000}),  # refused: above the public limit
)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise PlaygroundError(f"no resident memory figure for process {pid}")


def call(url: str, api_name: str, data: dict[str, Any], timeout: float = 120.0) -> str:
    """One request through Gradio's HTTP API (POST, then read the event stream); returns the last event's kind."""
    body = json.dumps({"data": _positional(url, api_name, data)}).encode()
    request = urllib.request.Request(f"{url}gradio_api/call/{api_name}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        event_id = json.loads(answer.read())["event_id"]
    last = ""
    with urllib.request.urlopen(f"{url}gradio_api/call/{api_name}/{event_id}", timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("event:"):
                last = line.split(":", 1)[1].strip()
    return last


_PARAMETERS: dict[str, list[dict[str, Any]]] = {}


def _positional(url: str, api_name: str, data: dict[str, Any]) -> list[Any]:
    """The endpoint's parameters in order, from the app's API description: the given ones, the rest at default."""
    if not _PARAMETERS:
        with urllib.request.urlopen(f"{url}gradio_api/info", timeout=60) as answer:
            info = json.loads(answer.read())["named_endpoints"]
        _PARAMETERS.update({name.lstrip("/"): endpoint["parameters"] for name, endpoint in info.items()})
    return [data.get(p["parameter_name"], p.get("parameter_default")) for p in _PARAMETERS[api_name]]


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PlaygroundError(f"the app exited with code {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{url}gradio_api/info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise PlaygroundError(f"the app did not answer within {seconds:.0f} s")


def soak(requests: int = 300, clients: int = 4, every: int = 100, out: Callable[[str], None] = print) -> list[float]:
    """Send `requests` requests from `clients` threads to a fresh public app; print and return its RSS curve (MB)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "NLP_PLAYGROUND_PUBLIC": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "playground.frontends.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    curve: list[float] = []
    try:
        _wait(url, process)
        for task, data in REQUESTS[:3]:
            call(url, task, data)  # warm-up: load the models before the first reading
        curve.append(rss_mb(process.pid))
        out(f"soak: {clients} clients, {requests} requests; RSS after warm-up {curve[0]:.0f} MB")
        counter = itertools.count(1)
        lock = threading.Lock()
        failures: list[str] = []
        started = time.perf_counter()

        def client() -> None:
            while True:
                with lock:
                    number = next(counter)
                if number > requests:
                    return
                task, data = REQUESTS[number % len(REQUESTS)]
                try:
                    call(url, task, data)
                except OSError as exc:
                    failures.append(f"{task}: {exc}")
                if number % every == 0:
                    reading = rss_mb(process.pid)
                    with lock:
                        curve.append(reading)
                    out(f"  request {number:>5}: RSS {reading:.0f} MB ({time.perf_counter() - started:.0f} s)")

        threads = [threading.Thread(target=client, name=f"soak-{n}") for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        growth = curve[-1] - curve[1] if len(curve) > 2 else 0.0
        out(f"  after the first {every} requests the RSS moved {growth:+.0f} MB "
            f"(x{curve[-1] / curve[1]:.2f} of its reading then); {len(failures)} requests failed")  # fmt: skip
        return curve
    finally:
        stop(process, timeout=30)


def bench_soak() -> str:
    """The RSS curve of a public app over 300 requests from 4 clients."""
    curve = soak()
    return "soak: RSS " + " -> ".join(f"{mb:.0f}" for mb in curve) + " MB"
