"""The task endpoints as MCP tools: typed signatures and docstrings made from the task specs (no Gradio import).

Gradio's MCP server names a tool after its function (`__name__`), describes it from the docstring (the summary,
one `name: description` line per parameter under `Args:`, the lines under `Returns:`) and types its parameters
from the input components' JSON schema, which `parameter_schema` aligns with the annotations set here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from playground.policy.limits import Policy
from playground.runtime.registry import Input, InputKind, TaskSpec

UPLOAD = "upload"  # the API name of the file slot of list-taking tasks
TEMPLATE = "template"  # the API name of the edited prompt template, for tasks that have one

# What each kind of input reaches the handler as, from its component (a list of texts is typed one per line).
KIND_TYPES: dict[InputKind, Any] = {"text": str, "texts": str, "choice": str, "options": list[str], "labels": str,
                                    "count": str, "collection": str, "integer": int, "number": float,
                                    "messages": list[dict[str, str]], "flag": bool}  # fmt: skip
ADVANCED_TYPES: dict[str, Any] = {"model": str, "engine": str, "max_new_tokens": int, "temperature": float,
                                  "top_p": float, "top_k": int, "repetition_penalty": float, "num_beams": int,
                                  "seed": int, "logprobs": int, "stop": str}  # fmt: skip
ADVANCED_HELP = {
    "engine": "Inference engine: auto (picks by model), llama.cpp, transformers, or openai (the configured server).",
    "max_new_tokens": "Most tokens to generate (the model's answer stops there).",
    "temperature": "Sampling temperature from 0 to 2; 0 means greedy decoding.",
    "top_p": "Nucleus sampling: sample from the most likely tokens whose probabilities add up to this (0 to 1].",
    "top_k": "Sample only from the k most likely tokens; 0 turns top-k off.",
    "repetition_penalty": "Penalty on repeated tokens, 0.5 to 2; 1 means none.",
    "num_beams": "Beam search width, 1 to 8 (transformers engine only); 1 means no beam search.",
    "seed": "Random seed for reproducible sampling; leave blank for a random one (the result says which was used).",
    "logprobs": "0 to 5: report each generated token's log-probability and this many alternatives; 0 means off.",
    "stop": "Stop sequences, one per line (a literal \\n stands for a newline); generation ends at the first.",
}
# What a task's result view shows, per display; every tool then returns a stats line and the raw result.
RETURNS = {
    "text": "the output text",
    "label": "the predicted label with a confidence for each label",
    "edits": (
        "the corrected text, the text with the edits highlighted, each engine's status, and a table of the "
        "edits (apply, original, replacement, engine, message)"
    ),
    "clusters": "a Markdown list of the clusters (name, size, members) and a 2-D plot of the embeddings",
    "hits": "the passages found, each with its document, character span, fused score and ranks, as Markdown",
    "answer": "the answer, and its source and citations (document, span, passage) as Markdown",
    "pairs": "a table of the pairs found: both sides, kind (copy or paraphrase), score and the shared passages",
    "keywords": "a table of the keywords (keyword, score, count), best first, and the meta description if asked for",
    "ideas": "the ideas as a Markdown list of titles and descriptions",
}


def one_line(text: str) -> str:
    """Text on one line, as Gradio reads one description line per parameter."""
    return " ".join(str(text).split())


def _input_help(item: Input, policy: Policy) -> str:
    parts = [item.label]
    if item.help:
        parts.append(item.help)
    if item.kind == "choice":
        parts.append(f"one of {', '.join(item.choices)}")
    elif item.kind == "options":
        parts.append(f"a list of any of {', '.join(item.choices)}")
    elif item.kind == "count":
        parts.append('"auto" or a whole number')
    elif item.kind == "integer":
        parts.append(f"a whole number from {int(item.minimum)} to {int(item.maximum)}")
    elif item.kind == "number":
        parts.append(f"a number from {item.minimum:g} to {item.maximum:g}")
    elif item.kind == "collection":
        parts.append("the name of a document collection")
    elif item.kind == "flag":
        parts.append("true or false")
    elif item.kind == "texts" and not item.help:
        parts.append("one text per line")
    chars = min(item.max_chars, policy.limits.max_input_chars or item.max_chars)
    if item.kind == "text":
        parts.append(f"at most {chars} characters")
    elif item.kind == "texts":
        count = min(item.max_items, policy.limits.max_texts or item.max_items)
        parts.append(f"{item.min_items} to {count} texts of at most {chars} characters each")
    if item.required:
        parts.append("required")
    elif item.default not in (None, "", [], ()):
        default = ", ".join(item.default) if isinstance(item.default, list | tuple) else item.default
        default = str(default).lower() if isinstance(default, bool) else default
        parts.append(f"default {default}")
    return one_line("; ".join(parts)) + "."


def _model_help(spec: TaskSpec, policy: Policy) -> str:
    models = ", ".join(policy.models())
    if policy.public:
        return f"Model to run, one of {models}; blank means the task's default ({spec.default_model})."
    return (f"Model to run: a preset ({models}), a Hugging Face model id or a local path; blank means the task's "
            f"default ({spec.default_model}).")  # fmt: skip


def parameter_help(spec: TaskSpec, policy: Policy) -> dict[str, str]:
    """One line describing each parameter of a task's endpoint, by name."""
    described = {item.name: _input_help(item, policy) for item in spec.inputs}
    if spec.main_input.kind == "texts":
        described[UPLOAD] = (f"Optional URL of a .txt (one text per line) or .csv file whose texts are added to "
                             f"{spec.main_input.name}.")  # fmt: skip
    described["model"] = _model_help(spec, policy)
    described |= ADVANCED_HELP
    if spec.templates:
        variables = ", ".join(sorted(spec.template_variables(spec.templates[0])))
        described[TEMPLATE] = (f"Optional Jinja text replacing the task's prompt template {spec.templates[0]} for "
                               f"this call (it may use {variables}); blank keeps the task's own.")  # fmt: skip
    return described


