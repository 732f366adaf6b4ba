"""What each task's default answer costs against one plain pass of a model: `nlp-playground bench latency`.

For every task, on its bundled examples (or, for a task without examples, the first items of its bundled eval set),
in one warm process:

- the default: `api.run` with the task's defaults and seed 0, after a warm-up run on another input (model loads,
  calibration, fitted classifiers) and with the embedding cache emptied, as for a new text;
- the floor: one greedy pass of the task's first prompt that decodes as many tokens as the answer has (at least
  one: a label's), evaluated in one batch with no kept state, plus one embedding pass of its input texts when the
  task embeds; a task that only embeds has that pass alone.

The ratio is the default's time over the floor's, item by item, taking turns so a change in the machine's speed
meets both; the table gives the medians.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

TEXT_FIELDS = ("text", "texts", "query", "question", "prompt", "notes", "topic", "messages")


def task_inputs(task: str, items: int) -> list[dict[str, Any]]:
    """items + 1 inputs of a task (the last one for the warm-up): its examples, else its bundled eval set's rows."""
    from playground.core.resources import data_dir
    from playground.engines.pool import POOL
    from playground.evaluation.bench_quality import eval_inputs
    from playground.evaluation.documents import index_documents
    from playground.evaluation.evaluate import read_eval_set
    from playground.runtime.registry import get_task

    rows = get_task(task).example_rows()
    if not rows:
        path = data_dir("assets") / "eval" / f"{task}.jsonl"
        evals = read_eval_set(path, items + 1)
        index_documents(evals, {}, POOL)
        rows = [eval_inputs(task, row, evals) for row in evals]
    # With one example, the warm-up repeats it: the embedding cache is emptied before each timed run.
    return [*rows[:items], rows[-1]] if len(rows) > items else [*rows, rows[0]]


def input_texts(inputs: dict[str, Any]) -> list[str]:
    """The texts of a task's inputs that an embedding pass would read."""
    texts: list[str] = []
    for name in TEXT_FIELDS:
        value = inputs.get(name)
        if isinstance(value, str) and value.strip():
            texts.append(value)
        elif isinstance(value, list):
            texts += [v for v in value if isinstance(v, str) and v.strip()]
    return texts


def greedy_pass(backend: Any, prompt: Any, tokens: int) -> float:
    """Seconds of one plain greedy pass on llama.cpp: the prompt in one batch, then `tokens` tokens one at a time."""
    llm = backend.llm
    ids = backend._prompt_tokens(prompt)[0]
    with backend._lock:
        start = time.perf_counter()
        llm.reset()
        llm.eval(ids)
        for _ in range(max(1, tokens)):
            if llm.n_tokens >= llm.n_ctx():
                break
            llm.eval([int(np.argmax(backend._last_logits()))])
        seconds = time.perf_counter() - start
        llm.reset()
    return seconds


def embedding_pass(backend: Any, texts: Sequence[str]) -> float:
    """Seconds of one embedding pass over texts, past the embedding cache."""
    start = time.perf_counter()
    backend._encode(list(texts))
    return time.perf_counter() - start


def answer_text(output: dict[str, Any]) -> str:
    """The text of a task's answer: the strings of its first field when that is a list (ideas' titles and texts),
    else its main text."""
    from playground.service.api import primary_text

    first = next(iter(output.values()), "")
    if not isinstance(first, list):
        return primary_text(output)
    items = first
    return "\n".join(str(v) for item in items for v in (item.values() if isinstance(item, dict) else [item]))


def floor_seconds(result: Any, inputs: dict[str, Any]) -> tuple[float, str]:
    """The one-pass floor of a task's result, and what it is made of."""
    from playground.engines.catalogue import resolve
    from playground.engines.pool import POOL

    seconds, parts = 0.0, []
    embedded = any(m["calls"].get("embed") for m in result.timings["models"])
    if embedded or not result.prompts:
        texts = input_texts(inputs)
        embedder = next((m["name"] for m in result.timings["models"] if m["calls"].get("embed")), "minilm-l6-v2")
        backend, _ = POOL.get(resolve(embedder, role="embedder"))
        seconds += embedding_pass(backend, texts)
        parts.append(f"embed {len(texts)}")
    if result.prompts:
        first = result.prompts[0]
        backend, _ = POOL.get(resolve(first["model"]))
        # The answer as shown, and no more than the task generated: a cluster's name, not the texts listed with it.
        answer = answer_text(result.output)
        generated = sum(m["tokens"] for m in result.timings["models"] if m["name"] == first["model"])
        tokens = min(backend.count_tokens(answer) if answer else 1, max(1, generated))
        seconds += greedy_pass(backend, first["prompt"], tokens)
        parts.append(f"{first['model']} prompt + {tokens} tokens")
    return seconds, " + ".join(parts)


def measure(task: str, items: int = 3) -> dict[str, Any]:
    """The medians of the default's seconds, the floor's and their ratio on a task's first items."""
    from playground.engines.cache import EMBEDDINGS
    from playground.service import api

    *timed, spare = task_inputs(task, items)
    api.run(task, seed=0, **spare)
    defaults, floors, ratios, floor_of = [], [], [], ""
    for inputs in timed:
        EMBEDDINGS.clear()
        start = time.perf_counter()
        result = api.run(task, seed=0, **inputs)
        default = time.perf_counter() - start
        floor, floor_of = floor_seconds(result, inputs)
        defaults.append(default)
        floors.append(floor)
        ratios.append(default / max(floor, 1e-6))
    return {
        "task": task,
        "items": len(timed),
        "default_s": statistics.median(defaults),
        "floor_s": statistics.median(floors),
        "ratio": statistics.median(ratios),
        "floor": floor_of,
    }


def bench_latency(items: int = 3, tasks: Sequence[str] = ()) -> str:
    """A table: for every task the default's seconds, the one-pass floor and the ratio (medians over items)."""
    from playground.runtime.registry import all_tasks

    names = list(tasks) or [spec.name for spec in all_tasks()]
    lines = [
        "latency of each task's default against one plain pass (medians; seconds):",
        "| task | items | default | floor | ratio | floor (of the last item) |\n|---|---|---|---|---|---|",
    ]
    for name in names:
        row = measure(name, items)
        lines.append(
            f"| {name} | {row['items']} | {row['default_s']:.3f} | {row['floor_s']:.3f} | x{row['ratio']:.1f} "
            f"| {row['floor']} |"
        )
    lines.append(stores())
    lines.append(f"peak resident memory of this process, every task run: {peak_resident_mb():.0f} MB")
    return "\n".join(lines)


def peak_resident_mb() -> float:
    """The most resident memory this process has held so far (Linux's ru_maxrss is in kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stores() -> str:
    """What the loaded models' prefix stores hold, and how often a prompt found its prefix there."""
    from playground.engines.pool import POOL

    held = []
    for backend in POOL.backends():
        store = getattr(backend, "prefixes", None)
        if store is not None:
            held.append(f"{backend.ref.name} {len(store)} prefixes, {store.size / 2**20:.1f} MB, {store.hits} hits, "
                        f"{store.misses} misses")  # fmt: skip
    return "prefix stores: " + ("; ".join(held) or "none")
