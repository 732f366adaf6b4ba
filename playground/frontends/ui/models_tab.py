"""The Models tab: the embedded models, a curated list of bigger ones with their facts, downloads and deletes."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.secrets import user_message
from playground.engines.pool import POOL
from playground.policy.limits import Policy
from playground.service import downloads

log = logging.getLogger(__name__)
COLUMNS = ["name", "kind", "status", "disk", "memory", "licence", "speed", "about"]


def model_rows(policy: Policy) -> list[list[str]]:
    """The table's rows: embedded, curated and downloaded models with their facts (none if the manifest is bad)."""
    try:
        return [[row[c] for c in COLUMNS] for row in downloads.rows(policy.public, policy.allowed_models)]
    except PlaygroundError as exc:  # the app serves on; `nlp-playground models` names the problem too
        log.warning("the Models tab cannot list the models: %s", user_message(exc))
        return []


def choices() -> list[str]:
    """The curated models, then the other downloaded ones (which can be deleted here)."""
    try:
        others = [name for name in downloads.read_manifest() if name not in downloads.catalogue()]
    except PlaygroundError:
        others = []
    return [*downloads.catalogue(), *others]


def disk_line(policy: Policy) -> str:
    """The disk the downloaded models use (and where, except on a public deployment)."""
    where = "" if policy.public else f" in `{downloads.models_dir()}`"
    return f"Disk used by downloaded models: **{downloads.human(downloads.disk_used())}**{where}."


def models_tab(policy: Policy) -> None:
    """List the models; locally, download a curated one with a progress bar or delete one. Public mode only lists."""
    with gr.Tab("Models", id="models"):
        gr.Markdown(
            "The embedded models are small, so they are quick and private but often wrong. The curated models "
            "below are bigger open models that run on the same engines: download one, then pick it by name in a "
            "tab's *Advanced* → *Model* (or *embedder*), or with `--model NAME` on the command line. Sizes, memory "
            "and speed are the published orders of magnitude, not measurements of this machine."
        )
        table = gr.Dataframe(value=model_rows(policy), headers=COLUMNS, interactive=False, wrap=True, label="Models")
        disk = gr.Markdown(disk_line(policy))
        if policy.public:
            gr.Markdown(
                "On this public deployment the operator chooses the models (`nlp-playground models download` and "
                "NLP_PLAYGROUND_ALLOWED_MODELS); run the playground on your own machine to download one."
            )
            return
        with gr.Row():
            choice = gr.Dropdown(choices(), value=None, label="Model (a curated one to download, or one to delete)")
            get = gr.Button("Download", variant="primary", scale=0)
            remove = gr.Button("Delete", variant="stop", scale=0)
        status = gr.Markdown()

        def download(name: str | None, progress: gr.Progress = gr.Progress()) -> list[Any]:  # noqa: B008
            if not name:
                raise gr.Error("pick a curated model to download")

            def report(done: int, total: int) -> None:
                progress(done / total if total else None, desc=f"{name}: {downloads.human(done)} of "
                         f"{downloads.human(total)}")  # fmt: skip

            try:
                entry = downloads.download(downloads.source_for(name), progress=report)
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc)) from None
            where = "*Advanced* → *Model*" if entry.role == "llm" else "the *embedder* box"
            note = (f"**{entry.name}** is downloaded ({downloads.human(entry.bytes)}, SHA-256 checked): type its "
                    f"name in {where}; the model lists offer it after a restart.")  # fmt: skip
            return [note, model_rows(policy), disk_line(policy)]

        def delete(name: str | None) -> list[Any]:
            if not name:
                raise gr.Error("pick the model to delete")
            try:
                freed = downloads.delete(name)
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc)) from None
            POOL.forget({key for key in POOL.loaded() if key[0] == name})  # no loaded copy outlives its files
            return [f"Deleted **{name}**: {downloads.human(freed)} freed.", model_rows(policy), disk_line(policy)]

        # Private: a download or a delete is a page action, never an HTTP API endpoint or an MCP tool.
        get.click(download, choice, [status, table, disk], api_visibility="private", concurrency_id="downloads")
        remove.click(delete, choice, [status, table, disk], api_visibility="private", concurrency_id="downloads")
