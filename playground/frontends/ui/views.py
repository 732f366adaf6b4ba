"""How each kind of result is shown: the components of a view and the function that fills them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from playground.runtime.registry import TaskSpec
from playground.service import api
from playground.service.formatting import check_segments
from playground.text.edits import apply_edits

# A view: the components that show a result, and a function from (output, inputs) to their values.
View = tuple[list[gr.components.Component], Callable[[dict[str, Any], dict[str, Any]], list[Any]]]
EDIT_COLUMNS = ["apply", "original", "replacement", "engine", "message"]
SHOWN_MEMBERS = 20  # members a cluster lists on the page
MAX_PLOTTED = 2_000  # points the scatter plot draws


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
    return _escape(" ".join(str(text).split()))


def _escape(text: str) -> str:
    for char in "\\`*_{}[]()#+-.!|~>":
        text = text.replace(char, "\\" + char)
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _text_view(spec: TaskSpec) -> View:
    box = gr.Textbox(label="Output", lines=8, buttons=["copy"], interactive=False)
    return [box], lambda out, inputs: [api.primary_text(out)]


def _label_view(spec: TaskSpec) -> View:
    label = gr.Label(label="Prediction", num_top_classes=20)
    # A generated label (method=generate) has no scores: the chart shows the label alone, with no percentage.
    return [label], lambda out, inputs: [out.get("scores") or out["label"]]


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
        left_out = "; ".join(f"{e['original']} → {e['replacement']}" for e in out.get("left_out", []))
        if left_out:  # the LLM's edits over the word limit: shown, so a reader can judge the limit
            status += f"  \nLLM edits left out as too long: {escape_markdown(left_out)}"
        return [out["corrected"], highlight_edits(inputs.get("text", ""), edits), status, edit_rows(edits)]

    return [corrected, marked, engines, table], show


def _clusters_view(spec: TaskSpec) -> View:
    import pandas as pd

    summary = gr.Markdown(label="Clusters")
    plot = gr.ScatterPlot(x="x", y="y", color="cluster", tooltip=["text", "cluster"], label="Embeddings (2-D)")

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        if "clusters" not in out:  # still embedding
            return [escape_markdown(out.get("progress", "")), None]
        lines = []
        for c in out["clusters"]:
            # A blank line ends the previous list; member texts and names are the user's and the model's: escaped.
            lines.append(f"**{c['id']}. {escape_markdown(c['name'])}** ({c['size']})\n")
            many = c["size"] > SHOWN_MEMBERS  # then the members nearest the centroid come first
            central = c.get("representatives", [])
            shown = [*central, *(m for m in c["members"] if m not in central)][:SHOWN_MEMBERS]
            lines += [f"- {escape_markdown(m)}" for m in shown]
            if many:
                lines.append(f"- … and {c['size'] - len(shown):,} more (every member is in the JSON output)")
            lines.append("")
        names = {c["id"]: f"{c['id']}. {c['name']}" for c in out["clusters"]}
        texts = inputs[spec.main_input.name]
        rows = plotted_rows(len(out["points"]))
        frame = pd.DataFrame(
            {
                "x": [out["points"][i][0] for i in rows],
                "y": [out["points"][i][1] for i in rows],
                "cluster": [names[out["assignments"][i]] for i in rows],
                "text": [texts[i] for i in rows],
            }
        )
        return ["\n".join(lines), frame]

    return [summary, plot], show


def plotted_rows(n: int, most: int = MAX_PLOTTED) -> list[int]:
    """The points a page plots: all of them up to `most`, else an evenly spaced selection (every cluster keeps
    its share)."""
    if n <= most:
        return list(range(n))
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})


def mark_words(text: str, wanted: set[str]) -> str:
    """Text escaped for Markdown, with the words in `wanted` (lower-cased) in bold."""
    out = []
    for piece in re.split(r"(\w+)", " ".join(str(text).split())):
        shown = _escape(piece)
        out.append(f"**{shown}**" if piece.lower() in wanted and re.fullmatch(r"\w+", piece) else shown)
    return "".join(out)


def _where(item: dict[str, Any]) -> str:
    page = f"page {item['page']}, " if item.get("page") else ""
    return f"{escape_markdown(item['doc'])} ({page}characters {item['start']}-{item['end']})"


RANKINGS = (("meaning", "vector_rank"), ("keywords", "keyword_rank"))
SOURCES = {"generated": "generated by the model from the passages", "none": "no passages",
           "extractive": "the passage sentence that best matches the question"}  # fmt: skip


def hits_markdown(hits: Sequence[dict[str, Any]], query: str) -> str:
    """Each hit: where it is, its fused score and ranks, and its text with the query's words in bold."""
    if not hits:
        return "No passages found."
    wanted = {w.lower() for w in re.findall(r"\w+", query) if len(w) > 1 or w.isdigit()}
    blocks = []
    for number, hit in enumerate(hits, 1):
        ranks = ", ".join(f"{name} #{hit[key]}" for name, key in RANKINGS if hit.get(key))
        blocks.append(f"**{number}. {_where(hit)}** · score {hit['score']:.4f} · {ranks}\n\n"
                      f"> {mark_words(hit['text'], wanted)}")  # fmt: skip
    return "\n\n".join(blocks)


