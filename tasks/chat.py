"""Chat: a conversation through the model's chat template, trimmed to its context, optionally grounded on documents.

When a conversation would not fit the context window with room for the answer, the oldest turns after the system
prompt are left out (a user message with the replies that followed it) and the result says how many.

Small models lose what the user said a few turns back, so the task keeps a memory: the sentences in which the user
states something about themselves (a name, a place, a date, a number, a preference), carried in the system prompt
of every turn and returned as `memory`. The app shows it and lets the user edit it; an edited memory comes back as
the `memory` input, and only the new message's facts are added to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from playground.core.errors import InputError, ModelError
from playground.documents.search import search
from playground.documents.store import default_store
from playground.engines.base import ChatMessage
from playground.engines.catalogue import DEFAULT_EMBEDDER
from playground.runtime.checks import Check, unsupported
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, EvalTools, optional
from playground.runtime.registry import Input, TaskSpec
from playground.tasks.qa import citation, cited
from playground.text.sentences import split_sentences

TEMPLATE = "chat.j2"
MEMORY_ITEMS = 12  # the most facts the memory keeps (the latest)
MEMORY_CHARS = 200  # a longer sentence is not a fact to carry along
# A question about what the user said: a question mark, or a request to be reminded.
ASKS = re.compile(r"\?\s*$|\b(?:remind|tell me again|recall|repeat)\b", re.IGNORECASE)
# A fact less close than this (cosine) to a first-person question is not what it asks about. Chosen on the dev half
# of assets/eval/chat.jsonl: the closest fact of the last questions scored 0.38 to 0.82, that of the other user
# turns at most 0.13.
RECALL_FLOOR = 0.3
RECALLED = 2  # the most facts one answer quotes
# Words that open a request, not a fact.
_REQUESTS = frozenset(
    re.findall(
        r"\S+",
        "please tell give show remind repeat suggest help can could would will do "
        "does what why how where when who which let let's write explain",
    )
)
_SELF = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|my|me|mine|we|we're|our|us)\b", re.IGNORECASE)


def stated(text: str) -> list[str]:
    """The sentences of a user message that state something about the user: in the first person, and neither a
    question nor a request ("Please repeat my order number.")."""
    return [s for s in split_sentences(text) if _SELF.search(s) and not s.rstrip().endswith("?")
            and len(s) <= MEMORY_CHARS and s.split()[0].lower().strip(",.!:") not in _REQUESTS]  # fmt: skip


def memory_of(messages: Sequence[ChatMessage], given: str | None) -> list[str]:
    """The facts to carry: the edited memory's lines and the last message's facts, or else every user message's."""
    users = [m["content"] for m in messages if m["role"] == "user"]
    if given is not None and given.strip():
        lines = [line.strip().lstrip("-•* ").strip() for line in given.splitlines()]
        facts = [line for line in lines if line] + (stated(users[-1]) if users else [])
    else:
        facts = [fact for text in users for fact in stated(text)]
    return list(dict.fromkeys(facts))[-MEMORY_ITEMS:]


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


def conversation(
    ctx: TaskContext, inputs: dict[str, Any], retrieved: list[dict[str, Any]], memory: list[str]
) -> list[ChatMessage]:
    """The messages sent: the system prompt (the `system` input, or the first message) with the memory and the
    passages, then the turns."""
    messages: list[ChatMessage] = [{"role": m["role"], "content": m["content"]} for m in inputs["messages"]]
    system = inputs["system"] or ""
    if messages[0]["role"] == "system":
        if system:
            raise InputError("give the system prompt once: as the input 'system' or as the first message")
        system = messages.pop(0)["content"]
    content = ctx.render(TEMPLATE, system=system, retrieved=retrieved, memory=memory).strip()
    # With no system prompt and no passages, the model's own template supplies its default system prompt.
    head: list[ChatMessage] = [{"role": "system", "content": content}] if content else []
    return head + messages


