"""Pure helpers of the app (no Gradio import): turn control values into API arguments and results into text."""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from playground.core.errors import ParamError, PlaygroundError
from playground.engines.catalogue import LLM_ENGINES, PRESETS, REMOTE_PREFIX, base_url_from
from playground.runtime.registry import GROUPS, Input, TaskSpec
from playground.service.api import Result

log = logging.getLogger(__name__)

LLM_QUEUE = "llm"  # every task shares one model pool, so every event that runs a model shares one queue
# The Advanced controls, in order; also the names of their API parameters.
ADVANCED = ("model", "engine", "max_new_tokens", "temperature", "top_p", "top_k",
            "repetition_penalty", "num_beams", "seed", "logprobs", "stop")  # fmt: skip
LANGUAGE_NAMES = {"auto": "Detect automatically", "en": "English", "fr": "French", "es": "Spanish", "de": "German",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}  # fmt: skip


def is_language(item: Input) -> bool:
    """Whether a choice input picks a language: its choices are language codes (and perhaps `auto`)."""
    codes = set(item.choices) - {"auto"}
    return bool(codes) and codes <= LANGUAGE_NAMES.keys()


def choice_labels(item: Input) -> list[tuple[str, str]]:
    """A choice input's (shown, value) pairs: a language by its name, any other choice as itself."""
    names = LANGUAGE_NAMES if is_language(item) else {}
    return [(names.get(c, c), c) for c in item.choices]


def calls_llm(spec: TaskSpec) -> bool:
    """Whether a task may call a language model at all (a prompt template means an option of it does)."""
    return spec.uses_llm or bool(spec.templates)


def applicable_settings(spec: TaskSpec) -> tuple[str, ...]:
    """The Advanced settings that change what a task does, in the order of ADVANCED.

    Its tab shows only these; the others stay parameters of its endpoint (hidden controls), so the HTTP API and MCP
    signatures are the same for every task.
    """
    if not calls_llm(spec):  # search, duplicates: an embedder and no language model
        return ()
    if spec.display == "label":  # the labels are scored: nothing is decoded
        return ("model", "engine")
    if spec.display == "clusters":  # each name is one short call of at most 12 tokens: no length, no token view
        return tuple(name for name in ADVANCED if name not in ("max_new_tokens", "logprobs"))
    return ADVANCED


def task_models(spec: TaskSpec) -> list[str]:
    """The models and components a task runs, its own LLM first; an LLM that only one of its options calls is
    marked optional (the keywords' meta description)."""
    extras = [m for m in (spec.embedder, *spec.helpers) if m]
    if spec.uses_llm:
        return [spec.default_model, *extras]
    return extras + ([f"{spec.default_model} (optional)"] if calls_llm(spec) else [])


def about_tables(tasks: Sequence[TaskSpec]) -> str:
    """The tasks in Markdown, one table per group in the app's order: each task, what it does, what it runs."""
    blocks = []
    for group in GROUPS:
        members = [spec for spec in tasks if spec.group == group]
        if not members:
            continue
        rows = [f"### {group}\n", "| Task | What it does | Models |", "|---|---|---|"]
        rows += [f"| **{spec.title}** | {spec.description.replace('|', '/')} | {' + '.join(task_models(spec))} |"
                 for spec in members]  # fmt: skip
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


def llm_concurrency() -> int:
    """Requests the shared model queue runs at once: one for in-process engines, more when a server is configured.

    In-process models still take one request at a time (each backend holds a lock); a server takes several.
    """
    if base_url_from() is None:
        return 1
    from playground.engines.remote import remote_concurrency

    return remote_concurrency()


def engine_choices() -> list[str]:
    """The Advanced engine choices: openai only when a server is configured (OPENAI_BASE_URL)."""
    return ["auto", *(e for e in LLM_ENGINES if e != "openai" or base_url_from() is not None)]


def server_models() -> list[str]:
    """The configured server's models as `openai:NAME`, or none when there is no server or it does not answer."""
    url = base_url_from()
    if url is None:
        return []
    from playground.engines.remote import served_models

    try:
        return [REMOTE_PREFIX + name for name in served_models(url)]
    except PlaygroundError as exc:
        log.warning("the model list of %s is not available: %s", url, exc)
        return []


def collection_names() -> list[str]:
    """The document collections there are now, for the collection boxes; none when the store cannot be read."""
    from playground.documents.store import default_store

    try:
        return default_store().names()
    except PlaygroundError as exc:
        log.warning("the document collections cannot be listed: %s", exc)
        return []


def parse_stop(text: Any) -> list[str]:
    """One stop sequence per line; a literal \\n in the box means a newline."""
    if isinstance(text, list | tuple):
        return [str(s) for s in text if s]
    return [line.replace("\\n", "\n") for line in str(text or "").splitlines() if line]


