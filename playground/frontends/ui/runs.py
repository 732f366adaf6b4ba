"""What a task tab shows about its runs: the prompt template to edit, the prompts sent, the run record to download,
and the same input run through two or three configurations side by side."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gradio as gr

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.frontends.ui.helpers import (
    LLM_QUEUE,
    applicable_settings,
    calls_llm,
    llm_concurrency,
    stats_line,
    with_parameters,
)
from playground.frontends.ui.scratch import scratch_path
from playground.frontends.ui.views import escape_markdown
from playground.policy.limits import Policy
from playground.policy.safety import Safety
from playground.runtime import templates
from playground.runtime.registry import TaskSpec
from playground.service import api, records
from playground.text.textio import parse_param

VARIANTS = 2  # configurations beside the tab's own
Collect = Callable[[TaskSpec, Sequence[Any], Policy], tuple[dict[str, Any], dict[str, Any]]]


def template_editor(spec: TaskSpec) -> gr.Code | None:
    """The task's first prompt template, editable; a changed text is what the next run renders."""
    if not spec.templates:
        return None
    name = spec.templates[0]
    variables = ", ".join(sorted(spec.template_variables(name)))
    with gr.Accordion(f"Prompt template ({name})", open=False):
        gr.Markdown(f"Jinja. It may use: `{variables}`; the few-shot examples, if any, are the `shots` list at the "
                    "top. Edits last for this page's runs; the run record keeps them.")  # fmt: skip
        editor = gr.Code(templates.editable_source(name), language="jinja2", label=name, interactive=True)
        reset = gr.Button("Restore the task's template", size="sm")
        reset.click(lambda: templates.editable_source(name), outputs=editor, api_visibility="private")
    return editor


def prompts_text(raw: dict[str, Any] | None) -> str:
    """The prompts of a result as plain text: each call with its model, then what the model was given."""
    blocks = []
    for number, call in enumerate((raw or {}).get("prompts") or [], 1):
        prompt = call["prompt"]
        body = prompt if isinstance(prompt, str) else "\n".join(f"[{m['role']}] {m['content']}" for m in prompt)
        extra = f" continuations: {call['continuations']}" if call.get("continuations") else ""
        blocks.append(f"--- call {number}: {call['call']} on {call['model']}{extra}\n{body}")
    return "\n\n".join(blocks)


TOKENS_HINT = "<p><em>Set <b>Token probabilities</b> under Advanced (1 to 5) to see each generated token.</em></p>"
LABELS_HINT = "<p><em>Run to see each label's log-likelihood after the prompt.</em></p>"


def tokens_html(raw: dict[str, Any] | None, hint: str = TOKENS_HINT) -> str:
    """The generated tokens coloured by probability (red unlikely, green likely), the alternatives on hover."""
    tokens = (raw or {}).get("tokens")
    scored = ((raw or {}).get("output") or {}).get("loglikelihoods")
    if not tokens and scored:  # a choice task: each label's own log-likelihood, before calibration
        rows = "".join(f"<tr><td>{html.escape(str(label))}</td><td>{value:.4f}</td><td>{math.exp(value):.2e}</td></tr>"
                       for label, value in scored.items())  # fmt: skip
        return ("<table><tr><th>label</th><th>log-likelihood after the prompt</th><th>probability</th></tr>"
                f"{rows}</table>")  # fmt: skip
    if not tokens:
        return hint
    spans = []
    for t in tokens:
        p = math.exp(t["logprob"])
        others = ", ".join(f"{a['token']!r} {math.exp(a['logprob']):.2f}" for a in t["top"])
        tip = html.escape(f"p = {p:.3f} (log {t['logprob']:.2f}) | top: {others}", quote=True)
        spans.append(f'<span title="{tip}" style="background: hsl({round(120 * p)}, 70%, 82%); color: #111; '
                     f'border-radius: 3px">{html.escape(t["token"])}</span>')  # fmt: skip
    return f'<div style="white-space: pre-wrap; line-height: 1.8">{"".join(spans)}</div>'


def details_section(raw: gr.JSON, spec: TaskSpec) -> gr.File:
    """The prompts and tokens of the last result, where the task has them, and the file its run record is written to.

    A task with no language model has neither; a choice task shows each label's log-likelihood instead of tokens.
    """
    labels = spec.display == "label"
    if labels or "logprobs" in applicable_settings(spec):
        hint = LABELS_HINT if labels else TOKENS_HINT
        with gr.Accordion("Tokens and their probabilities", open=False):
            tokens = gr.HTML(hint)
        raw.change(lambda value: tokens_html(value, hint), raw, tokens, api_visibility="private",
                   show_progress="hidden")  # fmt: skip
    if calls_llm(spec):
        with gr.Accordion("Prompts sent to the model", open=False):
            shown = gr.Textbox(label="Exactly what each model call was given", lines=8, interactive=False,
                               buttons=["copy"])  # fmt: skip
        raw.change(prompts_text, raw, shown, api_visibility="private", show_progress="hidden")
    return gr.File(label="Run record (replay it with `nlp-playground rerun FILE`)", interactive=False)


