"""The Collections tab: upload files into a document collection, see what it holds, remove documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from playground.core.errors import InputError, PlaygroundError
from playground.core.secrets import user_message
from playground.documents.indexing import add_files
from playground.documents.readers import SUPPORTED
from playground.documents.store import default_store
from playground.frontends.ui.helpers import LLM_QUEUE, collection_names, llm_concurrency
from playground.frontends.ui.views import escape_markdown
from playground.policy.limits import Policy

FILE_COLUMNS = ["document", "chunks", "characters", "sha256"]


def file_rows(name: str | None) -> list[list[Any]]:
    """One row per document of a collection; none for no collection."""
    if not name:
        return []
    return [[f.doc, f.chunks, f.chars, f.sha256[:12]] for f in default_store().files(name)]


def _choices(selected: str | None = None) -> Any:
    names = collection_names()
    return gr.Dropdown(choices=names, value=selected if selected in names else None)


def collections_tab(policy: Policy) -> None:
    """Upload, list and remove; on a public deployment the collections are the operator's, so it only lists."""
    with gr.Tab("Collections", id="collections"):
        gr.Markdown(
            "A collection is a named set of documents (txt, md, html, pdf, docx, jsonl) cut into passages and "
            "embedded, for **Search**, **Question answering** and **Duplicates**. It is kept on disk and survives "
            "a restart; `nlp-playground index` manages the same collections."
        )
        with gr.Row():
            name = gr.Dropdown(choices=collection_names(), value=None, allow_custom_value=True,
                               label="Collection (pick one, or type a new name)")  # fmt: skip
            refresh = gr.Button("Refresh", scale=0)
        editable = not policy.public
        with gr.Row(visible=editable):
            files = gr.File(label="Files to add", file_count="multiple", file_types=list(SUPPORTED), type="filepath")
            add = gr.Button("Add to the collection", variant="primary", scale=0)
        report = gr.Markdown()
        table = gr.Dataframe(headers=FILE_COLUMNS, interactive=False, label="Documents in the collection")
        with gr.Row(visible=editable):
            remove_names = gr.Dropdown(choices=[], multiselect=True, label="Documents to remove (none: all)")
            remove = gr.Button("Remove", variant="stop", scale=0)
        if policy.public:
            gr.Markdown("On this public deployment the operator manages the collections (`nlp-playground index`).")

        def show(selected: str | None) -> list[Any]:
            try:
                rows = file_rows(selected)
            except PlaygroundError as exc:
                return [rows_error(exc), [], gr.Dropdown(choices=[], value=[])]
            return ["", rows, gr.Dropdown(choices=[r[0] for r in rows], value=[])]

        def add_files_to(
            selected: str | None,
            paths: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            try:
                read_only(policy)
                if not selected:
                    raise InputError("name a collection first")
                if not paths:
                    raise InputError(f"choose files to add ({', '.join(SUPPORTED)})")
                progress(0, desc="reading and embedding")
                uploads = [(Path(p), Path(p).name) for p in paths]
                result = add_files(selected, uploads, progress=lambda n: progress(None, desc=f"+{n} passages"))
                rows = file_rows(selected)
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None
            lines = "\n".join(f"- {escape_markdown(line)}" for line in result.lines())
            return [lines, rows, _choices(selected), gr.Dropdown(choices=[r[0] for r in rows], value=[])]

        def remove_from(selected: str | None, docs: list[str] | None) -> list[Any]:
            try:
                read_only(policy)
                if not selected:
                    raise InputError("choose a collection first")
                removed = default_store().remove(selected, docs or [])
                rows = file_rows(selected) if docs else []
            except PlaygroundError as exc:
                raise gr.Error(user_message(exc), print_exception=False) from None
            text = f"Removed: {escape_markdown(', '.join(removed))}"
            kept = gr.Dropdown(choices=[r[0] for r in rows], value=[])
            return [text, rows, _choices(selected if docs else None), kept]

        name.change(show, inputs=name, outputs=[report, table, remove_names], api_visibility="private")
        refresh.click(lambda selected: _choices(selected), inputs=name, outputs=name, api_visibility="private")
        add.click(add_files_to, inputs=[name, files], outputs=[report, table, name, remove_names],
                  api_name="collection_add", concurrency_id=LLM_QUEUE, concurrency_limit=llm_concurrency())  # fmt: skip
        remove.click(remove_from, inputs=[name, remove_names], outputs=[report, table, name, remove_names],
                     api_name="collection_remove")  # fmt: skip


def read_only(policy: Policy) -> None:
    """Refuse changes on a public deployment, where a collection is everyone's (the API too, not just the page)."""
    if policy.public:
        raise InputError("collections are read-only on this public deployment; its operator manages them")


def rows_error(exc: PlaygroundError) -> str:
    return f"**Error:** {escape_markdown(user_message(exc))}"
