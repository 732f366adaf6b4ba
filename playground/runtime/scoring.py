"""Label scoring that tasks share: probabilities from log-likelihoods, calibration, channel and embedding votes."""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from playground.engines.base import Backend
from playground.runtime.context import MeteredBackend, TaskContext
from playground.runtime.registry import Inputs, Output


def softmax(values: Sequence[float]) -> list[float]:
    """Turn log-scores into probabilities that sum to 1."""
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def top_choice(labels: Sequence[str], probs: Sequence[float], loglik: Sequence[float] | None = None) -> Output:
    """The most probable label and every label's probability (and its raw log-likelihood, when scored)."""
    best = max(range(len(labels)), key=lambda i: probs[i])
    out = {"label": labels[best], "scores": {label: float(p) for label, p in zip(labels, probs, strict=True)}}
    if loglik is not None:
        out["loglikelihoods"] = {label: round(float(v), 4) for label, v in zip(labels, loglik, strict=True)}
    return out


# Inputs with no content: their label scores measure the prompt's own bias (contextual calibration).
CONTENT_FREE = ("N/A", "[MASK]", "")
# Per loaded model (dropped with it): the bias of a (template, labels, other inputs) prompt.
_calibration: weakref.WeakKeyDictionary[Backend, dict[tuple[Any, ...], list[float]]] = weakref.WeakKeyDictionary()
_calibration_lock = threading.Lock()


def calibrated_probs(
    ctx: TaskContext,
    template: str,
    inputs: Inputs,
    labels: Sequence[str],
    text_key: str,
    llm: MeteredBackend | None = None,
) -> tuple[list[float], list[float]]:
    """Score each label after the prompt and divide out the prompt's bias measured on content-free inputs.

    `llm` is the task's model unless another is given (a second voter). Returns the calibrated probabilities and
    each label's raw log-likelihood (summed over its tokens).
    """
    model = llm or ctx.llm
    continuations = [f" {label}" for label in labels]
    loglik = model.score(ctx.render(template, **inputs), continuations)
    raw = softmax(loglik)
    key = (template, tuple(labels), tuple(sorted((k, str(v)) for k, v in inputs.items() if k != text_key)))
    with _calibration_lock:
        cache = _calibration.setdefault(model.inner, {})
        bias = cache.get(key)
    if bias is None:
        rows = [
            softmax(model.score(ctx.render(template, **{**inputs, text_key: cf}), continuations)) for cf in CONTENT_FREE
        ]
        bias = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        with _calibration_lock:
            cache[key] = bias
    adjusted = [p / b for p, b in zip(raw, bias, strict=True)]
    total = sum(adjusted)
    return [a / total for a in adjusted], loglik


def channel_probs(
    ctx: TaskContext, template: str, inputs: Inputs, labels: Sequence[str], text_key: str
) -> tuple[list[float], list[float]]:
    """Noisy-channel scoring: how likely the text is after a prompt that names each label (P(text | label)).

    The text is the continuation, so each label costs one pass over it; a label the model likes to say for any text
    cannot win by being easy to say. Returns the probabilities (softmax over labels) and each log-likelihood.
    """
    text = str(inputs[text_key])
    loglik = [ctx.llm.score(ctx.render(template, **{**inputs, "label": label}), [f" {text}"])[0] for label in labels]
    return softmax(loglik), loglik


# Turns an embedder's cosines (a few hundredths apart) into probabilities a vote can weigh.
EMBEDDING_TEMPERATURE = 0.05


def embedding_probs(
    ctx: TaskContext, text: str, labels: Sequence[str], temperature: float = EMBEDDING_TEMPERATURE
) -> list[float]:
    """Zero-shot by the embedder: the text's cosine to "This text is about <label>." for each label, softened.

    The temperature turns cosines (a few hundredths apart) into probabilities a vote can weigh.
    """
    vectors = ctx.embedder.embed([text, *(f"This text is about {label}." for label in labels)])
    cosines = [float(vectors[0] @ vectors[i + 1]) for i in range(len(labels))]
    return softmax([c / temperature for c in cosines])


def weighted_vote(members: Sequence[tuple[float, Sequence[float]]]) -> list[float]:
    """Combine label distributions by a weighted sum of their log-probabilities (a product of experts)."""
    size = len(members[0][1])
    logits = [sum(w * math.log(max(probs[i], 1e-9)) for w, probs in members) for i in range(size)]
    return softmax(logits)


def ensemble_choice(
    labels: Sequence[str], voters: Mapping[str, Sequence[float]], weights: Mapping[str, float], loglik: Sequence[float]
) -> Output:
    """The label the weighted vote of the voters picks, as top_choice gives it, with each voter's distribution."""
    out = top_choice(labels, weighted_vote([(weights[name], probs) for name, probs in voters.items()]), loglik)
    out["voters"] = {name: dict(zip(labels, map(float, probs), strict=True)) for name, probs in voters.items()}
    return out
