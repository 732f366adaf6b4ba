"""The task registry: each task is a small declared spec, validated when it is registered."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from playground.core.errors import InputError, TemplateError, UnknownTaskError, did_you_mean
from playground.core.resources import data_dir
from playground.engines.catalogue import DEFAULT_EMBEDDER, DEFAULT_LLM
from playground.engines.params import PARAM_NAMES
from playground.runtime import templates
from playground.runtime.checks import Checker
from playground.runtime.evalspec import EvalSpec
from playground.runtime.inputs import COLLECTION_NAME, QUALITY_LEVELS, TEXT_KINDS, Input, InputKind

if TYPE_CHECKING:
    from playground.runtime.context import TaskContext

Inputs = dict[str, Any]
Output = dict[str, Any]
Display = Literal["text", "label", "edits", "clusters", "hits", "answer", "pairs", "keywords", "ideas"]
# The app's navigation: each task sits in one group, shown in this order.
GROUPS = ("Write", "Analyse", "Documents", "Chat")

Runner = Callable[["TaskContext", Inputs], Iterator[Output]]


@dataclass(frozen=True)
class TaskSpec:
    """A task: its inputs, the templates it renders, its default model and the function that runs it.

    `run` yields outputs: partial ones while text streams in, the complete one last.
    """

    name: str
    title: str
    description: str
    inputs: tuple[Input, ...]
    run: Runner
    templates: tuple[str, ...] = ()
    template_extras: frozenset[str] = frozenset()  # variables a runner adds beside the inputs
    display: Display = "text"
    default_model: str = DEFAULT_LLM
    embedder: str | None = None  # set for tasks that embed texts
    helpers: tuple[str, ...] = ()  # the other models and components it runs (a second LLM, BM25), as the app names them
    uses_llm: bool = True
    default_params: Mapping[str, Any] = field(default_factory=dict)
    streams: bool = False
    order: int = 100  # position of the task in listings and UI tabs
    group: str = "Write"  # one of GROUPS: where the app lists the task
    examples: str | None = None  # a JSONL file in assets/examples
    evaluation: EvalSpec | None = None  # how `eval`, `report` and `bench techniques` run it (None: no eval set)
    checked: str | None = None  # the output field holding the text it writes, which the check stage reads
    checks: tuple[Checker, ...] = ()  # the checks of that text beside the ones every written text gets
    # The settings of each `quality` level (fast, balanced, best; its input is runtime.inputs.quality_input). A
    # setting given explicitly wins over its level's.
    qualities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def example_rows(self) -> list[dict[str, Any]]:
        """The example inputs of the task's tab (assets/examples/FILE, one JSON object a line); none without a file."""
        if not self.examples:
            return []
        text = (data_dir("assets") / "examples" / self.examples).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    @property
    def main_input(self) -> Input:
        """The input the CLI's --text fills: the first text-like one."""
        return next(i for i in self.inputs if i.kind in TEXT_KINDS)

    def validate(self, raw: Mapping[str, Any]) -> Inputs:
        """Check names and values of the inputs, fill defaults, and return the cleaned inputs."""
        names = {i.name for i in self.inputs}
        for key in raw:
            if key not in names:
                raise InputError(
                    f"task {self.name!r} has no input {key!r}; its inputs are {', '.join(sorted(names))}."
                    f"{did_you_mean(key, names)}"
                )
        cleaned: Inputs = {}
        for spec in self.inputs:
            value = raw.get(spec.name)
            if value is None or (isinstance(value, str) and not value.strip() and not spec.required):
                if spec.required:
                    raise InputError(f"task {self.name!r} needs the input {spec.name!r} ({spec.label})")
                cleaned[spec.name] = spec.default
                continue
            cleaned[spec.name] = spec.validate(value)
        for name, value in self.qualities.get(cleaned.get("quality", ""), {}).items():
            if raw.get(name) is None:  # not set explicitly: the level's setting
                cleaned[name] = value
        return cleaned

    def template_variables(self, name: str) -> set[str]:
        """The variables a template of this task may read: the inputs, the runner's extras, its few-shot examples."""
        shots = {"shots"} if templates.has_shots(name) else set()
        return {i.name for i in self.inputs} | set(self.template_extras) | shots

    def edited_templates(self, edits: str | Mapping[str, str] | None) -> dict[str, str]:
        """Edited template texts by name, checked; a plain text stands for the task's first template."""
        if not edits:
            return {}
        if not self.templates:
            raise InputError(f"task {self.name!r} uses no prompt template")
        named = {self.templates[0]: edits} if isinstance(edits, str) else dict(edits)
        for name, text in named.items():
            if name not in self.templates:
                raise InputError(f"task {self.name!r} has no template {name!r}; its templates: "
                                 f"{', '.join(self.templates)}")  # fmt: skip
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"the edited {name} is empty")
            templates.check_source(name, text, self.template_variables(name))
        return named

    def template_texts(self, edited: Mapping[str, str]) -> dict[str, str]:
        """The text of each of the task's templates a call renders: the edited one where there is one."""
        return {name: edited.get(name) or templates.source(name) for name in self.templates}

    def schema(self) -> dict[str, Any]:
        """A JSON-serializable description of the task, for `tasks --json` and the UI."""
        return {
            "name": self.name,
            "title": self.title,
            "group": self.group,
            "description": self.description,
            "default_model": self.default_model if self.uses_llm else None,
            "embedder": self.embedder,
            "streams": self.streams,
            "checked": self.checked,
            "inputs": [
                {
                    "name": i.name,
                    "kind": i.kind,
                    "label": i.label,
                    "required": i.required,
                    "default": i.default,
                    **({"choices": list(i.choices)} if i.choices else {}),
                    **({"help": i.help} if i.help else {}),
                    **({"minimum": i.minimum, "maximum": i.maximum} if i.kind in ("integer", "number") else {}),
                }
                for i in self.inputs
            ],
        }


