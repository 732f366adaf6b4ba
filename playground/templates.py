"""Prompt templates: Jinja files in prompts/, rendered with StrictUndefined, few-shot examples beside them."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from .errors import TemplateError
from .resources import data_dir


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("prompts"))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # prompts are plain text, never HTML
    )


def template_path(name: str) -> Path:
    """Return the file of a template, raising TemplateError when it does not exist."""
    path = data_dir("prompts") / name
    if not path.is_file():
        raise TemplateError(f"prompt template {name!r} not found in {path.parent}")
    return path


def variables(name: str) -> set[str]:
    """Return the names a template reads from its context."""
    env = _environment()
    source = template_path(name).read_text(encoding="utf-8")
    return set(jinja2.meta.find_undeclared_variables(env.parse(source)))


@functools.cache
def shots(name: str) -> tuple[dict[str, Any], ...]:
    """Return the few-shot examples stored beside a template (`x.j2` -> `x.shots.jsonl`), if any."""
    path = data_dir("prompts") / f"{Path(name).stem}.shots.jsonl"
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
    return (data_dir("prompts") / f"{Path(name).stem}.shots.jsonl").is_file()


def render(name: str, **context: Any) -> str:
    """Render a template with its few-shot examples; a missing variable is an error, not an empty string."""
    template_path(name)
    try:
        return _environment().get_template(name).render(shots=shots(name), **context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name!r}: {exc.message}") from None
