"""The safety stage: filters every task's inputs pass before it runs and its outputs pass after.

A filter is a small class with one method, `apply(text) -> (text, notes)`: it returns the text (changed or not)
and a note per change; an input filter may raise SafetyError to refuse the request. FILTERS lists them all; a
deployment picks them by name (NLP_PLAYGROUND_SAFETY). Off by default locally, on in public mode.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from playground.core.errors import InputError


class SafetyError(InputError):
    """A request an input filter refuses."""


@dataclass(frozen=True)
class Note:
    """What one filter did to one text."""

    filter: str
    action: str  # "redacted", "flagged" or "replaced"
    count: int = 1
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"filter": self.filter, "action": self.action, "count": self.count, "detail": self.detail}


class Filter:
    """A filter: `stage` says whether it sees inputs or outputs; `apply` returns the text and its notes."""

    name: ClassVar[str]
    stage: ClassVar[str]  # "input" or "output"

    def apply(self, text: str) -> tuple[str, list[Note]]:
        raise NotImplementedError


def _blocklist_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    words = [re.escape(t.strip()) for t in terms if t.strip()]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE) if words else None


@dataclass
class InputBlocklist(Filter):
    """Refuse an input holding a blocked term (NLP_PLAYGROUND_BLOCKLIST); the message does not repeat it."""

    terms: Sequence[str] = ()
    name: ClassVar[str] = "input-blocklist"
    stage: ClassVar[str] = "input"

    def __post_init__(self) -> None:
        self.pattern = _blocklist_pattern(self.terms)

    def apply(self, text: str) -> tuple[str, list[Note]]:
        if self.pattern is not None and self.pattern.search(text):
            raise SafetyError("the input contains a term this deployment does not accept")
        return text, []


@dataclass
class NonText(Filter):
    """Refuse an input that is mostly not text (symbols, control or private-use characters, binary noise)."""

    max_share: float = 0.3
    name: ClassVar[str] = "non-text"
    stage: ClassVar[str] = "input"

    def apply(self, text: str) -> tuple[str, list[Note]]:
        visible = [c for c in text if not c.isspace()]
        if len(visible) >= 20:
            odd = sum(1 for c in visible if unicodedata.category(c)[0] not in "LNP")
            if odd / len(visible) > self.max_share:
                raise SafetyError(f"the input is more than {self.max_share:.0%} symbols or other non-text characters")
        return text, []


INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|prompts?)|disregard (?:the|your) "
    r"(?:instructions|system prompt)|reveal (?:your|the) (?:system )?prompt|you are now (?:in )?\w+ mode|"
    r"<\|(?:im_start|im_end|system|endoftext)\|>|\[/?INST\]",
    re.IGNORECASE,
)


@dataclass
class InjectionMarkers(Filter):
    """Flag (not refuse) phrases that try to override a prompt; the result says so, the task still runs."""

    name: ClassVar[str] = "injection-markers"
    stage: ClassVar[str] = "input"

    def apply(self, text: str) -> tuple[str, list[Note]]:
        found = INJECTION.findall(text)
        return text, [Note(self.name, "flagged", len(found), "prompt-injection markers")] if found else []


def luhn(digits: str) -> bool:
    """The Luhn checksum of payment card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN."""
    compact = candidate.replace(" ", "").upper()
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@dataclass
class Redact(Filter):
    """Replace what `pattern` matches (and `valid` accepts) with a placeholder such as [email]."""

    name: ClassVar[str] = "redact"
    stage: ClassVar[str] = "output"
    pattern: ClassVar[re.Pattern[str]]
    placeholder: ClassVar[str]

    def accept(self, found: str) -> bool:
        """Whether a match is the real thing (a checksum, for card numbers and IBANs)."""
        return True

    def apply(self, text: str) -> tuple[str, list[Note]]:
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if not self.accept(match.group()):
                return match.group()
            count += 1
            return self.placeholder

        changed = self.pattern.sub(replace, text)
        return changed, [Note(self.name, "redacted", count, self.placeholder)] if count else []


class Emails(Redact):
    name = "email"
    pattern = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
    placeholder = "[email]"


class Cards(Redact):
    name = "card-number"
    pattern = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
    placeholder = "[card]"

    def accept(self, found: str) -> bool:
        return luhn(re.sub(r"\D", "", found))


class Ibans(Redact):
    name = "iban"
    pattern = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
    placeholder = "[iban]"

    def accept(self, found: str) -> bool:
        return iban_valid(found)


class Phones(Redact):
    name = "phone"
    # International (+ and 7-15 digits), national with a trunk 0 or an area code in brackets (020 7946 0958,
    # (555) 123-4567), or the North American 555-123-4567. Plain digit runs and groups (years, amounts, order
    # numbers, 4111 1111 1111) are left alone. French-style pairs (06 12 34 56 78) too.
    pattern = re.compile(
        r"(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .-]?\d){6,12}"
        r"|(?:\(\d{2,4}\)|0\d{1,4})[ .-]?\d{3,4}[ .-]?\d{3,4}|0\d(?:[ .-]\d{2}){4}|\d{3}-\d{3}-\d{4})(?![ .-]?\d)(?!\w)"
    )
    placeholder = "[phone]"


@dataclass
class OutputBlocklist(Filter):
    """Replace blocked terms in outputs with [blocked]."""

    terms: Sequence[str] = ()
    name: ClassVar[str] = "output-blocklist"
    stage: ClassVar[str] = "output"

    def __post_init__(self) -> None:
        self.pattern = _blocklist_pattern(self.terms)

    def apply(self, text: str) -> tuple[str, list[Note]]:
        if self.pattern is None:
            return text, []
        changed, count = self.pattern.subn("[blocked]", text)
        return changed, [Note(self.name, "replaced", count, "[blocked]")] if count else []


def _terms(env: Mapping[str, str]) -> list[str]:
    raw = env.get("NLP_PLAYGROUND_BLOCKLIST", "")
    if raw and os.path.isfile(raw):
        with open(raw, encoding="utf-8") as handle:
            return [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    return [t for t in re.split(r"[,\n]", raw) if t.strip()]


# Every filter, by name, built from the environment: adding a filter is a class above and a line here.
FILTERS: dict[str, Callable[[Mapping[str, str]], Filter]] = {
    "input-blocklist": lambda env: InputBlocklist(_terms(env)),
    "non-text": lambda env: NonText(),
    "injection-markers": lambda env: InjectionMarkers(),
    "email": lambda env: Emails(),
    "card-number": lambda env: Cards(),
    "iban": lambda env: Ibans(),
    "phone": lambda env: Phones(),
    "output-blocklist": lambda env: OutputBlocklist(_terms(env)),
}


@dataclass
class Safety:
    """The filters of a deployment, and how to run a task's inputs and outputs through them."""

    filters: list[Filter] = field(default_factory=list)

    @classmethod
    def from_env(cls, public: bool, env: Mapping[str, str] | None = None) -> Safety:
        """NLP_PLAYGROUND_SAFETY: "on" (every filter), "off", or filter names; default on in public mode only."""
        env = os.environ if env is None else env
        setting = env.get("NLP_PLAYGROUND_SAFETY", "").strip().lower()
        if setting in ("", "default"):
            setting = "on" if public else "off"
        if setting in ("off", "0", "false", "no"):
            return cls()
        names = list(FILTERS) if setting in ("on", "1", "true", "yes") else [n.strip() for n in setting.split(",")]
        unknown = [n for n in names if n not in FILTERS]
        if unknown:
            raise InputError(f"unknown safety filter {unknown[0]!r}; the filters are {', '.join(FILTERS)}")
        return cls([FILTERS[n](env) for n in names])

    @property
    def on(self) -> bool:
        return bool(self.filters)

    def _run(self, stage: str, value: Any, notes: list[Note]) -> Any:
        if isinstance(value, str):
            for f in self.filters:
                if f.stage == stage:
                    value, found = f.apply(value)
                    notes += found
            return value
        if isinstance(value, list):
            return [self._run(stage, v, notes) for v in value]
        if isinstance(value, dict):
            return {k: self._run(stage, v, notes) for k, v in value.items()}
        return value

    def inputs(self, inputs: dict[str, Any]) -> tuple[dict[str, Any], list[Note]]:
        """The task's inputs after the input filters (which may refuse them), and their notes."""
        notes: list[Note] = []
        return self._run("input", inputs, notes), notes

    def output(self, output: dict[str, Any]) -> tuple[dict[str, Any], list[Note]]:
        """A task's output with every string in it through the output filters, and their notes."""
        notes: list[Note] = []
        return self._run("output", output, notes), notes

    def report(self, notes: Sequence[Note]) -> dict[str, Any]:
        """The `safety` field of a result: the filters that ran and what they did."""
        merged: dict[tuple[str, str], Note] = {}
        for n in notes:
            key = (n.filter, n.action)
            old = merged.get(key)
            merged[key] = Note(n.filter, n.action, n.count + (old.count if old else 0), n.detail)
        return {"filters": [f.name for f in self.filters], "changes": [n.to_dict() for n in merged.values()]}
