"""One tab per registered task, generated from its spec: inputs, Run/Stop, Advanced settings, result view, batch."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.secrets import user_message
from playground.engines.params import MAX_NEW_TOKENS_CAP, GenerationParams
from playground.frontends.ui.batch import batch_section
from playground.frontends.ui.helpers import (
    ADVANCED,
    LLM_QUEUE,
    advanced_arguments,
    applicable_settings,
    choice_labels,
    collection_names,
    engine_choices,
    llm_concurrency,
    server_models,
    stats_line,
    with_parameters,
)
from playground.frontends.ui.runs import compare_section, details_section, save_record, template_editor
from playground.frontends.ui.tools import TEMPLATE, UPLOAD, describe_tool
from playground.frontends.ui.views import VIEWS, apply_ticked, checks_html
from playground.policy.limits import Policy
from playground.policy.safety import Safety
from playground.runtime import templates
from playground.runtime.registry import Input, TaskSpec
from playground.service import api
from playground.text.textio import texts_from_file


def input_component(item: Input, policy: Policy) -> gr.components.Component:
    limit = min(item.max_chars, policy.limits.max_input_chars or item.max_chars)
    if item.kind == "choice":
        return gr.Dropdown(choices=choice_labels(item), value=item.default, label=item.label, info=item.help or None)
    if item.kind == "options":
        return gr.CheckboxGroup(list(item.choices), value=list(item.default or ()), label=item.label,
                                info=item.help or None)  # fmt: skip
    if item.kind == "count":
        return gr.Dropdown(choices=["auto", *map(str, range(2, 11))], value=str(item.default), label=item.label,
                           allow_custom_value=True)  # fmt: skip
    if item.kind == "collection":
        box = gr.Dropdown(choices=collection_names(), value=item.default, label=item.label, allow_custom_value=True,
                          info=item.help or None)  # fmt: skip
        box.focus(lambda: gr.Dropdown(choices=collection_names()), outputs=box, api_visibility="private")
        return box
    if item.kind == "integer":
        return named(item.name, gr.Number(value=item.default, precision=0, minimum=item.minimum, maximum=item.maximum,
                                          label=item.label, info=item.help or None))  # fmt: skip
    if item.kind == "number":
        return named(item.name, gr.Slider(item.minimum, item.maximum, value=item.default, step=0.01, label=item.label,
                                          info=item.help or None))  # fmt: skip
    if item.kind == "flag":
        return gr.Checkbox(value=bool(item.default), label=item.label, info=item.help or None)
    if item.kind == "labels":
        return gr.Textbox(label=item.label, placeholder="sports, politics, business", info=item.help or None)
    if item.kind == "texts":
        count = min(item.max_items, policy.limits.max_texts or item.max_items)
        return gr.Textbox(label=f"{item.label} (one per line)", lines=10, max_length=limit * count)
    return gr.Textbox(label=item.label, lines=6, max_length=limit, placeholder="Type or paste a text…")


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
    return [[_example_value(i, row.get(i.name)) for i in spec.inputs] for row in spec.example_rows()]


def _named_preprocess(name: str, preprocess: Any, payload: Any) -> Any:
    """Run Gradio's own check of a numeric value; a bad value gets an error naming the parameter."""
    try:
        return preprocess(payload)
    except gr.Error as exc:
        raise gr.Error(f"{name}: {exc.message}", print_exception=False) from None
    except (TypeError, ValueError):  # a string or a list sent for a number
        raise gr.Error(f"{name} must be a number, not {str(payload)[:40]!r}", print_exception=False) from None


Numeric = TypeVar("Numeric", gr.Number, gr.Slider)


def named(parameter: str, box: Numeric) -> Numeric:
    """A numeric control whose bad values are refused naming `parameter`, not with a server traceback.

    The check wraps this instance's preprocess: a subclass of a Gradio component would make Gradio write a .pyi
    stub beside this module at import time.
    """
    box.preprocess = functools.partial(_named_preprocess, parameter, box.preprocess)  # type: ignore[method-assign]
    return box


def _integer_schema() -> dict[str, Any]:
    return {"type": "integer"}


def seed_box(visible: bool = True) -> gr.Textbox:
    """The seed: a text box, since a Gradio number box shows 0 for no value (which would fix every seed).

    Blank draws a new seed each run (the result records it); advanced_arguments reads the text as a whole number.
    Its API parameter stays typed as an integer (a number sent there arrives as its text), as when it was a number box.
    """
    box = gr.Textbox(label="Seed (blank = a new one each run)", placeholder="random", max_lines=1, visible=visible)
    box.api_info = _integer_schema  # type: ignore[method-assign]
    return box


