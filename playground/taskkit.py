"""Building blocks that tasks share: templated generation, label scoring and small text helpers."""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .backends import Backend, Prompt
from .context import MeteredBackend, TaskContext
from .params import GenerationParams
from .registry import Inputs, Output, Runner


def as_prompt(ctx: TaskContext, text: str, chat: bool) -> Prompt:
    """Send text as a user message when the task wants chat and the model has a chat template."""
    if chat and ctx.llm.supports_chat:
        return [{"role": "user", "content": text}]
    return text


def first_line(text: str) -> str:
    """Keep the first non-empty line: few-shot completions go on to invent the next example."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def sampled_lines(llm: Backend, prompt: Prompt, params: GenerationParams, count: int, temperature: float) -> list[str]:
    """count more first lines of the prompt's completion, sampled at temperature (or the call's, if higher).

    Each has its own seed, the call's plus 1, 2, ...: a run with a seed repeats its candidates exactly.
    """
    sampling = params.merged(temperature=max(params.temperature, temperature))
    seeds = [((params.seed or 0) + number) % 2**32 for number in range(1, count + 1)]
    return [first_line(llm.generate(prompt, sampling.merged(seed=seed))) for seed in seeds]


def generate_runner(
    template: str,
    postprocess: Callable[[str, Inputs], Output],
    *,
    stop: Sequence[str] = (),
    chat: bool = False,
    key: str = "text",
) -> Runner:
    """A task that renders one template, streams the model's answer and post-processes the whole of it."""

    def run(ctx: TaskContext, inputs: Inputs) -> Iterator[Output]:
        prompt = as_prompt(ctx, ctx.render(template, **inputs), chat)
        text = ""
        for piece in ctx.llm.stream(prompt, ctx.with_params(stop=tuple(stop))):
            text += piece
            yield {key: text.strip()}
        yield postprocess(text, inputs)

    return run


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


_ABBREVIATIONS = ("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "u.s")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9ÀÁÂÄÇÉÈÊËÍÎÏÑÓÔÖÚÛÜ¿¡])")


_LINE = re.compile(r"[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")  # what str.splitlines keeps


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at end punctuation followed by a capital, and at line breaks.

    Common abbreviations and initials do not end a sentence; spans exclude surrounding whitespace.
    """
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            first = start + len(piece) - len(piece.lstrip())
            spans.append((first, first + len(stripped)))

    for line in _LINE.finditer(text):
        start, paragraph = line.start(), line.group()
        for match in _SENTENCE_END.finditer(paragraph):
            head = paragraph[start - line.start() : match.start()].rstrip()
            last_word = head.rsplit(None, 1)[-1].rstrip(".").lower() if head.split() else ""
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            add(start, line.start() + match.end())
            start = line.start() + match.end()
        add(start, line.end())
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (see sentence_spans)."""
    return [text[start:end] for start, end in sentence_spans(text)]
