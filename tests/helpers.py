"""Helpers the tests of several layers share: where the checkout is, the console script, an app on a free loopback
port, an MCP session, a task run through the fake-backend checks, and the message of an app's refusal."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.engines.pool import ModelPool
from playground.runtime.registry import TaskSpec
from playground.service import api

ROOT = Path(__file__).resolve().parents[1]  # the checkout: playground/, tasks/, README.md, pyproject.toml
# Each module of tasks/ is one task named after it (modules starting with _ are helpers), and nothing else is.
EXPECTED_TASKS = {path.stem for path in (ROOT / "tasks").glob("*.py") if not path.stem.startswith("_")}

_SCRIPT = shutil.which("nlp-playground")
CLI = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "playground"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", "NLP_PLAYGROUND_URL": "off"}

MCP_TIMEOUT = 30.0  # seconds for any one HTTP request or MCP message


@dataclass(frozen=True)
class SharedApp:
    """The default app launched once per session (the `shared_app` fixture of tests/conftest.py)."""

    url: str
    loaded_at_start: list[str]  # the models the shared pool held right after the launch


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script in a subprocess, offline (env: variables to add)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env={**ENV, **(env or {})}, cwd=cwd,
                          timeout=300)  # fmt: skip


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


async def mcp_session_call(url: str, call: Any, timeout: float) -> Any:
    """Open an MCP session over streamable HTTP at url, run call(session) and close it, within timeout seconds."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run() -> Any:
        limits = httpx.Timeout(MCP_TIMEOUT, read=timeout)
        async with (
            httpx.AsyncClient(timeout=limits, trust_env=False) as http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write, read_timeout_seconds=timedelta(seconds=timeout)) as session,
        ):
            await session.initialize()
            return await call(session)

    return await asyncio.wait_for(run(), timeout + MCP_TIMEOUT)


def check_on_fake_backend(spec: TaskSpec, pool: ModelPool, inputs: dict[str, Any]) -> api.Result:
    """Run a task through the real api on fake models: it finishes once, with a JSON output that its eval reads."""
    results = list(api.stream(spec.name, pool=pool, **inputs))
    result = results[-1]
    assert result.done and [r.done for r in results].count(True) == 1
    assert isinstance(result.output, dict) and result.output, f"{spec.name} gave no output"
    json.dumps(result.to_dict())  # outputs are plain JSON values
    assert result.timings["total_s"] >= 0 and result.task == spec.name
    if spec.evaluation is not None:
        spec.evaluation.prediction(result.output)  # the eval finds its prediction in the output
    return result


def app_error(call: Any) -> tuple[str, float]:
    """The message of the AppError a call raises, and the seconds it took."""
    from gradio_client.exceptions import AppError

    start = time.perf_counter()
    with pytest.raises(AppError) as info:
        call()
    return str(info.value), time.perf_counter() - start