def advanced_controls(
    spec: TaskSpec, policy: Policy, tucked: dict[str, gr.components.Component] | None = None
) -> list[gr.components.Component]:
    """The Advanced accordion: the task's advanced inputs (its quality level), then model, engine and decoding
    settings in the order of ADVANCED; the inputs' components go into `tucked`, by name.

    Only the settings that change what the task does are shown (none for a task with no language model, no
    decoding settings where labels are scored); the others are hidden but keep their place in the endpoint.
    """
    defaults = GenerationParams().merged(**spec.default_params)
    shown = set(applicable_settings(spec))
    max_tokens = policy.limits.max_new_tokens or MAX_NEW_TOKENS_CAP
    inputs = [item for item in spec.inputs if item.advanced]
    with gr.Accordion("Advanced", open=False, visible=bool(shown or inputs)):
        for item in inputs:
            component = input_component(item, policy)
            if tucked is not None:
                tucked[item.name] = component
        with gr.Row(visible=bool(shown & {"model", "engine"})):
            # Typed values reach the handler, whose policy check answers with a message of its own.
            info = "the models this deployment allows" if policy.public else "a preset, or a hub id / local path"
            served = [] if policy.public else server_models()  # public mode offers only allow-listed names
            model = gr.Dropdown(policy.models() + served, value=spec.default_model, label="Model",
                                allow_custom_value=True, info=info, visible="model" in shown)  # fmt: skip
            engine = gr.Dropdown(engine_choices(), value="auto", label="Engine", visible="engine" in shown)
        with gr.Row(visible=bool(shown & {"max_new_tokens", "temperature", "top_p"})):
            max_new = named("max_new_tokens", gr.Slider(1, max_tokens, value=min(defaults.max_new_tokens, max_tokens),
                                                        step=1, label="Max new tokens",
                                                        visible="max_new_tokens" in shown))  # fmt: skip
            temperature = named("temperature", gr.Slider(0, 2, value=defaults.temperature, step=0.05,
                                                         label="Temperature (0 = greedy)",
                                                         visible="temperature" in shown))  # fmt: skip
            top_p = named("top_p", gr.Slider(0.05, 1, value=defaults.top_p, step=0.05, label="Top-p",
                                             visible="top_p" in shown))  # fmt: skip
        with gr.Row(visible=bool(shown & {"top_k", "repetition_penalty", "num_beams"})):
            top_k = named("top_k", gr.Number(value=defaults.top_k, precision=0, label="Top-k (0 = off)",
                                             visible="top_k" in shown))  # fmt: skip
            rep = named("repetition_penalty", gr.Slider(0.5, 2, value=defaults.repetition_penalty, step=0.05,
                                                        label="Repetition penalty",
                                                        visible="repetition_penalty" in shown))  # fmt: skip
            beams = named("num_beams", gr.Slider(1, 8, value=defaults.num_beams, step=1,
                                                 label="Beams (transformers engine)",
                                                 visible="num_beams" in shown))  # fmt: skip
        with gr.Row(visible=bool(shown & {"seed", "logprobs", "stop"})):
            seed = seed_box(visible="seed" in shown)
            logprobs = named("logprobs", gr.Slider(0, 5, value=0, step=1, label="Token probabilities",
                                                   info="0 = off; else each token's probability and this many "
                                                   "alternatives, under the result",
                                                   visible="logprobs" in shown))  # fmt: skip
            stop = gr.Textbox(label="Stop sequences", placeholder="one per line; \\n for a newline", lines=1,
                              visible="stop" in shown)  # fmt: skip
    return [model, engine, max_new, temperature, top_p, top_k, rep, beams, seed, logprobs, stop]


def collect(spec: TaskSpec, values: Sequence[Any], policy: Policy) -> tuple[dict[str, Any], dict[str, Any]]:
    """The task inputs and api.run arguments of one request, checked against the deployment's policy."""
    inputs = dict(zip([i.name for i in spec.inputs], values[: len(spec.inputs)], strict=True))
    upload = values[len(spec.inputs)] if spec.main_input.kind == "texts" else None
    if upload:
        typed = inputs.get(spec.main_input.name) or ""
        lines = typed if isinstance(typed, list) else str(typed).splitlines()
        inputs[spec.main_input.name] = [*lines, *texts_from_file(upload)]
    settings = values[len(values) - len(ADVANCED) - bool(spec.templates) :]
    advanced = advanced_arguments(settings[: len(ADVANCED)])
    edited = settings[-1] if spec.templates else None
    if isinstance(edited, str) and edited.strip() and edited != templates.editable_source(spec.templates[0]):
        advanced["template"] = edited  # the tab's editor, changed: this call runs with it
    inputs = {k: v for k, v in inputs.items() if v not in (None, "")}
    policy.check(inputs, advanced)
    return inputs, advanced


