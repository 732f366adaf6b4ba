"""The one code path that the UI, the CLI, HTTP routes, batch mode and the tests share."""

from __future__ import annotations

import logging
import random
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from playground.core.concurrency import ordered_map
from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.engines.catalogue import DEFAULT_EMBEDDER, REMOTE_PREFIX, ModelRef
from playground.engines.params import PARAM_NAMES, make_params
from playground.engines.pool import POOL, ModelPool
from playground.policy.limits import Policy
from playground.policy.safety import Note, Safety
from playground.runtime.checks import run_checks
from playground.runtime.context import TaskContext, make_context
from playground.runtime.registry import TaskSpec, all_tasks, get_task
from playground.text.textio import json_line

log = logging.getLogger(__name__)


@dataclass
class Result:
    """What one task call produced, with the models that ran and how long it took."""

    task: str
    output: dict[str, Any]
    model: str
    engine: str
    timings: dict[str, Any]
    models: list[dict[str, str]] = field(default_factory=list)
    done: bool = True  # False for the partial results of a stream
    scorer: str | None = None  # how labels were scored: log-likelihood, or a remote server's echo / next-token
    safety: dict[str, Any] | None = None  # the safety filters that ran and what they changed; None when off
    params: dict[str, Any] = field(default_factory=dict)  # every generation parameter, the seed actually used too
    prompts: list[dict[str, Any]] = field(default_factory=list)  # what each model call was given, in order
    tokens: list[dict[str, Any]] | None = None  # with logprobs > 0: each generated token, its logprob, alternatives
    # For run records only (not in to_dict): the cleaned inputs, the template texts used, the models that ran.
    inputs: dict[str, Any] = field(default_factory=dict, repr=False, metadata={"record": True})
    templates: dict[str, str] = field(default_factory=dict, repr=False, metadata={"record": True})
    refs: list[ModelRef] = field(default_factory=list, repr=False, metadata={"record": True})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata.get("record")}

    def to_json(self) -> str:
        return json_line(self.to_dict())


def primary_text(output: dict[str, Any]) -> str:
    """The main text of a text-producing task's output (its first string field)."""
    return next((v for v in output.values() if isinstance(v, str)), "")


def list_tasks() -> list[dict[str, Any]]:
    """Every task with its title, description, default model and input schema."""
    return [spec.schema() for spec in all_tasks()]


def _prepare(
    task: str,
    arguments: Mapping[str, Any],
    model: str | None,
    engine: str | None,
    embedder: str | None,
    pool: ModelPool,
    base_url: str | None = None,
    template: str | Mapping[str, str] | None = None,
) -> tuple[TaskSpec, dict[str, Any], TaskContext]:
    spec = get_task(task)
    edited = spec.edited_templates(template)
    params = {k: v for k, v in arguments.items() if k in PARAM_NAMES}
    inputs = spec.validate({k: v for k, v in arguments.items() if k not in PARAM_NAMES})
    # On a server, the task's default preset means nothing: the server's first model stands in for it.
    default_model = "" if engine == "openai" else spec.default_model
    generation = make_params({**spec.default_params, **params})
    if generation.seed is None:  # drawn here, not by the engine, so the result can say which seed it used
        generation = generation.merged(seed=random.SystemRandom().randrange(2**31))
    ctx = make_context(
        default_model if model is None else model,
        embedder or spec.embedder or DEFAULT_EMBEDDER,
        engine,
        generation,
        pool,
        base_url,
    )
    ctx.templates = edited
    return spec, inputs, ctx


def _result(
    spec: TaskSpec,
    ctx: TaskContext,
    output: dict[str, Any],
    done: bool,
    safety: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
) -> Result:
    used = ctx.meter.models or [ctx.llm_ref if spec.uses_llm else ctx.embedder_ref]
    primary = next((m for m in used if m.engine != "sentence-transformers"), used[0])
    return Result(
        task=spec.name,
        output=output,
        model=primary.name,
        engine=primary.engine,
        timings=ctx.meter.timings(),
        models=[{"name": m.name, "engine": m.engine} for m in used],
        done=done,
        scorer=ctx.meter.scorer,
        safety=safety,
        params=ctx.params.model_dump(mode="json"),
        prompts=list(ctx.meter.prompts),
        tokens=list(ctx.meter.token_log) if ctx.params.logprobs else None,
        inputs=inputs or {},
        templates=spec.template_texts(ctx.templates) if done else {},
        refs=list(used),
    )


def stream(
    task: str,
    *,
    model: str | None = None,
    engine: str | None = None,
    embedder: str | None = None,
    base_url: str | None = None,
    pool: ModelPool = POOL,
    safety: Safety | None = None,
    template: str | Mapping[str, str] | None = None,
    **arguments: Any,
) -> Generator[Result, None, None]:
    """Run a task and yield partial results while it streams; the last one has done=True.

    With engine="openai" the model is a name served by the OpenAI-compatible server at base_url (default
    OPENAI_BASE_URL), or that server's first model when none is given. `template` replaces the task's prompt
    template for this call: a Jinja text for its first template, or texts by template name.
    """
    spec, inputs, ctx = _prepare(task, arguments, model, engine, embedder, pool, base_url, template)
    guard = Safety.from_env(Policy.from_env().public) if safety is None else safety
    notes: list[Note] = []
    if guard.on:
        inputs, notes = guard.inputs(inputs)  # may refuse the request
    last: dict[str, Any] | None = None
    for output in spec.run(ctx, inputs):
        if last is not None:
            yield _result(spec, ctx, guard.output(last)[0] if guard.on else last, done=False)
        last = output
    if last is None:
        raise PlaygroundError(f"task {spec.name!r} produced no output")
    if not guard.on:
        yield _result(spec, ctx, checked(spec, ctx, inputs, last), done=True, inputs=inputs)
        return
    final, changes = guard.output(last)
    final = checked(spec, ctx, inputs, final)
    yield _result(spec, ctx, final, done=True, safety=guard.report(notes + changes), inputs=inputs)


