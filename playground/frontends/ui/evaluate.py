"""The Evaluate tab: score a task on a bundled or uploaded eval set, show the metrics and the items it got wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.frontends.ui.helpers import (
    ADVANCED,
    LLM_QUEUE,
    advanced_arguments,
    engine_choices,
    llm_concurrency,
    server_models,
)
from playground.frontends.ui.scratch import scratch_path
from playground.policy.limits import Policy
from playground.text.textio import parse_param

if TYPE_CHECKING:
    from playground.evaluation.evaluate import Report


def parse_settings(text: str | None) -> dict[str, Any]:
    """key=value lines (values read as JSON when they parse) into a configuration."""
    return dict(parse_param(line.strip()) for line in str(text or "").splitlines() if line.strip())


def run_note(report: Report, asked: int | None, limit: int | None) -> str:
    """The line above the metrics: the items run (and why fewer than asked), and how many fell below the best.

    asked: the number of items the user asked for; limit: the number read (less than asked in public mode).
    """
    from playground.evaluation.evaluate import items_note, worst_note

    ran = len(report.items)
    if limit is not None and ran < limit:  # the set ran out first
        items = items_note(ran, asked)
    elif asked and limit and limit < asked:
        items = f"{ran} items (this public app evaluates at most {limit})"
    else:
        items = items_note(ran, None)
    text = f"{items}; {worst_note(report)}."
    return text[0].upper() + text[1:]


def evaluate_tab(policy: Policy) -> None:
    """The Evaluate tab."""
    from playground.evaluation import check_eval
    from playground.evaluation import evaluate as evaluation

    sets = evaluation.eval_sets()
    with gr.Tab("Evaluate", id="evaluate"):
        gr.Markdown(
            "Score a task against reference answers: pick a bundled set (or upload a JSONL file in the same "
            "format), a model and settings, and run. The metrics come from local `evaluate` modules; the table "
            "below lists the items under the best possible score, the worst first."
        )
        with gr.Row():
            with gr.Column():
                tasks = [*evaluation.eval_tasks(), check_eval.NAME]  # checks: the check stage on labelled outputs
                task_box = gr.Dropdown(tasks, value="sentiment", label="Task")
                dataset = gr.Dropdown(list(sets), value="bundled: sentiment", label="Eval set")
                upload = gr.File(label="…or upload a JSONL eval set", file_types=[".jsonl"], type="filepath")
                limit = gr.Number(value=20, precision=0, minimum=1, label="Items (the first N)")
            with gr.Column():
                served = [] if policy.public else server_models()
                model = gr.Dropdown(policy.models() + served, value=None, label="Model (blank = the task's default)",
                                    allow_custom_value=True)  # fmt: skip
                engine = gr.Dropdown(engine_choices(), value="auto", label="Engine")
                settings = gr.Textbox(label="Settings (key=value per line)", lines=3,
                                      placeholder="temperature=0\nmethod=generate\nmode=extractive")  # fmt: skip
                button = gr.Button("Run evaluation", variant="primary")
        note = gr.Markdown()
        metrics = gr.Dataframe(headers=["metric", "value"], label="Metrics")
        worst = gr.Dataframe(headers=["id", "score", "prediction", "reference", "error"],
                             label="Items below the best possible score, the worst first", wrap=True)  # fmt: skip
        results = gr.File(label="Per-item results (JSONL)")
        task_box.change(
            lambda t: f"bundled: {t}" if f"bundled: {t}" in sets else None, task_box, dataset, api_visibility="private"
        )

        def run(
            task: str,
            eval_set: str | None = None,
            file: str | None = None,
            limit: float | None = 20,
            model: str | None = None,
            engine: str = "auto",
            settings: str | None = None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            try:
                source = Path(file) if file else sets.get(eval_set or "")
                if source is None:
                    raise InputError("choose an eval set or upload one")
                asked = count = int(limit) if limit else None
                if policy.public:
                    count = min(count or policy.limits.max_eval_items or 0, policy.limits.max_eval_items or 0)
                rows = evaluation.read_eval_set(source, count)
                config = parse_settings(settings)
                config.update(advanced_arguments([model, engine, *[None] * (len(ADVANCED) - 2)]))
                policy.check(config, config)  # the settings may set task inputs for every item, or a model
                for row in rows:
                    policy.check({k: v for k, v in row.items() if k != "id"}, {})
                if task == check_eval.NAME:
                    return checks_run(rows, config, asked, count)
                report = evaluation.evaluate(
                    task, rows, config, progress=lambda r: progress.tqdm(r, desc=task, total=len(rows))
                )
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None
            target = scratch_path(f"{task}-eval.jsonl")
            evaluation.write_items(report, target)
            table = [[k, v] for k, v in report.metrics.items()]
            shown = [(i, json.dumps(i.prediction, ensure_ascii=False), json.dumps(i.reference, ensure_ascii=False))
                     for i in report.worst(10)]  # fmt: skip
            rows_out = [[str(i.id), i.score, pred, ref, i.error or ""] for i, pred, ref in shown]
            return [table, rows_out, str(target), run_note(report, asked, count)]

        def checks_run(rows: list[dict[str, Any]], config: dict[str, Any], asked: int | None,
                       count: int | None) -> list[Any]:  # fmt: skip
            figures, items = check_eval.evaluate_checks(rows, config=config)
            table = [
                [f"{kind}: {name}", None if v != v else v] for kind, row in figures.items() for name, v in row.items()
            ]
            target = scratch_path("checks-eval.jsonl")
            check_eval.write_items(items, target)
            shown = [[str(i.id), None, json.dumps(i.to_dict()["flags"], ensure_ascii=False),
                      json.dumps(i.to_dict()["errors"], ensure_ascii=False), i.error or ""]
                     for i in check_eval.mismatched(items)[:10]]  # fmt: skip
            note = f"The checks on {len(items)} recorded outputs; below, the outputs whose flags (prediction) and "
            note += "labelled errors (reference) differ."
            return [table, shown, str(target), note + (f" Asked for {asked}, ran {count}." if asked != count else "")]

        button.click(
            run,
            inputs=[task_box, dataset, upload, limit, model, engine, settings],
            outputs=[metrics, worst, results, note],
            api_name="evaluate",
            concurrency_id=LLM_QUEUE,
            concurrency_limit=llm_concurrency(),
        )
