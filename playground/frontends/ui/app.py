"""The app's assembly: navigation built from the task groups, the shared queue, public-mode launch settings."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import gradio as gr

from playground.core.secrets import user_message
from playground.engines.pool import POOL, ModelPool
from playground.frontends.ui import sessions
from playground.frontends.ui.budgets import limit_events
from playground.frontends.ui.chat import chat_tab
from playground.frontends.ui.collections import collections_tab
from playground.frontends.ui.evaluate import evaluate_tab
from playground.frontends.ui.helpers import about_tables
from playground.frontends.ui.models_tab import models_tab
from playground.frontends.ui.task_tab import task_tab
from playground.frontends.ui.tools import parameter_schema
from playground.frontends.warm import announced
from playground.policy.limits import Policy
from playground.runtime.registry import GROUPS, all_tasks
from playground.service import api

log = logging.getLogger(__name__)

QUEUE_SIZE = 32  # requests waiting beyond this are refused at once ("queue is full"), not left to time out


def _about(policy: Policy) -> None:
    with gr.Tab("About", id="about"):
        public = (
            "\n\nThis is a public deployment: it runs only the models listed under *Advanced*, with "
            f"inputs up to {policy.limits.max_input_chars} characters, at most {policy.limits.max_new_tokens} new "
            f"tokens and uploads up to {policy.limits.max_file_size}."
            if policy.public
            else "\n\nWith the network, put any Hugging Face model id in a tab's *Advanced* section."
        )
        gr.Markdown(
            "# NLP playground\n"
            "Small language models, running on this machine's CPU, trying one task per tab. Pick a group, then a "
            "task, type a text or click an example, and press **Run**. Generated text streams in as it is made; "
            "the line under each result says what each model did: the tokens it generated and how fast it decoded "
            "them, or its calls that scored labels or embedded texts, and the time it took.\n\n"
            "The tasks by group, with the models and other tools each one runs:\n\n"
            + about_tables(all_tasks())
            + "\n\nThe embedded models are small (135M and 270M parameters): quick, private and offline, but "
            "often wrong." + public
        )


class ToolBlocks(gr.Blocks):
    """Blocks whose MCP server offers only the endpoints named in `tools` (the tasks), with typed parameters.

    Gradio makes every documented endpoint a tool, and an event can leave its MCP server only by leaving the
    documented HTTP API too (api_visibility). The batch, apply and evaluate endpoints stay in the HTTP API, so the
    server Gradio sets here at launch is trimmed to the tools before it serves anything.
    """

    tools: frozenset[str] = frozenset()

    @property
    def mcp_server_obj(self) -> Any:
        return self.__dict__.get("_mcp_server")

    @mcp_server_obj.setter
    def mcp_server_obj(self, server: Any) -> None:
        if server is not None:
            restrict_tools(self, server)
        self.__dict__["_mcp_server"] = server

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        """Gradio's launch, with sessions that cost what they change (see sessions.py) from the first request on."""
        wait = not kwargs.get("prevent_thread_lock", False) and not getattr(sys, "ps1", sys.flags.interactive)
        result = super().launch(*args, **{**kwargs, "prevent_thread_lock": True})
        sessions.install(self.server_app, self)
        if wait:  # a process that serves (not a test or a notebook): the CLI sends its runs here while it lives
            with announced(self.local_url or f"http://127.0.0.1:{self.server_port}/"):
                self.block_thread()
        return result


def restrict_tools(demo: ToolBlocks, server: Any) -> None:
    """Keep the MCP server's tools that are task endpoints; align their parameter schemas with the annotations."""
    server.tool_to_endpoint = {tool: endpoint for tool, endpoint in server.tool_to_endpoint.items()
                               if endpoint.lstrip("/") in demo.tools}  # fmt: skip
    for endpoint in server.tool_to_endpoint.values():
        block_fn = server.get_block_fn_from_endpoint_name(endpoint)
        hints = getattr(block_fn.fn, "__annotations__", {})
        parameters = server.api_info["named_endpoints"][endpoint]["parameters"]
        components = [c for c in block_fn.inputs if not getattr(c, "skip_api", False)]
        for parameter, component in zip(parameters, components, strict=True):
            open_choice = isinstance(component, gr.Dropdown) and bool(component.allow_custom_value)
            hint = hints.get(parameter["parameter_name"])
            parameter["type"] = parameter_schema(parameter["type"], hint, open_choice)


