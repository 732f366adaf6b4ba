"""Prompt templates: Jinja files in prompts/, rendered with StrictUndefined, few-shot examples beside them."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.sandbox

from playground.core.errors import TemplateError
from playground.core.resources import data_dir
from playground.engines.base import PrefixedPrompt
from playground.runtime.sandbox import BoundedSandbox, LimitError, render_bounded

# `{{ prefix_end }}` in a template marks the end of the part every call of the task shares (instructions, shots): an
# engine evaluates that part once and keeps its state. The marker is a control character, which inputs cannot hold.
PREFIX_END = "\x1e"
PREFIX_VARIABLE = "prefix_end"  # the template variable that renders as PREFIX_END, offered to every template
_folders: list[Path] = []  # folders of tasks loaded from outside the package, searched before prompts/


def add_folder(folder: Path) -> None:
    """Look for templates (and their shots) in `folder` too, before the package's prompts/ folder."""
    if folder not in _folders:
        _folders.insert(0, folder)
        _environment.cache_clear()
        shots.cache_clear()


def _find(name: str) -> Path:
    """The template or shots file `name` in the first folder that has it (prompts/ when none does)."""
    for folder in _folders:
        if (folder / name).is_file():
            return folder / name
    return data_dir("prompts") / name


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([*map(str, _folders), str(data_dir("prompts"))]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # prompts are plain text, never HTML
    )


def template_path(name: str) -> Path:
    """Return the file of a template, raising TemplateError when it does not exist."""
    path = _find(name)
    if not path.is_file():
        raise TemplateError(f"prompt template {name!r} not found in {path.parent}")
    return path


def variables(name: str) -> set[str]:
    """Return the names a template reads from its context."""
    env = _environment()
    source = template_path(name).read_text(encoding="utf-8")
    return set(jinja2.meta.find_undeclared_variables(env.parse(source))) - {PREFIX_VARIABLE}


@functools.cache
def shots(name: str) -> tuple[dict[str, Any], ...]:
    """Return the few-shot examples stored beside a template (`x.j2` -> `x.shots.jsonl`), if any."""
    path = _find(f"{Path(name).stem}.shots.jsonl")
    if not path.is_file():
        return ()
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise TemplateError(f"{path.name} line {number} is not valid JSON: {exc.msg}") from None
    return tuple(rows)


def has_shots(name: str) -> bool:
    """True when a template has a few-shot file beside it."""
    return _find(f"{Path(name).stem}.shots.jsonl").is_file()


def source(name: str) -> str:
    """The text of a template file."""
    return template_path(name).read_text(encoding="utf-8")


def editable_source(name: str) -> str:
    """A template's text with its few-shot examples written into it (a `set` line), so one text edits both."""
    text = source(name)
    if not has_shots(name):
        return text
    examples = json.dumps(list(shots(name)), ensure_ascii=False, indent=1)
    return f"{{%- set shots = {examples} -%}}\n{text}"


def check_source(name: str, text: str, allowed: set[str]) -> None:
    """Refuse an edited template that does not parse or reads a variable the task does not give, naming the line."""
    try:
        parsed = _sandbox().parse(text)
        _compiled(text)  # compiling also finds unknown filters and tests
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"the edited {name} has a syntax error on line {exc.lineno}: {exc.message}") from None
    unknown = sorted(jinja2.meta.find_undeclared_variables(parsed) - allowed - {PREFIX_VARIABLE})
    if unknown:
        line = next((n for n, row in enumerate(text.splitlines(), 1) if re.search(rf"\b{unknown[0]}\b", row)), 1)
        raise TemplateError(
            f"the edited {name} uses the unknown variable {unknown[0]!r} on line {line}; "
            f"it can use: {', '.join(sorted(allowed))}"
        )


@functools.cache
def _sandbox() -> BoundedSandbox:
    # A user's template may come from a public page: the sandbox keeps it from reaching Python's internals, and
    # bounds what it may build and how long it may take.
    return BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False)


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> jinja2.Template:
    return _sandbox().from_string(text)


def render(name: str, edited: str | None = None, /, **context: Any) -> str:
    """Render a template (or an edited text in its place) with its few-shot examples; a missing variable is an
    error, not an empty string."""
    if edited is None:
        template_path(name)
    try:
        context = {"shots": shots(name), PREFIX_VARIABLE: PREFIX_END, **context}
        if edited is None:
            return _prefixed(_environment().get_template(name).render(**context))
        return _prefixed(render_bounded(_compiled(edited), context))
    except LimitError as exc:
        raise TemplateError(f"the edited {name} was stopped: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name!r}: {exc.message}") from None
    except jinja2.sandbox.SecurityError:
        raise TemplateError(f"the edited {name} reaches for something a prompt template may not use") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RuntimeError) as exc:
        if edited is None:
            raise  # a bug in a shipped template
        raise TemplateError(f"the edited {name} failed while rendering: {exc}") from None


def _prefixed(text: str) -> str:
    """The rendered text without its prefix marker, carrying the part before the marker as its shared prefix."""
    end = text.find(PREFIX_END)
    if end < 0:
        return text
    text = text.replace(PREFIX_END, "")
    return PrefixedPrompt(text, text[:end])
