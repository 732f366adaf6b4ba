"""Task inputs: their kinds, limits and the checks that turn a user's value into a clean one or a clear error."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from playground.core.errors import InputError, did_you_mean
from playground.text.textio import clean_text

InputKind = Literal[
    "text", "texts", "messages", "choice", "options", "labels", "count", "collection", "integer", "number", "flag"
]
TEXT_KINDS = ("text", "texts", "messages")  # the kinds a task's main input (the CLI's --text) may have
COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


QUALITY_LEVELS = ("fast", "balanced", "best")


@dataclass(frozen=True)
class Input:
    """One task input: its type, limits and, for choices, the allowed values."""

    name: str
    kind: InputKind
    label: str
    default: Any = None
    required: bool = True
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)  # e.g. "french" -> "fr"
    max_chars: int = 20_000
    min_items: int = 2
    max_items: int = 200
    help: str = ""
    minimum: float = 0.0  # integer and number inputs: the allowed range
    maximum: float = 1.0
    advanced: bool = False  # shown in the app's Advanced settings, not beside the text

    def validate(self, value: Any) -> Any:
        """Return the cleaned value or raise InputError naming this input."""
        if self.kind == "text":
            return _text(self.name, value, self.max_chars)
        if self.kind == "choice":
            return self._choice(value)
        if self.kind == "messages":
            return _messages(self.name, value, self.max_chars, self.max_items)
        if self.kind == "flag":
            return _flag(self.name, value)
        if self.kind == "count":
            return _count(self.name, value, self.max_items)
        if self.kind in ("integer", "number"):
            return self._number(value)
        if self.kind == "collection":
            name = _text(self.name, value, 64) if isinstance(value, str) else value
            if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
                raise InputError(f"{self.name}: a collection name is 1-64 letters, digits, '.', '_' or '-'")
            return name
        if self.kind == "options":
            return self._options(value)
        items = _items(self.name, value, self.max_chars)
        if self.kind == "labels":
            items = list(dict.fromkeys(items))  # a label given twice counts once
        noun = "labels" if self.kind == "labels" else "texts"
        if len(items) < self.min_items:
            raise InputError(f"{self.name}: give at least {self.min_items} {noun}, got {len(items)}")
        if len(items) > self.max_items:
            raise InputError(f"{self.name}: at most {self.max_items} {noun} are allowed, got {len(items)}")
        return items

    def _choice(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InputError(f"{self.name} must be one of: {', '.join(self.choices)}; not {type(value).__name__}")
        key = clean_text(value).strip()
        if not key:
            raise InputError(f"{self.name} is empty; choose one of: {', '.join(self.choices)}")
        folded = key.lower()
        for choice in self.choices:
            if choice.lower() == folded:
                return choice
        if folded in self.aliases:
            return self.aliases[folded]
        if len(key) > 40:  # a long value is not a typo of a choice: name it by its start, and suggest nothing
            raise InputError(f"unknown {self.name} {key[:40] + '…'!r}; choose one of: {', '.join(self.choices)}.")
        raise InputError(
            f"unknown {self.name} {key!r}; choose one of: {', '.join(self.choices)}."
            f"{did_you_mean(folded, [*self.choices, *self.aliases])}"
        )

    def _number(self, value: Any) -> int | float:
        whole = self.kind == "integer"
        noun = "a whole number" if whole else "a number"
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise InputError(f"{self.name} must be {noun}, not {value[:40]!r}") from None
        infinite = isinstance(value, float) and not math.isfinite(value)  # a huge int is not a float: no overflow
        if isinstance(value, bool) or not isinstance(value, int | float) or infinite:
            raise InputError(f"{self.name} must be {noun}")
        if whole and value != int(value):
            raise InputError(f"{self.name} must be a whole number, not {value}")
        if not self.minimum <= value <= self.maximum:
            low, high = (int(self.minimum), int(self.maximum)) if whole else (self.minimum, self.maximum)
            raise InputError(f"{self.name} must be between {low} and {high}, got {value}")
        return int(value) if whole else float(value)

    def _options(self, value: Any) -> list[str]:
        """A subset of the choices, in the order of the choices; at least one."""
        items = _items(self.name, value, max_chars=100) if value else []
        picked = [self._choice(item) for item in items]
        if not picked:
            raise InputError(f"{self.name}: choose at least one of: {', '.join(self.choices)}")
        return [c for c in self.choices if c in picked]


def _text(name: str, value: Any, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, not {type(value).__name__}")
    value = clean_text(value)
    if not value.strip():
        raise InputError(f"{name} is empty")
    if len(value) > max_chars:
        raise InputError(f"{name} is too long: {len(value)} characters, the limit is {max_chars}")
    return value.strip()


ROLES = ("system", "user", "assistant")


def _content(name: str, number: int, content: Any) -> str:
    """A message's text; OpenAI-style content parts ([{"type": "text", "text": ...}]) are joined."""
    if isinstance(content, list):
        parts = [p.get("text") if isinstance(p, Mapping) and p.get("type") == "text" else p for p in content]
        texts = [p for p in parts if isinstance(p, str)]
        if len(texts) < len(parts):
            raise InputError(f"{name}: message {number} has content parts other than text")
        content = "\n".join(texts)
    if not isinstance(content, str):
        raise InputError(f"{name}: the content of message {number} must be a string, not {type(content).__name__}")
    content = clean_text(content).strip()
    if not content:
        raise InputError(f"{name}: message {number} is empty")
    return content