def save_record(spec: TaskSpec, collect: Collect, policy: Policy) -> Callable[..., str | None]:
    """A handler writing the run record of the tab's last result, from its JSON and the form it came from."""

    def save(raw: dict[str, Any] | None, *values: Any) -> str | None:
        if not raw or "params" not in raw:
            return None
        try:
            inputs, arguments = collect(spec, values, policy)
            texts = spec.template_texts(spec.edited_templates(arguments.get("template")))
            record = records.record_from_parts(raw, spec.validate(inputs), texts)
        except PlaygroundError:
            return None  # the run itself showed the error
        path = scratch_path(f"{spec.name}-run.json")
        records.write_record(path, record)
        return str(path)

    return save


def variant_of(text: str) -> dict[str, Any]:
    """A configuration's changes, one key=value per line (as `run --compare` takes them).

    `template=default` runs the task's own template, so an edited one can be compared with it.
    """
    changes = dict(parse_param(line.strip()) for line in str(text or "").splitlines() if line.strip())
    if str(changes.get("template", "")).strip().lower() == "default":
        changes["template"] = None
    return changes


def describe(result: api.Result, title: str, text: str) -> str:
    """A comparison column: its configuration, the output as text, the stats line."""
    return f"**{escape_markdown(title)}**\n\n{escape_markdown(text)}\n\n{stats_line(result)}"


def compare_section(
    spec: TaskSpec,
    form: list[gr.components.Component],
    collect: Collect,
    policy: Policy,
    parameters: tuple[list[str], dict[str, Any]],
) -> None:
    """Run the tab's input through its own configuration and up to two variants, shown side by side.

    `parameters` are the names and defaults of the form's values, as the task's own endpoint takes them.
    """
    from playground.service.formatting import format_output  # the terminal rendering of every kind of output, shared

    safety = Safety.from_env(policy.public)
    with gr.Accordion("Compare configurations side by side", open=False):
        gr.Markdown("Column A runs the settings above. Each other column changes them, one `key=value` per line: "
                    "`model=gemma3-270m`, `temperature=0.8`, `engine=transformers`, a task option such as "
                    "`method=generate`, or `template=default` to run the task's own template beside an edited one. "
                    "The columns run one after another.")  # fmt: skip
        with gr.Row():
            boxes = [gr.Textbox(label=f"Variant {chr(66 + n)}", lines=2, placeholder="model=gemma3-270m")
                     for n in range(VARIANTS)]  # fmt: skip
        button = gr.Button("Run comparison", variant="primary")
        with gr.Row():
            columns = [gr.Markdown(label=f"Column {chr(65 + n)}") for n in range(VARIANTS + 1)]

        def run(*values: Any) -> Iterator[list[str]]:
            try:
                inputs, arguments = collect(spec, values[: len(form)], policy)
                variants = [(f"{chr(66 + n)}: {text.strip()}", variant_of(text))
                            for n, text in enumerate(values[len(form) :]) if str(text or "").strip()]  # fmt: skip
                if not variants:
                    raise InputError("write at least one variant (key=value lines) to compare with")
                shown = ["" for _ in columns]
                for number, (title, changes) in enumerate([("A: the settings above", {}), *variants]):
                    if changes:  # a variant meets the same limits as the tab's own settings (checked by collect)
                        policy.check({**inputs, **changes}, {**arguments, **changes})
                    results = api.stream(spec.name, safety=safety, **{**inputs, **arguments, **changes})
                    try:
                        for result in results:
                            text = format_output(spec.display, result.output, spec.checked) if result.output else ""
                            shown[number] = describe(result, title, text)
                            yield list(shown)
                    finally:
                        results.close()
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None

        names, defaults = parameters
        variant_names = [f"variant_{chr(98 + n)}" for n in range(VARIANTS)]
        handler = with_parameters(run, [*names, *variant_names], defaults | dict.fromkeys(variant_names, ""))
        button.click(handler, inputs=[*form, *boxes], outputs=columns, api_name=f"{spec.name}_compare",
                     concurrency_id=LLM_QUEUE, concurrency_limit=llm_concurrency())  # fmt: skip
