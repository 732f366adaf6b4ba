"""The Chat tab: gr.ChatInterface in front of the `chat` task (never a model directly), with its settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.secrets import user_message
from playground.frontends.ui.batch import batch_section
from playground.frontends.ui.budgets import budgeted
from playground.frontends.ui.helpers import ADVANCED, LLM_QUEUE, advanced_arguments, llm_concurrency, stats_line
from playground.frontends.ui.task_tab import advanced_controls, endpoint, input_component
from playground.policy.limits import Policy
from playground.policy.safety import Safety
from playground.runtime.registry import TaskSpec
from playground.service import api


def _text(content: Any) -> str:
    """The text of a chat message's content: a string, or the text parts of a list (files are left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, Sequence):
        return "\n".join(t for t in map(_text, content) if t)
    return ""


def conversation(message: Any, history: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The task's `messages` from the chat box: earlier turns, then the new message.

    The stats notes shown under answers (messages with a metadata title) are the app's, not the conversation's.
    """
    messages = []
    for item in history:
        if (item.get("metadata") or {}).get("title"):
            continue
        text = _text(item.get("content")).strip()
        if text and item.get("role") in ("user", "assistant"):
            messages.append({"role": str(item["role"]), "content": text})
    messages.append({"role": "user", "content": _text(message)})
    return messages


def details(result: api.Result) -> str:
    """What goes inside the stats note under an answer: the note on trimming and the passages cited."""
    output = result.output
    lines = [f"Prompt: {output.get('prompt_tokens', '?')} tokens."]
    if output.get("note"):
        lines.append(f"Note: {output['note']}.")
    for check in output.get("checks") or []:
        flagged = output["text"][check["start"] : check["end"]]
        lines.append(f"Check, {check['kind']}: {check['message']}" + (f" («{flagged}»)" if flagged else ""))
    for number, cite in enumerate(output.get("citations") or [], 1):
        page = f", page {cite['page']}" if cite.get("page") else ""
        lines.append(f"[{number}] {cite['doc']}{page}: {' '.join(cite['text'].split())[:300]}")
    return "\n\n".join(lines)


def chat_tab(spec: TaskSpec, policy: Policy) -> None:
    """The Chat tab: system prompt and collection above the conversation, the Advanced settings below them."""
    safety = Safety.from_env(policy.public)
    settings = {i.name: i for i in spec.inputs if i.name != "messages"}
    with gr.Tab(spec.title, id=spec.name):
        gr.Markdown(spec.description)
        with gr.Row():
            example = "e.g. You are the support desk of a bicycle shop. Answer briefly."
            system = gr.Textbox(label=settings["system"].label, lines=2, scale=3, info=settings["system"].help,
                                placeholder=example)  # fmt: skip
            collection = input_component(settings["collection"], policy)
            passages = input_component(settings["passages"], policy)
        with gr.Row():
            remember = gr.Checkbox(value=True, label=settings["remember"].label, info=settings["remember"].help,
                                   scale=1)  # fmt: skip
            memory = gr.Textbox(label="Memory: what the chat keeps of what you said (edit it; blank gathers it again)",
                                lines=2, scale=3, max_length=settings["memory"].max_chars)  # fmt: skip
        advanced = advanced_controls(spec, policy)

        def respond(message: Any, history: list[dict[str, Any]], *values: Any) -> Iterator[tuple[Any, Any, Any]]:
            try:
                inputs = {"messages": conversation(message, history), "system": values[0], "collection": values[1],
                          "passages": values[2], "remember": values[3], "memory": values[4]}  # fmt: skip
                inputs = {k: v for k, v in inputs.items() if v not in (None, "")}
                arguments = advanced_arguments(values[-len(ADVANCED) :])
                policy.check(inputs, arguments)
                results = api.stream(spec.name, safety=safety, **inputs, **arguments)
                try:
                    for result in results:
                        answer = gr.ChatMessage(role="assistant", content=result.output["text"])
                        if not result.done:
                            yield [answer], gr.skip(), gr.skip()
                            continue
                        note = gr.ChatMessage(role="assistant", content=details(result),
                                              metadata={"title": stats_line(result).replace("**", "")})  # fmt: skip
                        yield [answer, note], result.to_dict(), result.output.get("memory", gr.skip())
                finally:
                    results.close()  # Stop ends the generation now and frees the model
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None

        with gr.Accordion("Raw output of the last answer (JSON)", open=False, render=False) as raw_box:
            raw = gr.JSON(label="Result")
        seconds = policy.limits.request_seconds
        gr.ChatInterface(
            budgeted(respond, seconds) if seconds else respond,  # ChatInterface wraps it: the app cannot reach it
            additional_inputs=[system, collection, passages, remember, memory, *advanced],
            additional_outputs=[raw, memory],
            examples=[[row["messages"]] for row in spec.example_rows()],
            run_examples_on_click=False,
            api_visibility="private",  # the HTTP API and MCP get the `chat` endpoint below, which takes messages
            concurrency_limit=llm_concurrency(),
            fill_height=False,
        )
        raw_box.render()
        gr.api(endpoint(spec, policy, safety, lambda output, _: [output["text"]]), api_name=spec.name,
               concurrency_id=LLM_QUEUE, concurrency_limit=llm_concurrency())  # fmt: skip
        batch_section(spec, advanced, policy)  # JSONL, one conversation (`messages`) per line
