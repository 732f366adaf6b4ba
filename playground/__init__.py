"""nlp-playground: many NLP tasks, one task registry, one shared LLM backend, small embedded models."""

from playground.core.errors import InputError, ModelError, ParamError, PlaygroundError, TemplateError, UnknownTaskError
from playground.runtime.registry import tasks_package
from playground.service.api import BatchItem, Result, list_tasks, run, run_batch, stream

tasks_package()  # makes `playground.tasks` importable in a source checkout too (cheap: the modules load later)

__version__ = "0.1.0"

__all__ = [
    "BatchItem",
    "InputError",
    "ModelError",
    "ParamError",
    "PlaygroundError",
    "Result",
    "TemplateError",
    "UnknownTaskError",
    "list_tasks",
    "run",
    "run_batch",
    "stream",
]