def _hits_view(spec: TaskSpec) -> View:
    box = gr.Markdown(label="Passages")
    return [box], lambda out, inputs: [hits_markdown(out.get("hits", []), inputs.get("query", ""))]


def _answer_view(spec: TaskSpec) -> View:
    answer = gr.Textbox(label="Answer", lines=3, buttons=["copy"], interactive=False)
    sources = gr.Markdown()

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        source = SOURCES.get(out.get("source", ""), "")
        lines = [f"**Answer**: {source}" + (f" — {escape_markdown(out['note'])}" if out.get("note") else "")]
        for number, cite in enumerate(out.get("citations", []), 1):
            lines.append(f"{number}. {_where(cite)}: {escape_markdown(cite['text'])}")
        return [out.get("answer", ""), "\n\n".join(lines)]

    return [answer, sources], show


def pair_rows(pairs: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One table row per pair: both sides, how alike, and the first shared passage of each."""
    rows = []
    for pair in pairs:
        first = (pair.get("spans") or [{}])[0]
        rows.append([str(pair["a"]), str(pair["b"]), pair["kind"], round(float(pair["score"]), 3),
                     first.get("a_text", ""), first.get("b_text", "")])  # fmt: skip
    return rows


def _pairs_view(spec: TaskSpec) -> View:
    table = gr.Dataframe(headers=["a", "b", "kind", "score", "passage in a", "passage in b"], wrap=True,
                         interactive=False, label="Copies and paraphrases")  # fmt: skip
    return [table], lambda out, inputs: [pair_rows(out.get("pairs", []))]


def _keywords_view(spec: TaskSpec) -> View:
    table = gr.Dataframe(headers=["keyword", "score", "count"], datatype=["str", "number", "number"],
                         label="Keywords, best first", interactive=False)  # fmt: skip
    meta = gr.Textbox(label="Meta description", lines=2, buttons=["copy"], interactive=False)

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        rows = [[k["keyword"], k["score"], k["count"]] for k in out["keywords"]]
        return [rows, out.get("meta_description", "")]

    return [table, meta], show


def _ideas_view(spec: TaskSpec) -> View:
    listing = gr.Markdown(label="Ideas")

    def show(out: dict[str, Any], inputs: dict[str, Any]) -> list[Any]:
        lines = [f"{n}. **{escape_markdown(i['title'])}**" + (f": {escape_markdown(i['description'])}"
                 if i["description"] else "") for n, i in enumerate(out["ideas"], 1)]  # fmt: skip
        if out.get("note"):
            lines.append(f"\n*{escape_markdown(out['note'])}*")
        return ["\n".join(lines)]

    return [listing], show


CHECK_COLOURS = {"untranslated": "#fde68a", "unsupported": "#fecaca", "length": "#e9d5ff", "meaning": "#fed7aa",
                 "repeated": "#bfdbfe", "unchecked": "#e5e7eb"}  # fmt: skip


def checks_html(output: dict[str, Any], checked: str) -> str:
    """The checked text with each flagged span marked (its message on hover), then the checks listed; a line saying
    that nothing was flagged when so, and nothing while the answer is still streaming."""
    if "checks" not in output:
        return ""
    checks, text = output["checks"], str(output.get(checked) or "")
    if not checks:
        return "<p class='checks checks-clean'>Checks: nothing flagged.</p>"
    pieces = []
    for piece, covering in check_segments(text, checks):
        if not covering:
            pieces.append(html.escape(piece))
            continue
        first = checks[covering[0]]
        title = "; ".join(f"{checks[n]['kind']}: {checks[n]['message']}" for n in covering)
        numbers = ",".join(str(n + 1) for n in covering)
        pieces.append(f"<mark class='check check-{html.escape(first['kind'])}' title='{html.escape(title)}' "
                      f"style='background:{CHECK_COLOURS.get(first['kind'], '#e5e7eb')}'>{html.escape(piece)}"
                      f"<sup>{numbers}</sup></mark>")  # fmt: skip
    listed = "".join(f"<li><b>{html.escape(c['kind'])}</b>: {html.escape(c['message'])}</li>" for c in checks)
    return (f"<div class='checks'><p><b>Checks</b>: {len(checks)} flagged (hover a marked span)</p>"
            f"<p style='white-space:pre-wrap'>{''.join(pieces)}</p><ol>{listed}</ol></div>")  # fmt: skip


VIEWS: dict[str, Callable[[TaskSpec], View]] = {
    "text": _text_view,
    "label": _label_view,
    "edits": _edits_view,
    "clusters": _clusters_view,
    "hits": _hits_view,
    "answer": _answer_view,
    "pairs": _pairs_view,
    "keywords": _keywords_view,
    "ideas": _ideas_view,
}