def _number(name: str, value: Any, kind: Callable[[Any], Any]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ParamError(f"{name} must be a number, not {str(value)[:40]!r}") from None
    if number != number or number in (float("inf"), float("-inf")):  # NaN or infinite
        raise ParamError(f"{name} must be a finite number")
    return number


MAX_SEED = 2**32 - 1


def parse_seed(value: Any) -> int | None:
    """The seed box's value: blank is None (a new seed each run), else a whole number from 0 to MAX_SEED."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if isinstance(value, bool) or not (math.isfinite(number) and number.is_integer() and 0 <= number <= MAX_SEED):
        raise ParamError(f"seed must be a whole number from 0 to {MAX_SEED}, or blank for a new one each run; "
                         f"not {str(value)[:40]!r}")  # fmt: skip
    return value if isinstance(value, int) else int(number)


def advanced_arguments(values: Sequence[Any]) -> dict[str, Any]:
    """Turn the Advanced controls' values into api.run keyword arguments, leaving out the ones left blank."""
    raw = dict(zip(ADVANCED, values, strict=True))
    args: dict[str, Any] = {}
    if raw["model"]:
        args["model"] = str(raw["model"]).strip()
    if raw["engine"] and raw["engine"] != "auto":
        args["engine"] = str(raw["engine"])
    if args.get("engine") == "openai" and args.get("model") in PRESETS:
        del args["model"]  # the box still shows the task's embedded default: the server's first model stands in
    for name in ("max_new_tokens", "top_k", "num_beams", "logprobs"):
        if raw[name] not in (None, ""):
            args[name] = int(_number(name, raw[name], float))
    for name in ("temperature", "top_p", "repetition_penalty"):
        if raw[name] not in (None, ""):
            args[name] = _number(name, raw[name], float)
    seed = parse_seed(raw["seed"])
    if seed is not None:
        args["seed"] = seed
    if raw["stop"]:
        args["stop"] = parse_stop(raw["stop"])
    return args


CALL_NOUNS = {"generate": "generation", "score": "scoring call", "embed": "embedding call"}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def model_figures(use: dict[str, Any]) -> str:
    """What one model did: tokens and decoding speed where it generated, calls where it scored or embedded, time."""
    calls = dict(use.get("calls") or {})
    parts = []
    generations = calls.pop("generate", 0)
    if use["tokens"]:
        made = _plural(use["tokens"], "token")
        if generations > 1:
            made += f" in {generations} generations"
        if use["tokens_per_s"]:
            made += f" at {use['tokens_per_s']} tokens/s"
        parts.append(made)
    elif generations:
        parts.append(_plural(generations, "generation") + " (no tokens)")
    parts += [_plural(count, CALL_NOUNS.get(kind) or kind) for kind, count in calls.items()]
    if parts:
        parts.append(f"{use['seconds']} s")
    if use.get("load_s"):
        parts.append(f"loaded in {use['load_s']} s")
    return f"**{use['name']}** on {use['engine']}" + (": " + ", ".join(parts) if parts else "")


def stats_line(result: Result) -> str:
    """What each model did (tokens and speed, or calls), time to first token and total time, for under a result.

    A partial result (streaming, or the last one shown after Stop) counts the tokens made so far.
    """
    t = result.timings
    uses = t.get("models")
    if uses:
        parts = [model_figures(use) for use in uses]
    else:  # no model ran (or timings from before per-model figures)
        parts = [f"**{result.model}** on {result.engine}"]
        if t.get("tokens"):
            parts.append(_plural(t["tokens"], "token"))
        if t.get("tokens_per_s"):
            parts.append(f"{t['tokens_per_s']} tokens/s")
    if t["first_token_s"] is not None:
        parts.append(f"first token {t['first_token_s']} s")
    parts.append(f"total {t['total_s']} s" + ("" if result.done else " so far"))
    if result.safety:
        changes = ", ".join(f"{c['filter']} {c['action']} ×{c['count']}" for c in result.safety["changes"])
        parts.append(f"safety: {changes or 'nothing changed'}")
    return " · ".join(parts)


_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


def with_parameters(
    fn: Callable[..., Any], names: Sequence[str], defaults: dict[str, Any], extra: Sequence[inspect.Parameter] = ()
) -> Callable[..., Any]:
    """Give a `*values` handler a signature with these parameter names, so the HTTP API names its parameters.

    A name in `defaults` is optional with that default; a required name after an optional one defaults to None
    (the task still says it is missing).
    """
    parameters = []
    optional = False
    for name in names:
        if name in defaults or optional:
            optional = True
            parameters.append(inspect.Parameter(name, _POSITIONAL, default=defaults.get(name)))
        else:
            parameters.append(inspect.Parameter(name, _POSITIONAL))
    fn.__signature__ = inspect.Signature([*parameters, *extra])  # type: ignore[attr-defined]
    return fn
