"""Public mode: what a deployment open to anyone accepts from the page (models, sizes), and secrets kept out of text.

On when `SPACE_ID` is set (Hugging Face Spaces) or `NLP_PLAYGROUND_PUBLIC=1`; `NLP_PLAYGROUND_PUBLIC=0` turns it off
on a private Space. Locally nothing is restricted. The checks run before any disk or network access.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from playground.core.errors import InputError, ModelError, ParamError, PlaygroundError, RowError
from playground.engines.catalogue import PRESETS, all_presets

Row = dict[str, Any]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Limits:
    """Sizes a deployment accepts; None means no limit beyond the task's own."""

    max_input_chars: int | None = None
    max_texts: int | None = None
    max_new_tokens: int | None = None
    max_file_size: str | None = None  # Gradio's format: "2mb"
    max_batch_rows: int | None = None
    max_eval_items: int | None = None
    request_seconds: float | None = None  # the wall-clock budget of one request, after which it is stopped
    file_request_seconds: float | None = None  # the same for a request over a file (batch, evaluation, indexing)


PUBLIC_LIMITS = Limits(
    max_input_chars=4000,
    max_texts=100,
    max_new_tokens=512,
    max_file_size="2mb",
    max_batch_rows=200,
    max_eval_items=100,
    request_seconds=120.0,
    file_request_seconds=900.0,
)


def _seconds(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    """A budget in seconds from the environment; 0 turns it off, a value that is not a number is an error."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PlaygroundError(f"{name} must be a number of seconds, not {raw[:40]!r}") from None
    if value != value or value < 0:  # NaN or negative
        raise PlaygroundError(f"{name} must be a number of seconds, 0 or more")
    return value or None


@dataclass(frozen=True)
class Policy:
    """What the app accepts: everything locally; presets, an allow-list and smaller sizes in public mode."""

    public: bool = False
    allowed_models: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        """Read public mode and the allow-list (comma- or space-separated ids) from the environment."""
        env = os.environ if env is None else env
        flag = env.get("NLP_PLAYGROUND_PUBLIC")
        public = _truthy(flag) if flag is not None and flag.strip() else bool(env.get("SPACE_ID"))
        if not public:
            return cls()
        allowed = frozenset(m for m in re.split(r"[,\s]+", env.get("NLP_PLAYGROUND_ALLOWED_MODELS", "")) if m)
        limits = replace(
            PUBLIC_LIMITS,
            request_seconds=_seconds(env, "NLP_PLAYGROUND_REQUEST_SECONDS", PUBLIC_LIMITS.request_seconds),
            file_request_seconds=_seconds(
                env, "NLP_PLAYGROUND_FILE_REQUEST_SECONDS", PUBLIC_LIMITS.file_request_seconds
            ),
        )
        return cls(public=True, allowed_models=allowed, limits=limits)

    def models(self, role: str = "llm") -> list[str]:
        """The model names the page offers: the presets of that role, then the allow-listed ids.

        Locally the presets include the downloaded models; in public mode a downloaded model needs the allow-list.
        """
        if not self.public:
            return [name for name, p in all_presets().items() if p.role == role]
        presets = [name for name, p in PRESETS.items() if p.role == role]
        return presets + sorted(self.allowed_models - set(presets))

    def check_model(self, name: Any, role: str = "llm") -> None:
        """Refuse a model that public mode does not allow; the message repeats nothing the user typed."""
        if not self.public or name is None or (isinstance(name, str) and not name.strip()):
            return
        if not isinstance(name, str) or name.strip() not in self.models(role):
            raise ModelError(
                f"this public deployment runs only these models: {', '.join(self.models(role))}. "
                "Its operator can allow more with NLP_PLAYGROUND_ALLOWED_MODELS."
            )

    def check(self, inputs: Mapping[str, Any], arguments: Mapping[str, Any]) -> None:
        """Check a request's task inputs and model/generation arguments against the limits."""
        if not self.public:
            return
        self.check_model(arguments.get("model"))
        self.check_model(arguments.get("embedder"), role="embedder")
        limits = self.limits
        tokens = arguments.get("max_new_tokens")
        if limits.max_new_tokens and tokens is not None:
            try:
                too_many = float(tokens) > limits.max_new_tokens
            except (TypeError, ValueError, OverflowError):
                too_many = False  # not a number: GenerationParams names the problem
            if too_many:
                raise ParamError(f"max_new_tokens: at most {limits.max_new_tokens} on this public deployment")
        edited = arguments.get("template")
        if limits.max_input_chars and isinstance(edited, str) and len(edited) > limits.max_input_chars:
            raise InputError(f"the edited template is too long for this public deployment: at most "
                             f"{limits.max_input_chars} characters")  # fmt: skip
        for name, value in inputs.items():
            if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                value = [str(m.get("content")) for m in value]  # a conversation: its length is trimmed to fit
            elif limits.max_texts and isinstance(value, list) and len(value) > limits.max_texts:
                raise InputError(f"{name}: at most {limits.max_texts} texts on this public deployment")
            texts = value if isinstance(value, list) else [value]
            longest = max((len(t) for t in texts if isinstance(t, str)), default=0)
            if limits.max_input_chars and longest > limits.max_input_chars:
                raise InputError(
                    f"{name} is too long for this public deployment: {longest} characters, "
                    f"the limit is {limits.max_input_chars}"
                )

    def screen(self, rows: Sequence[Row | PlaygroundError]) -> list[Row | PlaygroundError]:
        """Batch rows with each row that breaks the limits (its inputs, or a model it names) turned into an error."""
        if not self.public:
            return list(rows)
        screened: list[Row | PlaygroundError] = []
        for row in rows:
            if isinstance(row, dict):
                try:
                    self.check({k: v for k, v in row.items() if k != "id"}, row)
                except PlaygroundError as exc:
                    row = RowError(str(exc), row.get("id"))
            screened.append(row)
        return screened

    def check_rows(self, count: int, what: str = "rows") -> None:
        """Refuse a batch or eval set larger than public mode allows."""
        limit = self.limits.max_eval_items if what == "items" else self.limits.max_batch_rows
        if self.public and limit and count > limit:
            raise InputError(f"the file has {count} {what}; this public deployment runs at most {limit}")