def tool_docstring(spec: TaskSpec, policy: Policy) -> str:
    """A Google-style docstring of a task's endpoint: what it does, each parameter on one line, what it returns."""
    summary = f"{spec.title}: {one_line(spec.description)}"
    if spec.display == "label":
        summary += " The decoding settings (max_new_tokens to stop) matter only when a label is generated."
    lines = [summary, "", "Args:"]
    lines += [f"    {name}: {text}" for name, text in parameter_help(spec, policy).items()]
    lines += ["", "Returns:", f"    {RETURNS[spec.display]}; a Markdown line with the model, engine, speed and "
              "timings; and the full result (task, output, model, engine, timings, models)."]  # fmt: skip
    return "\n".join(lines)


def parameter_types(spec: TaskSpec) -> dict[str, Any]:
    """The type of each parameter of a task's endpoint, by name; an optional one may also be None."""
    types = {item.name: KIND_TYPES[item.kind] if item.required else KIND_TYPES[item.kind] | None
             for item in spec.inputs}  # fmt: skip
    if spec.main_input.kind == "texts":
        types[UPLOAD] = str | None
    types |= {name: kind | None for name, kind in ADVANCED_TYPES.items()}
    return types | ({TEMPLATE: str | None} if spec.templates else {})


def describe_tool(fn: Callable[..., Any], spec: TaskSpec, policy: Policy) -> Callable[..., Any]:
    """Name a task's handler after the task, and give it typed parameters and a docstring from the spec.

    `fn` already has the endpoint's parameter names and defaults (`with_parameters`); this keeps them.
    """
    types = parameter_types(spec)
    signature = inspect.signature(fn)
    parameters = [p.replace(annotation=types.get(p.name, Any)) for p in signature.parameters.values()]
    returns = Iterator[list[Any]]
    fn.__signature__ = signature.replace(parameters=parameters, return_annotation=returns)  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": returns}
    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = tool_docstring(spec, policy)
    return fn


def parameter_schema(schema: dict[str, Any], annotation: Any, open_choice: bool) -> dict[str, Any]:
    """A parameter's JSON schema (from its component) made to match its annotation.

    A whole-number slider becomes "integer", a dropdown that takes typed values (a model id) loses its enum, and
    "null or T" is T (every optional parameter may be left out).
    """
    schema = dict(schema)
    alternatives = [s for s in schema.get("oneOf", ()) if s.get("type") != "null"]
    if len(alternatives) == 1:  # an optional parameter of an endpoint typed by its annotations (gr.api)
        schema = {k: v for k, v in schema.items() if k != "oneOf"} | alternatives[0]
    whole = annotation in (int, int | None)
    if whole and schema.get("type") == "number":
        schema["type"] = "integer"
    if open_choice:
        schema.pop("enum", None)
    return schema