_REGISTRY: dict[str, TaskSpec] = {}
_LOADED = threading.Lock()
_loaded = False


def register(spec: TaskSpec) -> TaskSpec:
    """Add a task after checking that it is consistent; raise TemplateError or ValueError if not."""
    if spec.name in _REGISTRY:
        raise ValueError(f"task {spec.name!r} is registered twice")
    if not spec.inputs or not any(i.kind in TEXT_KINDS for i in spec.inputs):
        raise ValueError(f"task {spec.name!r} needs at least one text input")
    input_names = {i.name for i in spec.inputs}
    clash = sorted(input_names & PARAM_NAMES)  # such an input would be taken for the generation parameter
    if clash:
        raise ValueError(f"input {clash[0]!r} of task {spec.name!r} has the name of a generation parameter")
    for name in spec.templates:
        unknown = templates.variables(name) - spec.template_variables(name)
        if unknown:
            raise TemplateError(f"template {name!r} uses {sorted(unknown)}, not inputs of task {spec.name!r}")
    if spec.templates and not input_names & set().union(*(templates.variables(t) for t in spec.templates)):
        raise TemplateError(f"the templates of task {spec.name!r} use none of its inputs")
    if spec.group not in GROUPS:
        raise ValueError(f"task {spec.name!r} is in group {spec.group!r}; the groups are {', '.join(GROUPS)}")
    if spec.qualities:
        if "quality" not in input_names or set(spec.qualities) != set(QUALITY_LEVELS):
            raise ValueError(f"task {spec.name!r} has quality levels: it needs the quality input and every level")
        unknown_settings = set().union(*spec.qualities.values()) - input_names
        if unknown_settings:
            raise ValueError(f"a quality level of task {spec.name!r} sets {sorted(unknown_settings)}, not its inputs")
    for i in spec.inputs:
        if i.kind in ("choice", "options") and not i.choices:
            raise ValueError(f"input {i.name!r} of task {spec.name!r} is a choice with no choices")
    for technique in spec.evaluation.techniques if spec.evaluation else ():
        if not (data_dir("assets") / "eval" / f"{technique.eval_set}.jsonl").is_file():
            raise ValueError(f"task {spec.name!r} times a technique on assets/eval/{technique.eval_set}.jsonl: missing")
    _REGISTRY[spec.name] = spec
    return spec


def tasks_package() -> ModuleType:
    """The built-in task modules as `playground.tasks`: installed there, or the repository's tasks/ folder.

    They are never importable as a top-level `tasks`, so a user's own tasks.py (Invoke, Fabric) shadows nothing.
    """
    try:
        return importlib.import_module("playground.tasks")
    except ModuleNotFoundError as exc:
        if exc.name != "playground.tasks":
            raise
    folder = data_dir("tasks")  # a source checkout run without installing (how Spaces runs app.py)
    spec = importlib.util.spec_from_file_location(
        "playground.tasks", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - the folder ships with the package
        raise TemplateError(f"cannot load the task modules from {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["playground.tasks"] = module
    spec.loader.exec_module(module)
    return module


TASKS_ENV = "NLP_PLAYGROUND_TASKS"  # folders of a user's own tasks, separated like PATH


def load_folder(folder: Path) -> list[TaskSpec]:
    """Register the tasks of a folder outside the package: each module there that defines SPEC is a task.

    The folder holds their templates (and few-shot files) too, found before the package's prompts/ folder.
    """
    if not folder.is_dir():
        raise ValueError(f"{TASKS_ENV}: {folder} is not a folder")
    templates.add_folder(folder)
    loaded = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"playground.extra_tasks.{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:  # pragma: no cover - a .py file always has a loader
            raise ValueError(f"cannot load the task module {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, TaskSpec):
            loaded.append(register(spec))
    return loaded


def _load_builtin() -> None:
    """Import every module of `playground.tasks` and of the folders in NLP_PLAYGROUND_TASKS, and register
    their SPECs, once."""
    global _loaded
    with _LOADED:
        if _loaded:
            return
        package = tasks_package()
        for module in pkgutil.iter_modules(package.__path__):
            spec = getattr(importlib.import_module(f"playground.tasks.{module.name}"), "SPEC", None)
            if isinstance(spec, TaskSpec) and spec.name not in _REGISTRY:
                register(spec)
        for folder in filter(None, os.environ.get(TASKS_ENV, "").split(os.pathsep)):
            load_folder(Path(folder).expanduser())
        _loaded = True


def get_task(name: str) -> TaskSpec:
    """Return the task called name, or raise UnknownTaskError with a suggestion."""
    _load_builtin()
    key = name.strip().lower().replace("-", "_")
    if key not in _REGISTRY:
        raise UnknownTaskError(
            f"unknown task {name!r}; the tasks are {', '.join(sorted(_REGISTRY))}.{did_you_mean(key, _REGISTRY)}"
        )
    return _REGISTRY[key]


def all_tasks() -> list[TaskSpec]:
    """Return every registered task in a stable order."""
    _load_builtin()
    return sorted(_REGISTRY.values(), key=lambda spec: (spec.order, spec.name))


__all__ = [
    "COLLECTION_NAME",
    "DEFAULT_EMBEDDER",
    "GROUPS",
    "Input",
    "InputKind",
    "TaskSpec",
    "all_tasks",
    "get_task",
    "register",
]
