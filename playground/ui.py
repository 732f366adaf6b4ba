"""The Gradio app: an adapter over the registry. Tabs are generated from the task specs; no task logic lives here."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from . import api
from .errors import InputError, PlaygroundError
from .models import PRESETS
from .params import GenerationParams
from .registry import Input, TaskSpec, all_tasks
from .resources import data_dir

QUEUE_SIZE = 32  # requests waiting beyond this are refused, not left to time out
LLM_QUEUE = "llm"  # every task shares one model pool, so every task shares one queue
LANGUAGE_NAMES = {"auto": "Detect automatically", "en": "English", "fr": "French", "es": "Spanish", "de": "German",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}  # fmt: skip
ADVANCED = ("model", "engine", "max_new_tokens", "temperature", "top_p", "top_k",
            "repetition_penalty", "num_beams", "seed", "stop")  # fmt: skip


# ---- pure helpers (unit-tested) ---------------------------------------------------------------------------


def parse_stop(text: str | None) -> list[str]:
    """One stop sequence per line; a literal \\n in the box means a newline."""
    return [line.replace("\\n", "\n") for line in (text or "").splitlines() if line]


def advanced_arguments(values: Sequence[Any]) -> dict[str, Any]:
    """Turn the Advanced controls' values into api.run keyword arguments, leaving out the ones left blank."""
    raw = dict(zip(ADVANCED, values, strict=True))
    args: dict[str, Any] = {}
    if raw["model"]:
        args["model"] = str(raw["model"]).strip()
    if raw["engine"] and raw["engine"] != "auto":
        args["engine"] = raw["engine"]
    for name in ("max_new_tokens", "top_k", "num_beams"):
        if raw[name] is not None:
            args[name] = int(raw[name])
    for name in ("temperature", "top_p", "repetition_penalty"):
        if raw[name] is not None:
            args[name] = float(raw[name])
    if raw["seed"] not in (None, ""):
        args["seed"] = int(raw["seed"])
    if raw["stop"]:
        args["stop"] = parse_stop(raw["stop"])
    return args


def stats_line(result: api.Result) -> str:
    """Model, engine, tokens, speed and time to first token, for under a result."""
    t = result.timings
    parts = [f"**{result.model}** on {result.engine}"]
    if t["tokens"]:
        parts.append(f"{t['tokens']} tokens")
    if t["tokens_per_s"]:
        parts.append(f"{t['tokens_per_s']} tokens/s")
    if t["first_token_s"] is not None:
        parts.append(f"first token {t['first_token_s']} s")
    parts.append(f"total {t['total_s']} s")
    if t["load_s"]:
        parts.append(f"model load {t['load_s']} s")
    return " · ".join(parts)


