"""Every endpoint of the app, every parameter, the worst value of its kind: a one-line refusal or a bounded answer,
and the app answers a normal request right after each. Over HTTP and MCP, in public mode and not.

The models are fakes (instant answers): what is under test is that no input reaches work that grows with it
unchecked, not what a model says. The endpoints and their parameters are read from the app's own API description,
so an endpoint added later is walked too.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.engines.pool import POOL
from playground.frontends.ui.app import launch_settings
from playground.frontends.ui.task_tab import _examples
from playground.policy.limits import PUBLIC_LIMITS, Policy
from playground.runtime.registry import get_task
from tests.fakes import FakeBackend
from tests.helpers import launch_app, mcp_session_call
from tests.hostile import check_one_line_error

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

pytestmark = pytest.mark.slow  # about 160 s on two cores: every endpoint, parameter and mode

BOUND_S = 60.0  # an answer or a refusal within this, whatever the value
HUGE_TEXT = "word " * 25_000  # 125,000 characters: above every input's limit
HUGE_NUMBER = 10**15
HUGE_COUNT = 20_000  # above every list's limit (10,000 texts)
OUTSIDE_FILE = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}, "orig_name": "passwd.txt"}
NORMAL = {"text": "Solar panels turn sunlight into electricity for homes.", "method": "yake"}
PROGRESS = bool(os.environ.get("WORST_VALUES_PROGRESS"))  # one line per request on stderr, to find a slow one
ONLY = os.environ.get("WORST_VALUES_ONLY", "")  # walk only the endpoints whose name contains this
MODES = {
    "local": Policy(),
    "public": Policy(public=True, limits=PUBLIC_LIMITS),
}


@pytest.fixture(scope="module", params=sorted(MODES))
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    patch = pytest.MonkeyPatch()
    patch.setenv("NLP_PLAYGROUND_DATA", str(tmp_path_factory.mktemp("data")))
    patch.setattr(POOL, "_loader", FakeBackend)
    patch.setattr(POOL, "_backends", {})
    patch.setattr(POOL, "_key_locks", {})
    policy = MODES[request.param]
    demo, url = launch_app({**launch_settings(policy), "mcp_server": True}, policy=policy)
    yield request.param, url
    demo.close()
    patch.undo()


def _task_of(endpoint: str) -> str:
    return endpoint.strip("/").removesuffix("_compare").removesuffix("_batch").removesuffix("_apply")


def _example_row(task: str) -> dict[str, Any]:
    spec = get_task(task)
    rows = _examples(spec)
    if not rows:
        return {spec.main_input.name: "A short text about the sea."}
    return {item.name: value for item, value in zip(spec.inputs, rows[0], strict=True) if value not in (None, "")}


def _upload(url: str, path: Path) -> dict[str, Any]:
    response = httpx.post(f"{url}gradio_api/upload", files={"files": (path.name, path.read_bytes())}, timeout=30)
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": path.name}


def normal_values(endpoint: str, parameters: list[dict[str, Any]], url: str, folder: Path) -> list[Any]:
    """Values that make a request of this endpoint succeed (or fail only on a model's fake answer)."""
    name = endpoint.strip("/")
    task = _task_of(endpoint)
    row = {} if name == "evaluate" or name.startswith("collection") else _example_row(task)
    if name == "chat":
        row = {"messages": [{"role": "user", "content": "Hello there."}]}
    values = []
    for p in parameters:
        key = p["parameter_name"]
        if key in row:
            value = row[key]
        elif name.endswith("_batch") and key == "file":
            batch = folder / f"{task}.jsonl"
            batch.write_text(json.dumps({k: v for k, v in row.items()}) + "\n")
            value = _upload(url, batch)
        elif name == "evaluate":
            value = {"task": "sentiment", "eval_set": "bundled: sentiment", "limit": 2}.get(key, p["parameter_default"])
        elif name.startswith("collection"):
            text = folder / "notes.txt"
            text.write_text("The lost and found desk is next to the main entrance.\n")
            value = [_upload(url, text)] if key == "paths" else "walk"
        elif key.startswith("variant_"):
            value = ""
        else:
            value = p["parameter_default"] if p["parameter_has_default"] else p.get("example_input")
        values.append(value)
    return values


def worst_values(parameter: dict[str, Any]) -> list[Any]:
    """The worst values of a parameter's kind: the longest text, the largest number, the longest list, a file
    outside the upload folder."""
    schema = parameter["type"]
    kinds = {str(s.get("type")) for s in schema.get("oneOf", [schema])}
    component = parameter.get("component")
    if component == "File":
        many = schema.get("type") == "array"
        return [[OUTSIDE_FILE] * 1000 if many else OUTSIDE_FILE]
    if component == "Dataframe":
        return [{"headers": ["a"] * 10, "data": [["x"] * 10] * HUGE_COUNT}]
    if component == "Json":
        return [{f"k{n}": "x" * 10 for n in range(HUGE_COUNT)}]
    worst: list[Any] = []
    if "string" in kinds:
        worst.append(HUGE_TEXT)
    if kinds & {"number", "integer"}:
        worst.append(HUGE_NUMBER)  # the size of work grows with a number, never with its negative
    if "array" in kinds:
        item = schema.get("items", {})
        if item.get("type") == "object":
            worst.append([{"role": "user", "content": "hi"}] * HUGE_COUNT)
        else:
            worst.append([(item.get("enum") or ["x"])[0]] * HUGE_COUNT)
    return worst


HTTP = httpx.Client(timeout=BOUND_S, trust_env=False)


def call(url: str, endpoint: str, values: list[Any]) -> tuple[str, Any]:
    """One request over the HTTP API: ("complete", data) or ("error", message)."""
    posted = HTTP.post(f"{url}gradio_api/call{endpoint}", json={"data": values})
    if posted.status_code != 200:
        return "error", f"HTTP {posted.status_code}: {posted.text[:200]}"
    event_id = posted.json()["event_id"]
    kind, data = "", None
    with HTTP.stream("GET", f"{url}gradio_api/call{endpoint}/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = line.split(":", 1)[1].strip()
    if kind == "error":
        message = json.loads(data) if data and data != "null" else None
        return "error", message
    return kind, data


_NORMAL_VALUES: dict[str, list[Any]] = {}


def answers_normally(url: str) -> bool:
    """A normal keywords request (no model: text statistics) is answered."""
    if url not in _NORMAL_VALUES:
        parameters = HTTP.get(f"{url}gradio_api/info").json()["named_endpoints"]["/keywords"]["parameters"]
        _NORMAL_VALUES[url] = [NORMAL.get(p["parameter_name"], p["parameter_default"]) for p in parameters]
    kind, data = call(url, "/keywords", _NORMAL_VALUES[url])
    return kind == "complete" and "solar" in str(data).lower()


def test_every_http_endpoint_survives_the_worst_value_of_each_parameter(app: tuple[str, str], tmp_path: Path) -> None:
    mode, url = app
    info = httpx.get(f"{url}gradio_api/info", timeout=60, trust_env=False).json()["named_endpoints"]
    assert len(info) > 40, sorted(info)  # every task has its endpoint, compare and batch
    problems: list[str] = []
    timings: list[tuple[float, str]] = []
    requests = 0
    for endpoint, description in sorted(info.items()):
        if ONLY not in endpoint:
            continue
        parameters = description["parameters"]
        base = normal_values(endpoint, parameters, url, tmp_path)
        for index, parameter in enumerate(parameters):
            for value in worst_values(parameter):
                values = list(base)
                values[index] = value
                label = f"{mode} {endpoint} {parameter['parameter_name']}={str(value)[:30]}"
                started = time.perf_counter()
                kind, answer = call(url, endpoint, values)
                requests += 1
                seconds = time.perf_counter() - started
                timings.append((seconds, label))
                if PROGRESS:
                    print(f"{seconds:6.2f} s {label}", file=sys.stderr, flush=True)
                if seconds > BOUND_S:
                    problems.append(f"{label}: took {seconds:.0f} s")
                if kind == "error" and answer is not None:
                    try:
                        check_one_line_error(str(answer))
                    except AssertionError as exc:
                        problems.append(f"{label}: {str(exc)[:200]}")
                elif kind not in ("complete", "error"):
                    problems.append(f"{label}: ended with {kind!r}")
                if not answers_normally(url):
                    problems.append(f"{label}: the next normal request was not answered")
    slowest = "; ".join(f"{label} {seconds:.1f} s" for seconds, label in sorted(timings)[-5:])
    print(f"{requests} requests in {sum(t for t, _ in timings):.0f} s; slowest: {slowest}")
    assert not problems, f"{len(problems)} of {requests} requests:\n" + "\n".join(problems[:60])


def test_every_mcp_tool_survives_the_worst_value_of_each_parameter(app: tuple[str, str]) -> None:
    mode, url = app
    schema = httpx.get(f"{url}gradio_api/mcp/schema", timeout=60, trust_env=False).json()
    problems: list[str] = []

    async def run(session: Any) -> None:
        for tool in schema:
            properties = tool["inputSchema"]["properties"]
            base = {k: v for k, v in _example_row(tool["name"]).items() if k in properties}
            if tool["name"] == "chat":
                base = {"messages": [{"role": "user", "content": "Hello there."}]}
            for key, prop in properties.items():
                for value in worst_values({"type": prop, "component": None}):
                    label = f"{mode} mcp {tool['name']} {key}={str(value)[:30]}"
                    started = time.perf_counter()
                    result = await session.call_tool(tool["name"], {**base, key: value})
                    text = "\n".join(item.text for item in result.content if item.type == "text")
                    if time.perf_counter() - started > BOUND_S:
                        problems.append(f"{label}: too slow")
                    if result.isError and ("Traceback" in text or 'File "' in text):
                        problems.append(f"{label}: {text[:200]}")
                    if not answers_normally(url):
                        problems.append(f"{label}: the next normal request was not answered")

    asyncio.run(mcp_session_call(f"{url}gradio_api/mcp/", run, timeout=600))
    assert not problems, "\n".join(problems[:60])
