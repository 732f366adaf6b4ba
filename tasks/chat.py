"""Chat: a conversation through the model's chat template, trimmed to its context, optionally grounded on documents.

When a conversation would not fit the context window with room for the answer, the oldest turns after the system
prompt are left out (a user message with the replies that followed it) and the result says how many.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from playground.core.errors import InputError, ModelError
from playground.documents.search import search
from playground.documents.store import default_store
from playground.engines.base import ChatMessage
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.checks import Check, unsupported
from playground.runtime.context import TaskContext
from playground.runtime.registry import Input, TaskSpec
from playground.tasks.qa import citation, cited

TEMPLATE = "chat.j2"


def fit(ctx: TaskContext, messages: Sequence[ChatMessage]) -> tuple[list[ChatMessage], int, int]:
    """The conversation cut to the context window: (messages kept, how many left out, prompt tokens)."""
    budget = ctx.llm.context_length - ctx.params.max_new_tokens
    head = list(messages[:1]) if messages[0]["role"] == "system" else []
    turns = list(messages[len(head) :])
    dropped = 0
    while (tokens := ctx.llm.count_prompt(head + turns)) > budget:
        if len(turns) == 1:
            raise InputError(
                f"the last message{' with the system prompt' if head else ''} is {tokens} tokens; with "
                f"max_new_tokens={ctx.params.max_new_tokens} it does not fit the model's context of "
                f"{ctx.llm.context_length} tokens: shorten it or lower max_new_tokens"
            )
        cut = 1  # the oldest user message and every reply up to the next user message
        while cut < len(turns) - 1 and turns[cut]["role"] != "user":
            cut += 1
        turns = turns[cut:]
        dropped += cut
    return head + turns, dropped, tokens


def conversation(ctx: TaskContext, inputs: dict[str, Any], retrieved: list[dict[str, Any]]) -> list[ChatMessage]:
    """The messages sent: the system prompt (the `system` input, or the first message) with passages, then turns."""
    messages: list[ChatMessage] = [{"role": m["role"], "content": m["content"]} for m in inputs["messages"]]
    system = inputs["system"] or ""
    if messages[0]["role"] == "system":
        if system:
            raise InputError("give the system prompt once: as the input 'system' or as the first message")
        system = messages.pop(0)["content"]
    content = ctx.render(TEMPLATE, system=system, retrieved=retrieved).strip()
    # With no system prompt and no passages, the model's own template supplies its default system prompt.
    head: list[ChatMessage] = [{"role": "system", "content": content}] if content else []
    return head + messages


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if not ctx.llm.supports_chat:
        raise ModelError(f"{ctx.llm.ref.name} has no chat template; pick an instruction model for chat")
    hits = []
    if inputs["collection"]:
        question = inputs["messages"][-1]["content"]
        hits = search(default_store(), inputs["collection"], question, ctx.embedder, inputs["passages"])
    messages, dropped, tokens = fit(ctx, conversation(ctx, inputs, [{"doc": h.doc, "text": h.text} for h in hits]))
    answer = ""
    for piece in ctx.llm.stream(messages, ctx.params):
        answer += piece
        yield {"text": answer.strip()}
    output: dict[str, Any] = {"text": answer.strip(), "prompt_tokens": tokens, "trimmed": dropped}
    if dropped:
        output["note"] = (
            f"the {dropped} oldest message{'s' if dropped > 1 else ''} after the system prompt were left out to fit "
            f"the model's context of {ctx.llm.context_length} tokens"
        )
    if inputs["collection"]:
        order = cited(answer, len(hits))
        output["citations"] = [citation(hits[i]) for i in order + [i for i in range(len(hits)) if i not in order]]
        output["cited"] = [n + 1 for n in order]
    yield output


def grounded(ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
    """Over a collection: `unsupported` for each number and name that neither the passages nor the conversation
    hold. Without one the assistant answers from what it knows, and there is nothing to hold it to."""
    if not inputs["collection"]:
        return []
    sources = [c["text"] for c in output.get("citations", [])] + [m["content"] for m in inputs["messages"]]
    return unsupported(output["text"], sources, "the passages or the conversation")


SPEC = TaskSpec(
    name="chat",
    title="Chat",
    description="A conversation with the instruction model through its chat template. Long conversations keep the "
    "system prompt and the latest turns that fit the context. With a collection, each answer is grounded on the "
    "passages that best match the last message, and cites them.",
    inputs=(
        Input(
            "messages",
            "messages",
            "Conversation",
            max_chars=100_000,
            max_items=500,
            help="a list of {role, content} messages (roles system, user, assistant), the user's last; "
            "a plain text is one user message",
        ),
        Input(
            "system",
            "text",
            "System prompt",
            required=False,
            max_chars=8_000,
            help="instructions the assistant follows throughout the conversation",
        ),
        Input(
            "collection",
            "collection",
            "Ground on a collection",
            required=False,
            help="answer from this document collection's passages, citing them",
        ),
        Input("passages", "integer", "Passages to read", default=3, required=False, minimum=1, maximum=10),
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"retrieved"}),
    run=run,
    checked="text",
    checks=(grounded,),
    embedder=DEFAULT_EMBEDDER,
    default_params={"max_new_tokens": 256, "temperature": 0.0, "repetition_penalty": 1.1},
    streams=True,
    order=90,
    group="Chat",
    examples="chat.jsonl",
)