def parameter_names(spec: TaskSpec) -> tuple[list[str], dict[str, Any]]:
    """The API parameter names of a task's endpoint (its inputs, the upload slot, the Advanced settings), defaults."""
    names = [i.name for i in spec.inputs] + ([UPLOAD] if spec.main_input.kind == "texts" else []) + list(ADVANCED)
    names += [TEMPLATE] if spec.templates else []
    defaults: dict[str, Any] = {i.name: i.default for i in spec.inputs if not i.required}
    defaults |= {UPLOAD: None, TEMPLATE: None} | {name: None for name in ADVANCED}
    return names, defaults


def endpoint(spec: TaskSpec, policy: Policy, safety: Safety, show: Callable[..., list[Any]]) -> Callable[..., Any]:
    """A task's request handler, named and typed for the HTTP API and MCP: it streams [*view values, stats, raw]."""

    def run(*values: Any) -> Iterator[list[Any]]:
        try:
            inputs, advanced_args = collect(spec, values, policy)
            cleaned = spec.validate(inputs)  # once, not per streamed token: the views read the cleaned inputs
            results = api.stream(spec.name, safety=safety, **inputs, **advanced_args)
            try:
                for result in results:
                    if not result.done and spec.display not in ("text", "edits", "clusters"):
                        continue
                    checks = [checks_html(result.output, spec.checked)] if spec.checked else []
                    yield [*show(result.output, cleaned), *checks, stats_line(result), result.to_dict()]
            finally:
                results.close()  # on Stop, end the generation now and free the model for the next request
        except PlaygroundError as exc:
            raise gr.Error(user_message(exc), print_exception=False) from None

    names, defaults = parameter_names(spec)
    return describe_tool(with_parameters(run, names, defaults), spec, policy)


def task_tab(spec: TaskSpec, policy: Policy) -> None:
    """The tab of one task."""
    safety = Safety.from_env(policy.public)  # on in public mode unless NLP_PLAYGROUND_SAFETY says otherwise
    with gr.Tab(spec.title, id=spec.name):
        gr.Markdown(spec.description)
        with gr.Row():
            with gr.Column():
                beside = {item.name: input_component(item, policy) for item in spec.inputs if not item.advanced}
                extra: list[gr.components.Component] = []
                if spec.main_input.kind == "texts":
                    extra.append(gr.File(label="…or upload a .txt (one per line) or .csv", file_types=[".txt", ".csv"],
                                         type="filepath"))  # fmt: skip
                with gr.Row():
                    run_button = gr.Button("Run", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
                tucked: dict[str, gr.components.Component] = {}
                advanced = advanced_controls(spec, policy, tucked)
                fields = [beside[item.name] if item.name in beside else tucked[item.name] for item in spec.inputs]
                editor = template_editor(spec)
                settings = [*advanced, *([editor] if editor is not None else [])]
            with gr.Column():
                view_components, show = VIEWS[spec.display](spec)
                apply_button = gr.Button("Apply the ticked edits") if spec.display == "edits" else None
                # The check stage's flags, the same way on every tab that writes text.
                checks = [gr.HTML(label="Checks", elem_classes="checks")] if spec.checked else []
                stats = gr.Markdown(elem_classes="run-stats")
                with gr.Accordion("Raw output (JSON)", open=False):
                    raw = gr.JSON(label="Result")
                record_file = details_section(raw, spec)
        examples = _examples(spec)
        if examples:
            gr.Examples(examples, inputs=fields, cache_examples=False, label="Examples")

        form = [*fields, *extra, *settings]
        event = run_button.click(
            endpoint(spec, policy, safety, show),  # also its MCP tool
            inputs=form,
            outputs=[*view_components, *checks, stats, raw],
            api_name=spec.name,
            concurrency_id=LLM_QUEUE,
            concurrency_limit=llm_concurrency(),
        )
        event.then(save_record(spec, collect, policy), inputs=[raw, *form], outputs=record_file,
                   api_visibility="private")  # fmt: skip
        stop_button.click(None, cancels=[event])
        compare_section(spec, form, collect, policy, parameter_names(spec))
        if apply_button is not None:
            apply_button.click(apply_ticked, inputs=[fields[0], view_components[-1], raw], outputs=view_components[0],
                               api_name=f"{spec.name}_apply")  # fmt: skip
        batch_section(spec, advanced, policy)
