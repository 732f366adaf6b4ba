"""The app's MCP server: every task is a tool with typed, described parameters; nothing else is; tools run."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from playground.frontends.ui.helpers import ADVANCED
from playground.frontends.ui.tools import parameter_help
from playground.policy.limits import Policy
from playground.runtime.registry import all_tasks
from playground.service import api
from tests.fakes import FakePool
from tests.helpers import free_port, launch_app, mcp_session_call

TIMEOUT = 30.0  # seconds for any one HTTP request or MCP message
MODEL_TIMEOUT = 180.0  # seconds for a tool call on a real model (its first load included)
TYPES = {"string", "integer", "number", "array", "boolean"}


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    demo, url = launch_app(launch_settings={"mcp_server": True})
    yield url
    demo.close()


@pytest.fixture(scope="module")
def schema(app: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{app}gradio_api/mcp/schema", timeout=TIMEOUT, trust_env=False)
    response.raise_for_status()
    return {tool["name"]: tool for tool in response.json()}


def mcp(app: str, call: Any, timeout: float = TIMEOUT) -> Any:
    return asyncio.run(mcp_session_call(f"{app}gradio_api/mcp/", call, timeout))


def text_of(result: Any) -> str:
    return "\n".join(item.text for item in result.content if item.type == "text")


def test_every_task_is_a_tool_and_nothing_else(schema: dict[str, dict[str, Any]]) -> None:
    assert set(schema) == {spec.name for spec in all_tasks()}
    endpoints = {tool["meta"]["endpoint_name"] for tool in schema.values()}
    assert not any(e.endswith(("_batch", "_apply")) or e in ("evaluate", "lambda") for e in endpoints)


def test_tools_have_typed_parameters_described_from_the_spec(schema: dict[str, dict[str, Any]]) -> None:
    for spec in all_tasks():
        tool = schema[spec.name]
        assert tool["description"].startswith(f"{spec.title}: {spec.description}")
        assert "Returns:" in tool["description"] and "full result" in tool["description"]
        properties = tool["inputSchema"]["properties"]
        upload = ["upload"] if spec.main_input.kind == "texts" else []
        template = ["template"] if spec.templates else []
        assert list(properties) == [i.name for i in spec.inputs] + upload + list(ADVANCED) + template
        assert tool["inputSchema"].get("required", []) == [i.name for i in spec.inputs if i.required]
        described = parameter_help(spec, Policy.from_env())  # the app's policy: create_app reads the same
        for name, prop in properties.items():
            assert prop["type"] in TYPES, (spec.name, name, prop)
            assert prop["description"] == described[name], (spec.name, name)
        for item in spec.inputs:
            assert item.label in properties[item.name]["description"]
            if item.kind == "choice":
                assert properties[item.name]["enum"] == list(item.choices)
        assert properties["max_new_tokens"]["type"] == properties["seed"]["type"] == "integer"
        assert properties["temperature"]["type"] == "number"
        assert "enum" not in properties["model"]  # a model may be any hub id, not only a preset


def test_tools_are_listed_over_the_protocol(app: str) -> None:
    async def call(session: Any) -> Any:
        return await session.list_tools()

    tools = {tool.name: tool for tool in mcp(app, call).tools}
    assert set(tools) == {spec.name for spec in all_tasks()}
    assert tools["translation"].inputSchema["properties"]["target_lang"]["type"] == "string"


def test_a_tool_call_runs_the_task_on_a_fake_model(
    app: str, fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "stream", functools.partial(api.stream, pool=fake_pool))
    fake_pool.fake("smollm2-135m").enqueue("a fake answer from the tool")

    async def call(session: Any) -> Any:
        good = await session.call_tool("generation", {"prompt": "Say something.", "max_new_tokens": 16})
        empty = await session.call_tool("sentiment", {"text": "   "})
        batch = await session.call_tool("sentiment_batch", {"file": "x.csv"})
        return good, empty, batch

    good, empty, batch = mcp(app, call)
    assert not good.isError and "a fake answer from the tool" in text_of(good)
    assert "smollm2-135m" in text_of(good)  # the stats line and the raw result name the model
    assert empty.isError and "text is empty" in text_of(empty)
    assert batch.isError  # not a tool


@pytest.mark.model
def test_sentiment_tool_on_the_embedded_model(app: str) -> None:
    async def call(session: Any) -> Any:
        return await session.call_tool("sentiment", {"text": "The soup was cold and the waiter was rude."})

    result = mcp(app, call, timeout=MODEL_TIMEOUT)
    assert not result.isError, text_of(result)
    assert "'label': 'negative'" in text_of(result)


@pytest.mark.slow  # about 8 s: an app launched for each case
@pytest.mark.parametrize(("env", "argument", "expected"), [("true", None, True), ("true", False, False),
                                                           ("false", True, True), (None, None, False)])  # fmt: skip
def test_launch_takes_mcp_server_or_the_environment(
    env: str | None, argument: bool | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playground.frontends.ui import launch

    if env is None:
        monkeypatch.delenv("GRADIO_MCP_SERVER", raising=False)
    else:
        monkeypatch.setenv("GRADIO_MCP_SERVER", env)
    demo = launch(host="127.0.0.1", port=free_port(), mcp_server=argument, prevent_thread_lock=True, quiet=True)
    try:
        assert demo.mcp_server is expected
        if expected:
            response = httpx.get(f"{demo.local_url}gradio_api/mcp/schema", timeout=TIMEOUT, trust_env=False)
            assert {tool["name"] for tool in response.json()} == {spec.name for spec in all_tasks()}
    finally:
        demo.close()


def test_gradio_still_has_what_restrict_tools_relies_on() -> None:
    # Gradio offers no public way to keep an endpoint in the HTTP API but out of the MCP server, nor to retype a
    # tool's parameters; restrict_tools (frontends/ui/app.py) does both on the server object Gradio builds. This test
    # names what it relies on, so a Gradio upgrade that moves any of it fails here, not quietly in a deployment.
    import inspect

    import gradio.mcp
    import gradio.routes

    server = gradio.mcp.GradioMCPServer
    for name in ("get_tool_to_endpoint", "get_block_fn_from_endpoint_name"):
        assert hasattr(server, name), f"Gradio's MCP server has no {name}: update restrict_tools"
    init = inspect.getsource(server.__init__)
    for kept in ("self.tool_to_endpoint = self.get_tool_to_endpoint()", "self.api_info = "):
        assert kept in init, f"Gradio's MCP server no longer sets {kept.split(' =')[0]}: update restrict_tools"
    assert "blocks.mcp_server_obj = " in inspect.getsource(gradio.routes), (
        "Gradio no longer sets blocks.mcp_server_obj when it mounts the MCP server: update ToolBlocks"
    )
