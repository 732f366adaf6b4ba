"""The batch section of a task tab: upload a CSV or JSONL file, get one JSONL result line per row."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import gradio as gr

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.frontends.ui.helpers import ADVANCED, LLM_QUEUE, advanced_arguments, llm_concurrency, with_parameters
from playground.frontends.ui.scratch import scratch_path
from playground.policy.limits import Policy
from playground.runtime.registry import TaskSpec
from playground.service import api, batch
from playground.text.textio import Row, read_rows


def read_batch(path: str, spec: TaskSpec) -> tuple[list[Row | PlaygroundError], list[str]]:
    """Rows of an uploaded CSV or JSONL file, and the columns that are not inputs of the task (ignored)."""
    names = {i.name for i in spec.inputs} | {"id"}
    ignored: set[str] = set()
    kept: list[Row | PlaygroundError] = []
    for row in read_rows(path):
        if isinstance(row, dict):
            ignored |= set(row) - names
            row = {k: v for k, v in row.items() if k in names}
        kept.append(row)
    return kept, sorted(ignored)


def batch_section(spec: TaskSpec, advanced: list[gr.components.Component], policy: Policy) -> None:
    """The Batch accordion under a task tab."""
    with gr.Accordion("Batch: run this task over a CSV or JSONL file", open=False):
        columns = ", ".join(i.name for i in spec.inputs)
        gr.Markdown(f"Columns (CSV header) or keys (JSONL): `{columns}` and an optional `id`.")
        with gr.Row():
            upload = gr.File(label="Input file", file_types=[".csv", ".jsonl"], type="filepath")
            results = gr.File(label="Results (JSONL)")
        button = gr.Button("Run batch")
        report = gr.Markdown()
        errors = gr.Dataframe(headers=["id", "error"], label="Rows with errors", visible=False)

        def run_batch(path: str | None, *values: Any) -> list[Any]:
            *settings, progress = values
            try:
                if not path:
                    raise InputError("upload a .csv or .jsonl file first")
                rows, ignored = read_batch(path, spec)
                policy.check_rows(len(rows))
                advanced_args = advanced_arguments(settings)
                policy.check({}, advanced_args)
                rows = policy.screen(rows)  # a row over the limits becomes that row's error line
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None
            target = scratch_path(f"{spec.name}-results.jsonl")

            def bar(items: Iterator[api.BatchItem], total: int) -> Iterable[api.BatchItem]:
                return progress.tqdm(items, total=total, desc=spec.title)

            summary, failures = batch.run_file(spec.name, rows, target, progress=bar, **advanced_args)
            failed = [[str(item.id), item.error] for item in failures]
            note = f"{summary.line()}."
            if ignored:
                note += f" Ignored columns: {', '.join(ignored)}."
            return [str(target), note, gr.Dataframe(value=failed or None, visible=bool(failed))]

        progress = inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=gr.Progress())
        button.click(
            with_parameters(run_batch, ["file", *ADVANCED], {"file": None} | dict.fromkeys(ADVANCED), [progress]),
            inputs=[upload, *advanced],
            outputs=[results, report, errors],
            api_name=f"{spec.name}_batch",
            concurrency_id=LLM_QUEUE,
            concurrency_limit=llm_concurrency(),
        )