def checked(spec: TaskSpec, ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """The final output of a task that writes text, with its checks (after the safety stage: on the text shown)."""
    if spec.checked is None:
        return output
    return {**output, "checks": run_checks(spec.checked, spec.checks, ctx, inputs, output)}


def check(
    task: str,
    output: Mapping[str, Any],
    *,
    model: str | None = None,
    engine: str | None = None,
    embedder: str | None = None,
    base_url: str | None = None,
    pool: ModelPool = POOL,
    **arguments: Any,
) -> list[dict[str, Any]]:
    """The checks of an output recorded earlier (a batch line, a run record) against the inputs it answered, as the
    check stage would add them; the model is not asked again. `output` needs the field the task's checks read."""
    spec, inputs, ctx = _prepare(task, arguments, model, engine, embedder, pool, base_url)
    if spec.checked is None:
        raise InputError(f"task {spec.name!r} writes no text, so it has no checks")
    if not isinstance(output.get(spec.checked), str):
        raise InputError(f"a {spec.name} output to check needs `{spec.checked}` (a string)")
    return run_checks(spec.checked, spec.checks, ctx, inputs, dict(output))


def run(
    task: str,
    *,
    model: str | None = None,
    engine: str | None = None,
    embedder: str | None = None,
    base_url: str | None = None,
    pool: ModelPool = POOL,
    safety: Safety | None = None,
    template: str | Mapping[str, str] | None = None,
    **arguments: Any,
) -> Result:
    """Run a task on its inputs and generation parameters (keyword arguments) and return the final result."""
    *_, final = stream(task, model=model, engine=engine, embedder=embedder, base_url=base_url, pool=pool,
                       safety=safety, template=template, **arguments)  # fmt: skip
    return final


def compare(task: str, variants: Sequence[Mapping[str, Any]], **base: Any) -> list[Result]:
    """Run a task with the base arguments, then with each variant's changes on top (model, engine, template,
    generation parameters, task options); one final result per configuration, in that order."""
    return [run(task, **{**base, **variant}) for variant in [{}, *variants]]


@dataclass
class BatchItem:
    """One line of a batch: its id and either a result or the error it raised."""

    id: Any
    result: Result | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"id": self.id, "error": self.error}
        line = {"id": self.id, "output": self.result.output, "model": self.result.model, "timings": self.result.timings}
        return line | ({"scorer": self.result.scorer} if self.result.scorer else {})


def remote_workers(model: str | None, engine: str | None, embedder: str | None) -> int:
    """How many calls may run at once: NLP_PLAYGROUND_REMOTE_CONCURRENCY against a server, else one."""
    if engine == "openai" or any(str(name or "").startswith(REMOTE_PREFIX) for name in (model, embedder)):
        from playground.engines.remote import remote_concurrency

        return remote_concurrency()
    return 1


def run_batch(
    task: str,
    items: Iterable[Mapping[str, Any] | PlaygroundError],
    *,
    model: str | None = None,
    engine: str | None = None,
    embedder: str | None = None,
    base_url: str | None = None,
    pool: ModelPool = POOL,
    concurrency: int | None = None,
    **common: Any,
) -> Iterator[BatchItem]:
    """Run a task over many inputs; a bad item becomes an error item and the batch goes on.

    Each item holds the task's inputs (and optionally `id` and generation parameters); `common` applies to all.
    An item may also be a PlaygroundError (a line that could not be read), which is passed through as an error.
    On a remote server up to `concurrency` items (default NLP_PLAYGROUND_REMOTE_CONCURRENCY, 4) are in flight at
    once; in-process engines run one at a time. Items come back in input order either way.
    """
    models: dict[str, Any] = {
        "model": model,
        "engine": engine,
        "embedder": embedder,
        "base_url": base_url,
        "pool": pool,
    }

    def one(number: int, item: Mapping[str, Any] | PlaygroundError) -> BatchItem:
        if isinstance(item, PlaygroundError):
            row_id = getattr(item, "row_id", None)
            return BatchItem(id=number if row_id is None else row_id, error=user_message(item))
        fields = dict(item)
        item_id = fields.pop("id", number)
        try:
            result = run(task, **models, **{**common, **fields})
        except PlaygroundError as exc:
            return BatchItem(id=item_id, error=user_message(exc))
        except Exception as exc:  # a bug must not cost the rows after it; it is logged with its traceback
            log.exception("task %s failed on row %r", task, item_id)
            return BatchItem(id=item_id, error=f"internal error ({type(exc).__name__}); the log has the details")
        return BatchItem(id=item_id, result=result)

    if concurrency is None:
        concurrency = remote_workers(model, engine, embedder)
    yield from ordered_map(lambda numbered: one(*numbered), enumerate(items, 1), concurrency)
