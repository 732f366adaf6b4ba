"""Each evaluated task's adapter and the scoring that its metrics need: ROUGE with facts kept, BLEU and chrF, GLEU
on tokenised text, style moves, keyword recall; the document tasks' adapters come from the documents module."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from playground.core.errors import InputError, PlaygroundError
from playground.evaluation import documents as eval_documents
from playground.evaluation.adapter import Adapter
from playground.metrics import load as load_metric
from playground.service import api
from playground.text.sentences import split_sentences
from playground.text.style_measures import moved
from playground.text.textio import same_words, singular_words

log = logging.getLogger(__name__)

Row = dict[str, Any]


def row_text(row: Row, *keys: str) -> str:
    for key in keys:
        if isinstance(row.get(key), str):
            return str(row[key])
    raise InputError(f"an eval item needs one of the fields {', '.join(keys)}; it has {', '.join(sorted(row))}")


def _references(row: Row) -> list[str]:
    refs = row.get("references", row.get("reference"))
    if isinstance(refs, str):
        return [refs]
    if isinstance(refs, list) and refs and all(isinstance(r, str) for r in refs):
        return refs
    raise InputError("an eval item needs `reference` (a string) or `references` (a list of strings)")


def _label_set(rows: Sequence[Row]) -> list[str]:
    return sorted({str(r["label"]) for r in rows if "label" in r})


def _accuracy(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("accuracy_f1").compute(predictions=list(preds), references=list(refs)) or {})


def _rouge(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("rouge").compute(predictions=list(preds), references=[r[0] for r in refs]) or {})


_WORD = re.compile(r"\d[\d,.]*\d|[\w-]+")


def facts(text: str) -> set[str]:
    """The names and numbers of a text: numbers, and capitalised words past the first word of a sentence."""
    found = set()
    for sentence in split_sentences(text):
        for match in _WORD.finditer(sentence):
            word = match.group()
            if word[0].isdigit() or (word[0].isupper() and match.start() > 0):
                found.add(word.lower())
    return found


def _summary_scores(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """ROUGE against the reference; how long each summary is against its document (mean and most, in words);
    and the share of the reference's names and numbers found in the document that the summary keeps."""
    documents = [row_text(row, "document", "text") for row in rows]
    ratios = [len(str(p).split()) / max(1, len(d.split())) for p, d in zip(preds, documents, strict=True)]
    kept = []
    for pred, ref, document in zip(preds, refs, documents, strict=True):
        wanted = facts(ref[0]) & facts(document)
        if wanted:
            have = {w.lower() for w in _WORD.findall(str(pred))}
            kept.append(len(wanted & have) / len(wanted))
    return {
        **_rouge(preds, refs, rows),
        "length_ratio": sum(ratios) / len(ratios),
        "length_ratio_max": max(ratios),
        **({"facts_kept": sum(kept) / len(kept)} if kept else {}),
    }