def _messages(name: str, value: Any, max_chars: int, max_items: int) -> list[dict[str, str]]:
    """A conversation: {role, content} messages, an optional system message first, the user's message last.

    A plain string is one user message; a string holding a JSON list is read as the list.
    """
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                raise InputError(f"{name} looks like a JSON list but does not parse") from None
        else:
            return [{"role": "user", "content": _text(name, value, max_chars)}]
    if not isinstance(value, Sequence) or isinstance(value, bytes):
        raise InputError(f"{name} must be a list of {{role, content}} messages, not {type(value).__name__}")
    if not value:
        raise InputError(f"{name} is empty; give at least one user message")
    if len(value) > max_items:
        raise InputError(f"{name}: at most {max_items} messages are allowed, got {len(value)}")
    messages = []
    for number, message in enumerate(value, 1):
        if not isinstance(message, Mapping):
            raise InputError(f"{name}: message {number} must be an object with role and content")
        unknown = sorted(set(message) - {"role", "content"})
        if unknown:
            raise InputError(f"{name}: message {number} has an unknown field {unknown[0]!r}; a message has role and "
                             f"content.{did_you_mean(str(unknown[0]), ['role', 'content'])}")  # fmt: skip
        role = message.get("role")
        if role not in ROLES:
            raise InputError(f"{name}: the role of message {number} must be system, user or assistant, not {role!r}")
        if role == "system" and number > 1:
            raise InputError(f"{name}: message {number} is a system message; only the first message may be one")
        messages.append({"role": role, "content": _content(name, number, message.get("content"))})
    if messages[-1]["role"] != "user":
        raise InputError(f"{name}: the last message must be the user's (role 'user'), not {messages[-1]['role']!r}")
    total = sum(len(m["content"]) for m in messages)
    if total > max_chars:
        raise InputError(f"{name} is too long: {total} characters, the limit is {max_chars}")
    return messages


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.strip().lower() in ("true", "yes", "on", "1")
    raise InputError(f"{name} must be true or false, not {str(value)[:40]!r}")


def _items(name: str, value: Any, max_chars: int) -> list[str]:
    # A single string is one item per line (or per comma when it holds no newline), as typed in a form.
    if isinstance(value, str):
        parts = value.splitlines() if "\n" in value else value.split(",")
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise InputError(f"{name} must be a list of strings, not {type(value).__name__}")
    items = []
    for part in parts:
        if not isinstance(part, str):
            raise InputError(f"{name} must hold strings, not {type(part).__name__}")
        if clean_text(part).strip():  # a blank item (or one of control characters only) is skipped
            items.append(_text(name, part, max_chars))
    return items


def _count(name: str, value: Any, maximum: int) -> int | str:
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        try:
            value = int(value)
        except ValueError:
            raise InputError(f"{name} must be a whole number or 'auto', not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be a whole number or 'auto'")
    if not 1 <= value <= maximum:
        raise InputError(f"{name} must be between 1 and {maximum}, got {value}")
    return value


def quality_input(meanings: Mapping[str, str], default: str = "best") -> Input:
    """The `quality` choice of a task with quality levels: what each level does, written beside it."""
    help_text = "; ".join(f"{level}: {meanings[level]}" for level in QUALITY_LEVELS)
    return Input("quality", "choice", "Quality", default=default, required=False, choices=QUALITY_LEVELS,
                 help=help_text, advanced=True)  # fmt: skip
