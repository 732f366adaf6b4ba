"""How each kind of result is shown: the components of a view and the function that fills them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from .. import api
from ..edits import apply_edits
from ..registry import TaskSpec

# A view: the components that show a result, and a function from (output, inputs) to their values.
View = tuple[list[gr.components.Component], Callable[[dict[str, Any], dict[str, Any]], list[Any]]]
EDIT_COLUMNS = ["apply", "original", "replacement", "engine", "message"]


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


def edit_rows(edits: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One table row per edit, ticked."""
    return [[True, e["original"], e["replacement"], e.get("source", ""), e.get("message", "")] for e in edits]


def apply_ticked(text: str, table: Any, raw: dict[str, Any] | None) -> str:
    """The text with only the ticked edits of the last result applied."""
    edits = (raw or {}).get("output", {}).get("edits") or []
    rows = table.values.tolist() if hasattr(table, "values") else list(table or [])
    ticked = [edit for edit, row in zip(edits, rows, strict=False) if row and bool(row[0])]
    return apply_edits(str(text or "").strip(), ticked)


def escape_markdown(text: str) -> str:
    """Text shown literally inside Markdown: markup characters and HTML are escaped, lines joined."""
    text = " ".join(str(text).split())
    for char in "\\`*_{}[]()#+-.!|~>":
        text = text.replace(char, "\\" + char)
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _text_view(spec: TaskSpec) -> View:
    box = gr.Textbox(label="Output", lines=8, buttons=["copy"], interactive=False)
    return [box], lambda out, inputs: [api.primary_text(out)]


def _label_view(spec: TaskSpec) -> View:
    label = gr.Label(label="Prediction", num_top_classes=20)
    return [label], lambda out, inputs: [out["scores"]]


def _edits_view(spec: TaskSpec) -> View:
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
        status = " · ".join(
            f"**{escape_markdown(name)}**: {escape_markdown(state)}" for name, state in out.get("engines", {}).items()
        )
        return [out["corrected"], highlight_edits(inputs.get("text", ""), edits), status, edit_rows(edits)]

    return [corrected, marked, engines, table], show


def _clusters_view(spec: TaskSpec) -> View:
    import pandas as pd

    summary = gr.Markdown(label="Clusters")
    plot = gr.ScatterPlot(x="x", y="y", color="cluster", tooltip=["text", "cluster"], label="Embeddings (2-D)")

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        lines = []
        for c in out["clusters"]:
            # A blank line ends the previous list; member texts and names are the user's and the model's: escaped.
            lines.append(f"**{c['id']}. {escape_markdown(c['name'])}** ({c['size']})\n")
            lines += [f"- {escape_markdown(m)}" for m in c["members"]]
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


VIEWS: dict[str, Callable[[TaskSpec], View]] = {
    "text": _text_view,
    "label": _label_view,
    "edits": _edits_view,
    "clusters": _clusters_view,
}
