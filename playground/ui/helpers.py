"""Pure helpers of the app (no Gradio import): turn control values into API arguments and results into text."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..api import Result
from ..errors import ParamError, PlaygroundError
from ..models import LLM_ENGINES, PRESETS, REMOTE_PREFIX, base_url_from

log = logging.getLogger(__name__)

LLM_QUEUE = "llm"  # every task shares one model pool, so every event that runs a model shares one queue
# The Advanced controls, in order; also the names of their API parameters.
ADVANCED = ("model", "engine", "max_new_tokens", "temperature", "top_p", "top_k",
            "repetition_penalty", "num_beams", "seed", "logprobs", "stop")  # fmt: skip
LANGUAGE_NAMES = {"auto": "Detect automatically", "en": "English", "fr": "French", "es": "Spanish", "de": "German",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}  # fmt: skip


def llm_concurrency() -> int:
    """Requests the shared model queue runs at once: one for in-process engines, more when a server is configured.

    In-process models still take one request at a time (each backend holds a lock); a server takes several.
    """
    if base_url_from() is None:
        return 1
    from ..backends.remote import remote_concurrency

    return remote_concurrency()


def engine_choices() -> list[str]:
    """The Advanced engine choices: openai only when a server is configured (OPENAI_BASE_URL)."""
    return ["auto", *(e for e in LLM_ENGINES if e != "openai" or base_url_from() is not None)]


def server_models() -> list[str]:
    """The configured server's models as `openai:NAME`, or none when there is no server or it does not answer."""
    url = base_url_from()
    if url is None:
        return []
    from ..backends.remote import served_models

    try:
        return [REMOTE_PREFIX + name for name in served_models(url)]
    except PlaygroundError as exc:
        log.warning("the model list of %s is not available: %s", url, exc)
        return []


def collection_names() -> list[str]:
    """The document collections there are now, for the collection boxes; none when the store cannot be read."""
    from ..documents.store import default_store

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
    if raw["seed"] not in (None, ""):
        args["seed"] = int(_number("seed", raw["seed"], float))
    if raw["stop"]:
        args["stop"] = parse_stop(raw["stop"])
    return args


def stats_line(result: Result) -> str:
    """Model, engine, tokens, speed and time to first token, for under a result."""
    t = result.timings
    parts = [f"**{result.model}** on {result.engine}"]
    if t["tokens"]:
        parts.append(f"{t['tokens']} tokens")
    if t["tokens_per_s"]:
        parts.append(f"{t['tokens_per_s']} tokens/s")
    if t["first_token_s"] is not None:
        parts.append(f"first token {t['first_token_s']} s")
    parts.append(f"total {t['total_s']} s")
    if t["load_s"]:
        parts.append(f"model load {t['load_s']} s")
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