def create_app(policy: Policy | None = None, queue_size: int = QUEUE_SIZE) -> gr.Blocks:
    """Build the app from the registry, one top-level tab per task group; nothing is loaded until a request.

    With Gradio's MCP server on (`launch(mcp_server=True)` or GRADIO_MCP_SERVER=true), each task is a tool.
    """
    policy = Policy.from_env() if policy is None else policy
    tasks = all_tasks()
    with ToolBlocks(title="NLP playground", delete_cache=DELETE_CACHE) as demo, gr.Tabs():
        _about(policy)
        models_tab(policy)
        for group in GROUPS:
            members = [spec for spec in tasks if spec.group == group]
            if not members:
                continue
            with gr.Tab(group, id=f"group-{group.lower()}"), gr.Tabs():
                for spec in members:
                    (chat_tab if spec.main_input.kind == "messages" else task_tab)(spec, policy)
                if group == "Documents":
                    collections_tab(policy)
        evaluate_tab(policy)
    demo.tools = frozenset(spec.name for spec in tasks)
    demo.queue(max_size=queue_size, default_concurrency_limit=1)
    limit_events(demo, policy.limits)  # public mode: every request under a wall-clock budget
    return demo


# Gradio keeps a copy of the whole page's configuration for every session it has seen (about 1.8 MB for this app's
# 1,100 components), 10,000 sessions by default, and every HTTP API call is a session of its own. Nothing here keeps
# per-session state a visitor would miss (a conversation travels with each request), so a public app keeps few.
PUBLIC_SESSIONS = 100
# Files handed to visitors (run records, batch results) leave Gradio's cache after an hour, checked every half hour.
DELETE_CACHE = (1800, 3600)


def launch_settings(policy: Policy) -> dict[str, Any]:
    """Keyword arguments of Blocks.launch that public mode adds: the upload limit (Gradio has none by default) and
    the number of sessions whose state is kept in memory."""
    if not policy.public:
        return {}
    settings: dict[str, Any] = {"state_session_capacity": PUBLIC_SESSIONS}
    if policy.limits.max_file_size:
        settings["max_file_size"] = policy.limits.max_file_size
    return settings


def launch(
    host: str | None = None, port: int | None = None, share: bool = False, mcp_server: bool | None = None, **kwargs: Any
) -> gr.Blocks:
    """Launch the app; on Spaces (SPACE_ID) or when GRADIO_SERVER_NAME says so, it listens on every interface.

    mcp_server: serve every task as an MCP tool at /gradio_api/mcp/ (streamable HTTP; SSE at /gradio_api/mcp/sse);
    None leaves it to Gradio, which turns it on when GRADIO_MCP_SERVER is "true".
    """
    if host is None:
        host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1")
    policy = Policy.from_env()
    demo = create_app(policy)
    if os.environ.get("NLP_PLAYGROUND_WARMUP", "1").strip().lower() not in ("0", "false", "no", "off"):
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    demo.launch(server_name=host, server_port=port, share=share, mcp_server=mcp_server,
                **{**launch_settings(policy), **kwargs})  # fmt: skip
    return demo


# One short request per kind of first-use work, so the first visitor does not wait for it: loading the three embedded
# models, the label scores' calibration, the sentiment exemplar classifier and the topic library's vectors.
WARM_UP = (
    ("sentiment", {"text": "A fine, friendly place."}),
    ("classification", {"text": "The team won the final.", "labels": ["sports", "business"]}),
)


def warm_up(pool: ModelPool = POOL) -> None:
    """Run the warm-up requests in the background of a launch; a failure is logged and the app serves on."""
    for task, inputs in WARM_UP:
        try:
            api.run(task, pool=pool, **inputs)
        except Exception as exc:  # a warm-up must never take the app down
            log.warning("warm-up %s failed: %s", task, user_message(exc))