def recalled(ctx: TaskContext, messages: Sequence[ChatMessage], facts: Sequence[str]) -> list[str]:
    """The facts of earlier turns that the last message asks about (a question in the first person, close in
    meaning to the fact), closest first; none for any other message."""
    question = messages[-1]["content"]
    earlier = [fact for fact in facts if fact not in stated(question)]
    if not earlier or not _SELF.search(question) or not ASKS.search(question):
        return []
    vectors = ctx.embedder.embed([question, *earlier])
    closeness = vectors[1:] @ vectors[0]
    ranked = sorted(range(len(earlier)), key=lambda i: -float(closeness[i]))
    return [earlier[i] for i in ranked if closeness[i] >= RECALL_FLOOR][:RECALLED]


def run(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    memory = memory_of(inputs["messages"], inputs["memory"]) if inputs["remember"] else []
    recall = recalled(ctx, inputs["messages"], memory) if memory and not inputs["collection"] else []
    if recall:  # the small models lose these facts even when the prompt carries them: they are quoted instead
        quoted = " ".join(f"“{fact}”" for fact in recall)
        yield {"text": f"You told me: {quoted}", "source": "memory", "memory": "\n".join(memory),
               "note": "answered from what you said earlier (the memory), not by the model"}  # fmt: skip
        return
    if not ctx.llm.supports_chat:
        raise ModelError(f"{ctx.llm.ref.name} has no chat template; pick an instruction model for chat")
    hits = []
    if inputs["collection"]:
        question = inputs["messages"][-1]["content"]
        hits = search(default_store(), inputs["collection"], question, ctx.embedder, inputs["passages"])
    messages, dropped, tokens = fit(
        ctx, conversation(ctx, inputs, [{"doc": h.doc, "text": h.text} for h in hits], memory)
    )
    answer = ""
    for piece in ctx.llm.stream(messages, ctx.params):
        answer += piece
        yield {"text": answer.strip()}
    output: dict[str, Any] = {"text": answer.strip(), "source": "model", "prompt_tokens": tokens, "trimmed": dropped}
    if inputs["remember"]:
        output["memory"] = "\n".join(memory)
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


def recall_reference(row: dict[str, Any]) -> list[list[str]]:
    """The facts the last question asks for: a list of groups, each matched by one of its strings."""
    groups = row.get("answers")
    if not isinstance(groups, list) or not groups or not all(isinstance(g, list) and g for g in groups):
        raise InputError('a chat eval item needs `answers`: a list of groups of accepted strings, [["Lisbon"]]')
    return [[str(a) for a in group] for group in groups]


def holds_facts(pred: Any, groups: Any, row: dict[str, Any]) -> float:
    """1 when the reply holds one string of every group (case-insensitive), else 0."""
    text = str(pred["text"]).lower()
    return float(all(any(a.lower() in text for a in group) for group in groups))


def recall_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools | None = None
) -> dict[str, float]:
    """The share of replies holding every fact asked for, and the share quoted from the memory."""
    n = len(preds)
    return {"recalled": sum(holds_facts(p, r, row) for p, r, row in zip(preds, refs, rows, strict=True)) / n,
            "from_memory": sum(p["source"] == "memory" for p in preds) / n}  # fmt: skip


EVALUATION = EvalSpec(
    inputs=lambda row, rows: {"messages": row["messages"], **optional(row, "system", "remember", "memory")},
    reference=recall_reference,
    prediction=lambda output: {"text": output["text"], "source": output.get("source", "model")},
    score=recall_scores,
    item_score=holds_facts,
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
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
        Input(
            "remember",
            "flag",
            "Remember what I tell it",
            default=True,
            required=False,
            help="carry the facts you state (names, places, dates, numbers, preferences) in every turn's prompt",
        ),
        Input(
            "memory",
            "text",
            "Memory",
            required=False,
            max_chars=4_000,
            help="the facts to carry, one a line; blank: gathered from the conversation's user messages",
        ),
    ),
    templates=(TEMPLATE,),
    template_extras=frozenset({"retrieved", "memory"}),
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