def highlight_edits(text: str, edits: Sequence[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The original text as HighlightedText segments: removed text, added text labelled by engine, the rest plain."""
    segments: list[tuple[str, str | None]] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e["start"], e["end"])):
        segments.append((text[cursor : edit["start"]], None))
        if edit["original"]:
            segments.append((edit["original"], "removed"))
        if edit["replacement"]:
            segments.append((edit["replacement"], str(edit.get("source", "added")).split("+")[0]))
        cursor = edit["end"]
    segments.append((text[cursor:], None))
    return [s for s in segments if s[0]]


def texts_from_file(path: str | None) -> list[str]:
    """Lines of an uploaded .txt, or the first column (or a `text` column) of a .csv."""
    if not path:
        return []
    content = Path(path).read_text(encoding="utf-8", errors="replace")
    if not path.lower().endswith(".csv"):
        return [line.strip() for line in content.splitlines() if line.strip()]
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        return []
    column = rows[0].index("text") if "text" in rows[0] else 0
    body = rows[1:] if "text" in rows[0] else rows
    return [row[column].strip() for row in body if len(row) > column and row[column].strip()]


def read_batch(path: str, spec: TaskSpec) -> tuple[list[dict[str, Any] | PlaygroundError], list[str]]:
    """Rows of an uploaded CSV or JSONL file, and the columns that are not inputs of the task (ignored)."""
    from .cli import read_jsonl

    names = {i.name for i in spec.inputs} | {"id"}
    if path.lower().endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            rows: list[dict[str, Any] | PlaygroundError] = list(csv.DictReader(handle))
    elif path.lower().endswith((".jsonl", ".json")):
        rows = list(read_jsonl(Path(path)))
    else:
        raise InputError("upload a .csv file with a header row or a .jsonl file with one object per line")
    ignored: set[str] = set()
    kept: list[dict[str, Any] | PlaygroundError] = []
    for row in rows:
        if isinstance(row, dict):
            ignored |= set(row) - names
            row = {k: v for k, v in row.items() if k in names}
        kept.append(row)
    return kept, sorted(ignored)


# ---- output views: how each kind of result is shown -------------------------------------------------------

# A view: the components that show a result, and a function from (output, inputs) to their values.
View = tuple[list[gr.components.Component], Callable[[dict[str, Any], dict[str, Any]], list[Any]]]
EDIT_COLUMNS = ["apply", "original", "replacement", "engine", "message"]


def _text_view(
    spec: TaskSpec,
) -> View:
    box = gr.Textbox(label="Output", lines=8, buttons=["copy"], interactive=False)
    return [box], lambda out, inputs: [api.primary_text(out)]


def _label_view(
    spec: TaskSpec,
) -> View:
    label = gr.Label(label="Prediction", num_top_classes=20)
    return [label], lambda out, inputs: [out["scores"]]


def _edits_view(
    spec: TaskSpec,
) -> View:
    corrected = gr.Textbox(label="Corrected", lines=4, buttons=["copy"], interactive=False)
    marked = gr.HighlightedText(label="Edits (removed text in red; added text coloured by engine)", show_legend=True,
                                color_map={"removed": "red", "harper": "green", "languagetool": "blue",
                                           "llm": "purple"})  # fmt: skip
    engines = gr.Markdown()
    table = gr.Dataframe(headers=EDIT_COLUMNS, datatype=["bool", "str", "str", "str", "str"], interactive=True,
                         label="Edits: untick the ones you reject, then apply", wrap=True)  # fmt: skip

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        edits = out.get("edits")
        if edits is None:  # still streaming
            return [out.get("corrected", ""), None, "", None]
        status = " · ".join(f"**{name}**: {state}" for name, state in out.get("engines", {}).items())
        return [out["corrected"], highlight_edits(inputs.get("text", ""), edits), status, edit_rows(edits)]

    return [corrected, marked, engines, table], show


def edit_rows(edits: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One table row per edit, ticked."""
    return [[True, e["original"], e["replacement"], e.get("source", ""), e.get("message", "")] for e in edits]


def apply_ticked(text: str, table: Any, raw: dict[str, Any] | None) -> str:
    """The text with only the ticked edits of the last result applied."""
    from .edits import apply_edits

    edits = (raw or {}).get("output", {}).get("edits") or []
    rows = table.values.tolist() if hasattr(table, "values") else list(table or [])
    ticked = [edit for edit, row in zip(edits, rows, strict=False) if row and bool(row[0])]
    return apply_edits(text.strip(), ticked)


def _clusters_view(
    spec: TaskSpec,
) -> View:
    import pandas as pd

    summary = gr.Markdown(label="Clusters")
    plot = gr.ScatterPlot(x="x", y="y", color="cluster", tooltip=["text", "cluster"], label="Embeddings (2-D)")

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        lines = []
        for c in out["clusters"]:
            lines.append(f"**{c['id']}. {c['name']}** ({c['size']})\n")  # a blank line ends the previous list
            lines += [f"- {m}" for m in c["members"]]
            lines.append("")
        names = {c["id"]: f"{c['id']}. {c['name']}" for c in out["clusters"]}
        frame = pd.DataFrame(
            {
                "x": [p[0] for p in out["points"]],
                "y": [p[1] for p in out["points"]],
                "cluster": [names[a] for a in out["assignments"]],
                "text": inputs[spec.main_input.name],
            }
        )
        return ["\n".join(lines), frame]

    return [summary, plot], show


VIEWS = {"text": _text_view, "label": _label_view, "edits": _edits_view, "clusters": _clusters_view}


# ---- the tabs ---------------------------------------------------------------------------------------------


def _input_component(spec: TaskSpec, item: Input) -> gr.components.Component:
    if item.kind == "choice":
        choices = [(LANGUAGE_NAMES.get(c, c), c) for c in item.choices]
        return gr.Dropdown(choices=choices, value=item.default, label=item.label, info=item.help or None)
    if item.kind == "options":
        return gr.CheckboxGroup(list(item.choices), value=list(item.default or ()), label=item.label,
                                info=item.help or None)  # fmt: skip
    if item.kind == "count":
        return gr.Dropdown(choices=["auto", *map(str, range(2, 11))], value=str(item.default), label=item.label,
                           allow_custom_value=True)  # fmt: skip
    if item.kind == "labels":
        return gr.Textbox(label=item.label, placeholder="sports, politics, business", info=item.help or None)
    if item.kind == "texts":
        return gr.Textbox(label=f"{item.label} (one per line)", lines=10, max_length=item.max_chars * item.max_items)
    return gr.Textbox(label=item.label, lines=6, max_length=item.max_chars, placeholder="Type or paste a text…")


def _example_value(item: Input, value: Any) -> Any:
    """An example's value in the form its component takes."""
    if value is None:
        value = item.default
    if item.kind == "options":
        return list(value or ())
    if isinstance(value, list):
        return ("\n" if item.kind == "texts" else ", ").join(value)
    return str(value) if item.kind == "count" else value


def _examples(spec: TaskSpec) -> list[list[Any]]:
    if not spec.examples:
        return []
    path = data_dir("assets") / "examples" / spec.examples
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [[_example_value(i, row.get(i.name)) for i in spec.inputs] for row in rows]


def _advanced(spec: TaskSpec) -> list[gr.components.Component]:
    defaults = GenerationParams().merged(**spec.default_params)
    presets = [name for name, p in PRESETS.items() if p.role == "llm"]
    decoding = spec.display != "label"  # label scoring ignores decoding settings
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            model = gr.Dropdown(presets, value=spec.default_model, label="Model", allow_custom_value=True,
                                info="a preset, or a hub id / local path (needs the network or the files)")  # fmt: skip
            engine = gr.Dropdown(["auto", "llama.cpp", "transformers"], value="auto", label="Engine")
        with gr.Row(visible=decoding):
            max_new = gr.Slider(1, 1024, value=defaults.max_new_tokens, step=1, label="Max new tokens")
            temperature = gr.Slider(0, 2, value=defaults.temperature, step=0.05, label="Temperature (0 = greedy)")
            top_p = gr.Slider(0.05, 1, value=defaults.top_p, step=0.05, label="Top-p")
        with gr.Row(visible=decoding):
            top_k = gr.Number(value=defaults.top_k, precision=0, label="Top-k (0 = off)")
            rep = gr.Slider(0.5, 2, value=defaults.repetition_penalty, step=0.05, label="Repetition penalty")
            beams = gr.Slider(1, 8, value=defaults.num_beams, step=1, label="Beams (transformers engine)")
        with gr.Row(visible=decoding):
            seed = gr.Number(value=None, precision=0, label="Seed (blank = random)")
            stop = gr.Textbox(label="Stop sequences", placeholder="one per line; \\n for a newline", lines=1)
    return [model, engine, max_new, temperature, top_p, top_k, rep, beams, seed, stop]


def _collect(spec: TaskSpec, values: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = dict(zip([i.name for i in spec.inputs], values[: len(spec.inputs)], strict=True))
    upload = values[len(spec.inputs)] if spec.main_input.kind == "texts" else None
    if upload:
        typed = inputs.get(spec.main_input.name) or ""
        inputs[spec.main_input.name] = [*str(typed).splitlines(), *texts_from_file(upload)]
    advanced = advanced_arguments(values[-len(ADVANCED) :])
    return {k: v for k, v in inputs.items() if v not in (None, "")}, advanced


def _task_tab(spec: TaskSpec) -> None:
    with gr.Tab(spec.title, id=spec.name):
        gr.Markdown(f"{spec.description}")
        with gr.Row():
            with gr.Column():
                fields = [_input_component(spec, item) for item in spec.inputs]
                extra: list[gr.components.Component] = []
                if spec.main_input.kind == "texts":
                    extra.append(gr.File(label="…or upload a .txt (one per line) or .csv", file_types=[".txt", ".csv"],
                                         type="filepath"))  # fmt: skip
                with gr.Row():
                    run_button = gr.Button("Run", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
                advanced = _advanced(spec)
            with gr.Column():
                view_components, show = VIEWS[spec.display](spec)
                apply_button = gr.Button("Apply the ticked edits") if spec.display == "edits" else None
                stats = gr.Markdown()
                with gr.Accordion("Raw output (JSON)", open=False):
                    raw = gr.JSON(label="Result")
        examples = _examples(spec)
        if examples:
            gr.Examples(examples, inputs=fields, cache_examples=False, label="Examples")

        def run(*values: Any) -> Iterator[list[Any]]:
            inputs, advanced_args = _collect(spec, values)
            try:
                cleaned = spec.validate(inputs)  # once, not per streamed token: the views read the cleaned inputs
                for result in api.stream(spec.name, **inputs, **advanced_args):
                    if not result.done and spec.display not in ("text", "edits"):
                        continue
                    yield [*show(result.output, cleaned), stats_line(result), result.to_dict()]
            except PlaygroundError as exc:
                raise gr.Error(str(exc), print_exception=False) from None

        event = run_button.click(
            run,
            inputs=[*fields, *extra, *advanced],
            outputs=[*view_components, stats, raw],
            api_name=spec.name,
            concurrency_id=LLM_QUEUE,
            concurrency_limit=1,
        )
        stop_button.click(None, cancels=[event])
        if apply_button is not None:
            apply_button.click(apply_ticked, inputs=[fields[0], view_components[-1], raw], outputs=view_components[0],
                               api_name=f"{spec.name}_apply")  # fmt: skip
        _batch_section(spec, advanced)


def _batch_section(spec: TaskSpec, advanced: list[gr.components.Component]) -> None:
    with gr.Accordion("Batch: run this task over a CSV or JSONL file", open=False):
        columns = ", ".join(i.name for i in spec.inputs)
        gr.Markdown(f"Columns (CSV header) or keys (JSONL): `{columns}` and an optional `id`.")
        with gr.Row():
            upload = gr.File(label="Input file", file_types=[".csv", ".jsonl"], type="filepath")
            results = gr.File(label="Results (JSONL)")
        button = gr.Button("Run batch")
        report = gr.Markdown()
        errors = gr.Dataframe(headers=["id", "error"], label="Rows with errors", visible=False)

        def run_batch(path: str | None, *values: Any, progress: gr.Progress = gr.Progress()) -> list[Any]:  # noqa: B008
            if not path:
                raise gr.Error("upload a .csv or .jsonl file first", print_exception=False)
            try:
                rows, ignored = read_batch(path, spec)
            except (PlaygroundError, UnicodeDecodeError, csv.Error) as exc:
                raise gr.Error(f"cannot read {Path(path).name}: {exc}", print_exception=False) from None
            advanced_args = advanced_arguments(values)
            out_dir = Path(tempfile.mkdtemp(prefix="nlp-playground-"))
            target = out_dir / f"{spec.name}-results.jsonl"
            failed: list[list[Any]] = []
            with target.open("w", encoding="utf-8") as sink:
                items = api.run_batch(spec.name, rows, **advanced_args)
                for item in progress.tqdm(items, total=len(rows), desc=spec.title):
                    if item.error is not None:
                        failed.append([str(item.id), item.error])
                    sink.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            note = f"{len(rows) - len(failed)} rows done, {len(failed)} with errors."
            if ignored:
                note += f" Ignored columns: {', '.join(ignored)}."
            return [str(target), note, gr.Dataframe(value=failed or None, visible=bool(failed))]

        button.click(
            run_batch,
            inputs=[upload, *advanced],
            outputs=[results, report, errors],
            api_name=f"{spec.name}_batch",
            concurrency_id=LLM_QUEUE,
            concurrency_limit=1,
        )


def _about() -> None:
    with gr.Tab("About", id="about"):
        rows = ["| Task | What it does | Model |", "|---|---|---|"]
        for spec in all_tasks():
            models = [m for m in (spec.default_model if spec.uses_llm else None, spec.embedder) if m]
            rows.append(f"| **{spec.title}** | {spec.description} | {' + '.join(models)} |")
        gr.Markdown(
            "# NLP playground\n"
            "Small language models, running on this machine's CPU, trying one task per tab. Pick a tab, type a "
            "text or click an example, and press **Run**. Generated text streams in as it is made; the line "
            "under each result says which model ran, how fast, and how long the first token took.\n\n"
            + "\n".join(rows)
            + "\n\nThe embedded models are small (135M and 270M parameters): quick, private and offline, but "
            "often wrong. With the network, put any Hugging Face model id in a tab's *Advanced* section."
        )


def parse_settings(text: str | None) -> dict[str, Any]:
    """key=value lines (values read as JSON when they parse) into a configuration."""
    from .cli import parse_param

    return dict(parse_param(line.strip()) for line in (text or "").splitlines() if line.strip())


def _evaluate_tab() -> None:
    from . import evaluation

    sets = evaluation.eval_sets()
    with gr.Tab("Evaluate", id="evaluate"):
        gr.Markdown(
            "Score a task against reference answers: pick a bundled set (or upload a JSONL file in the same "
            "format), a model and settings, and run. The metrics come from local `evaluate` modules; the table "
            "below lists the worst items."
        )
        with gr.Row():
            with gr.Column():
                task = gr.Dropdown(list(evaluation.EVAL_TASKS), value="sentiment", label="Task")
                dataset = gr.Dropdown(list(sets), value="bundled: sentiment", label="Eval set")
                upload = gr.File(label="…or upload a JSONL eval set", file_types=[".jsonl"], type="filepath")
                limit = gr.Number(value=20, precision=0, minimum=1, label="Items (the first N)")
            with gr.Column():
                model = gr.Dropdown([n for n, p in PRESETS.items() if p.role == "llm"], value=None,
                                    label="Model (blank = the task's default)", allow_custom_value=True)  # fmt: skip
                engine = gr.Dropdown(["auto", "llama.cpp", "transformers"], value="auto", label="Engine")
                settings = gr.Textbox(label="Settings (key=value per line)", lines=3,
                                      placeholder="temperature=0\nmethod=generate\nmode=extractive")  # fmt: skip
                button = gr.Button("Run evaluation", variant="primary")
        metrics = gr.Dataframe(headers=["metric", "value"], label="Metrics")
        worst = gr.Dataframe(headers=["id", "score", "prediction", "reference", "error"], label="Worst items",
                             wrap=True)  # fmt: skip
        results = gr.File(label="Per-item results (JSONL)")
        task.change(lambda t: f"bundled: {t}" if f"bundled: {t}" in sets else None, task, dataset)

        def run(
            task_name: str,
            set_name: str | None,
            path: str | None,
            n: float | None,
            model_name: str | None,
            engine_name: str,
            settings_text: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            try:
                source = Path(path) if path else sets.get(set_name or "")
                if source is None:
                    raise InputError("choose an eval set or upload one")
                rows = evaluation.read_eval_set(source, int(n) if n else None)
                config = parse_settings(settings_text)
                config.update(advanced_arguments([model_name, engine_name, *[None] * (len(ADVANCED) - 2)]))
                report = evaluation.evaluate(
                    task_name, rows, config, progress=lambda r: progress.tqdm(r, desc=task_name)
                )
            except PlaygroundError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            target = Path(tempfile.mkdtemp(prefix="nlp-playground-eval-")) / f"{task_name}-eval.jsonl"
            evaluation.write_items(report, target)
            table = [[k, v] for k, v in report.metrics.items()]
            shown = [(i, json.dumps(i.prediction, ensure_ascii=False), json.dumps(i.reference, ensure_ascii=False))
                     for i in report.worst(10)]  # fmt: skip
            rows_out = [[str(i.id), i.score, pred, ref, i.error or ""] for i, pred, ref in shown]
            return [table, rows_out, str(target)]

        button.click(
            run,
            inputs=[task, dataset, upload, limit, model, engine, settings],
            outputs=[metrics, worst, results],
            api_name="evaluate",
            concurrency_id=LLM_QUEUE,
            concurrency_limit=1,
        )


def create_app() -> gr.Blocks:
    """Build the app from the registry; nothing is loaded until the first request."""
    with gr.Blocks(title="NLP playground") as demo, gr.Tabs():
        _about()
        for spec in all_tasks():
            _task_tab(spec)
        _evaluate_tab()
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch(host: str | None = None, port: int | None = None, share: bool = False, **kwargs: Any) -> gr.Blocks:
    """Launch the app; on Spaces (SPACE_ID) or when GRADIO_SERVER_NAME says so, it listens on every interface."""
    if host is None:
        host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1")
    demo = create_app()
    demo.launch(server_name=host, server_port=port, share=share, **kwargs)
    return demo