def _style_scores(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    """chrF against the human rewrite; the share of outputs that copy the input (the same words); for the
    positive and negative styles, the share that the playground's own sentiment task labels with the target; and
    for formal, informal, simple and concise, the share further in that style than the input (`moved`)."""
    sources = [row_text(row, "source", "text") for row in rows]
    scores = {**_chrf(preds, refs, rows), "copied": sum(map(same_words, preds, sources)) / max(1, len(preds))}
    styles = [str(row.get("target_style", row.get("style"))) for row in rows]
    moves = [moved(style, str(p), src) for style, p, src in zip(styles, preds, sources, strict=True)]
    measured = [m for m in moves if m is not None]
    if measured:  # formal, informal, simple, concise: the rewrite is further in the style than its input
        scores["moved"] = sum(measured) / len(measured)
    polar = [(str(p), style) for p, style in zip(preds, styles, strict=True) if style in ("positive", "negative")]
    if polar:
        try:  # the sentiment task at its default, the ensemble (the ranking uses two of its four voters)
            labels = [api.run("sentiment", text=p or ".").output["label"] for p, _ in polar]
        except PlaygroundError as exc:  # the metric is left out; the report keeps the others
            log.warning("target_style left out: the sentiment task failed: %s", exc)
            return scores
        scores["target_style"] = sum(label == want for label, (_, want) in zip(labels, polar, strict=True)) / len(polar)
    return scores


def _bleu_chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    bleu = load_metric("bleu").compute(predictions=list(preds), references=list(refs)) or {}
    chrf = load_metric("chrf").compute(predictions=list(preds), references=list(refs)) or {}
    return {**bleu, **chrf}


def _chrf(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    return dict(load_metric("chrf").compute(predictions=list(preds), references=list(refs)) or {})


def _tokenized(text: str) -> str:
    # GLEU compares whitespace tokens. JFLEG is tokenised ("yesterday ."), the engines write prose ("yesterday."):
    # tokenising everything the same way (sacrebleu's 13a) keeps a fixed space from counting as an error.
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return str(Tokenizer13a()(text))


def _gleu(preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[Row]) -> dict[str, float]:
    sources = [_tokenized(row_text(r, "source", "text")) for r in rows]
    predictions = [_tokenized(p) for p in preds]
    references = [[_tokenized(x) for x in group] for group in refs]
    return dict(load_metric("gleu").compute(sources=sources, predictions=predictions, references=references) or {})


def _sentence_chrf(pred: Any, ref: Any, row: Row) -> float:
    return float(_chrf([pred], [ref], [row])["chrf"])


def _term(text: str) -> str:
    """A key term compared loosely: lower case, a plural -s dropped from each word."""
    return " ".join(singular_words(str(text)))


def _recall_at_10(pred: Any, ref: Any, row: Row) -> float:
    """The share of the editor's terms (ref) among the first ten predicted."""
    found = {_term(k) for k in pred[:10]}
    return sum(_term(t) in found for t in ref) / len(ref)


ADAPTERS: dict[str, Adapter] = {
    "sentiment": Adapter(
        inputs=lambda row, rows: {"text": row_text(row, "text")},
        reference=lambda row: str(row["label"]),
        prediction=lambda out: out["label"],
        score=_accuracy,
        item_score=lambda pred, ref, row: float(pred == ref),
    ),
    "classification": Adapter(
        inputs=lambda row, rows: {"text": row_text(row, "text"), "labels": row.get("labels") or _label_set(rows)},
        reference=lambda row: str(row["label"]),
        prediction=lambda out: out["label"],
        score=_accuracy,
        item_score=lambda pred, ref, row: float(pred == ref),
    ),
    "summarization": Adapter(
        inputs=lambda row, rows: {"text": row_text(row, "document", "text"), "mode": row.get("mode", "abstractive")},
        reference=_references,
        prediction=lambda out: out["summary"],
        score=_summary_scores,
        item_score=lambda pred, ref, row: float(_rouge([pred], [ref], [row])["rougeL"]),
    ),
    "translation": Adapter(
        inputs=lambda row, rows: {
            "text": row_text(row, "source", "text"),
            "target_lang": row["target_lang"],
            "source_lang": row.get("source_lang", "auto"),
        },
        reference=_references,
        prediction=lambda out: out["text"],
        score=_bleu_chrf,
        item_score=_sentence_chrf,
        best=100.0,
    ),
    "grammar": Adapter(
        inputs=lambda row, rows: {"text": row_text(row, "source", "text")},
        reference=_references,
        prediction=lambda out: out["corrected"],
        score=_gleu,
        item_score=lambda pred, ref, row: float(_gleu([pred], [ref], [row])["gleu"]),
    ),
    "style_transfer": Adapter(
        inputs=lambda row, rows: {
            "text": row_text(row, "source", "text"),
            "style": row.get("target_style", row.get("style")),
        },
        reference=_references,
        prediction=lambda out: out["text"],
        score=_style_scores,
        item_score=_sentence_chrf,
        best=100.0,
    ),
    "keywords": Adapter(
        inputs=lambda row, rows: {"text": row_text(row, "text")},
        reference=lambda row: list(row["keywords"]),
        prediction=lambda out: [k["keyword"] for k in out["keywords"]],
        score=lambda preds, refs, rows: {"recall@10": sum(map(_recall_at_10, preds, refs, rows)) / len(preds)},
        item_score=_recall_at_10,
    ),
}
ADAPTERS.update(eval_documents.adapters())  # search, qa, duplicates
EVAL_TASKS = (*ADAPTERS, "clustering")
