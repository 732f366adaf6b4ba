"""Benchmarks that print ratios against a baseline measured in the same process: `nlp-playground bench`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from playground.core.errors import InputError
from playground.evaluation.bench_latency import bench_latency
from playground.evaluation.bench_quality import bench_techniques
from playground.evaluation.bench_soak import bench_soak
from playground.evaluation.bench_speed import SPEED_BENCHES

REVIEWS = (
    "The food was cold and the waiter was rude.",
    "Absolutely loved this film, the acting was superb!",
    "The package arrived on Tuesday.",
    "I waited forty minutes and nobody apologised.",
    "Fast delivery and the shoes fit perfectly.",
    "The plot made no sense and the jokes fell flat.",
)
LABELS = (" positive", " negative", " neutral")


def _timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of `repeat` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_scoring(repeat: int = 3) -> str:
    """Label scoring: the engine's shared-prefix scoring against re-evaluating the whole prompt for every label."""
    import numpy as np

    from playground.engines.catalogue import resolve
    from playground.engines.llamacpp import LlamaCppBackend
    from playground.engines.pool import POOL

    backend, _ = POOL.get(resolve("smollm2-135m"))
    assert isinstance(backend, LlamaCppBackend)
    contexts = [f"Review: {r}\nSentiment:" for r in REVIEWS]

    def naive() -> list[list[float]]:
        # The baseline: every label evaluates the whole prompt again before its own tokens.
        results = []
        for context in contexts:
            results.append([backend.score(context, [label])[0] for label in LABELS])
        return results

    def shared() -> list[list[float]]:
        return [backend.score(context, LABELS) for context in contexts]

    agree = np.allclose(np.array(naive()), np.array(shared()), atol=1e-3)
    base, fast = _timed(naive, repeat), _timed(shared, repeat)
    return (
        f"label scoring, {len(REVIEWS)} reviews x {len(LABELS)} labels: prompt per label {base:.3f} s, "
        f"shared prefix {fast:.3f} s, speed-up x{base / fast:.1f} (same scores: {agree})"
    )


def bench_engines(tokens: int = 64) -> str:
    """Decoding speed: llama.cpp on the GGUF file against transformers on its dequantized copy (the baseline)."""
    from playground.service import api

    prompt: dict[str, Any] = {"prompt": "Write a short story about a lighthouse keeper.", "temperature": 0}
    prompt["max_new_tokens"] = tokens
    api.run("generation", engine="transformers", **{**prompt, "max_new_tokens": 4})  # load (and dequantize once)
    api.run("generation", **{**prompt, "max_new_tokens": 4})
    hf = api.run("generation", engine="transformers", **prompt).timings
    cpp = api.run("generation", **prompt).timings
    return (
        f"decoding {tokens} tokens: transformers {hf['tokens_per_s']} tok/s, llama.cpp {cpp['tokens_per_s']} tok/s, "
        f"ratio x{(cpp['tokens_per_s'] or 0) / (hf['tokens_per_s'] or 1):.1f}"
    )


def bench_cold_start() -> str:
    """A fresh process answering one sentiment request, against a fresh process that only imports the package."""
    code = "import playground{}"
    request = "; playground.run('sentiment', text='The food was cold.')"

    def run(extra: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code.format(extra)], check=True, capture_output=True)
        return time.perf_counter() - start

    base = statistics.median(run("") for _ in range(3))
    full = statistics.median(run(request) for _ in range(3))
    return (
        f"cold start: import alone {base:.2f} s, import + first sentiment answer {full:.2f} s "
        f"(x{full / base:.1f}; the model load and answer add {full - base:.2f} s)"
    )


def _batch_rate(task: str, rows: Sequence[dict[str, Any]], base_url: str, workers: int, **common: Any) -> float:
    """Rows per second of a batch against a server with `workers` requests in flight (every row must succeed)."""
    from playground.engines.pool import ModelPool
    from playground.service import api

    pool = ModelPool()
    start = time.perf_counter()
    items = list(
        api.run_batch(task, rows, engine="openai", base_url=base_url, pool=pool, concurrency=workers, **common)
    )
    elapsed = time.perf_counter() - start
    failed = [item.error for item in items if item.error]
    if failed:
        raise InputError(f"the remote batch failed: {failed[0]}")
    return len(items) / elapsed


def bench_remote(rows: int = 24, delay: float = 0.25) -> str:
    """Batch throughput on the openai engine with 1 and 4 requests in flight, against two servers.

    llama-cpp-python's server runs one request at a time, so concurrency can only cost there; the loopback
    stand-in answers every request after a fixed delay and takes many at once, as vLLM does.
    """
    from playground.testing.localserver import llama_cpp_server
    from playground.testing.stubserver import StubServer

    reviews = [{"id": i, "text": REVIEWS[i % len(REVIEWS)]} for i in range(rows)]
    prompts = [{"id": i, "prompt": f"Tell me one fact about the number {i}."} for i in range(rows)]
    lines = []
    with llama_cpp_server() as url:
        _batch_rate("sentiment", reviews[:2], url, 1)  # warm-up: model pages, the calibration cache
        one, four = (_batch_rate("sentiment", reviews, url, n) for n in (1, 4))
        lines.append(f"llama-cpp-python server (one at a time), sentiment: 1 in flight {one:.1f} rows/s, "
                     f"4 in flight {four:.1f} rows/s, x{four / one:.2f}")  # fmt: skip
    with StubServer(delay=delay) as stub:
        one, four = (_batch_rate("generation", prompts, stub.base_url, n, max_new_tokens=8) for n in (1, 4))
        lines.append(f"stand-in answering after {delay} s, many at once, generation: 1 in flight {one:.1f} rows/s, "
                     f"4 in flight {four:.1f} rows/s, x{four / one:.2f}")  # fmt: skip
    return f"remote batch, {rows} rows:\n  " + "\n  ".join(lines)


def bench_duplicates() -> str:
    """Duplicate detection over 10,000 texts, against encoding them once (see bench_duplicates)."""
    from playground.evaluation.bench_duplicates import bench_duplicates as run

    return run()


def bench_embedding_cache(n: int = 2_000) -> str:
    """Embedding the same texts a second time in one process (a second search or duplicates run): from the cache."""
    from playground.engines.cache import EMBEDDINGS
    from playground.engines.catalogue import resolve
    from playground.engines.pool import POOL
    from playground.evaluation.bench_duplicates import synthetic_texts

    backend, _ = POOL.get(resolve("minilm-l6-v2", role="embedder"))
    texts, _ = synthetic_texts([f"word{i}" for i in range(500)], n=n, planted=0)
    backend.embed(texts[:32])  # warm-up
    EMBEDDINGS.clear()
    start = time.perf_counter()
    backend.embed(texts)
    first = time.perf_counter() - start
    start = time.perf_counter()
    backend.embed(texts)
    second = time.perf_counter() - start
    counts = f"{EMBEDDINGS.hits} hits, {EMBEDDINGS.misses} misses"
    return (f"embedding cache, {n} texts: first embedding {first:.2f} s, the same texts again {second:.3f} s "
            f"(x{first / max(second, 1e-9):.0f} faster; {counts})")  # fmt: skip


BENCHES: dict[str, Callable[[], str]] = {
    "scoring": bench_scoring,
    "engines": bench_engines,
    "cold-start": bench_cold_start,
    "remote": bench_remote,
    "duplicates": bench_duplicates,
    "embedding-cache": bench_embedding_cache,
    **SPEED_BENCHES,
    "techniques": bench_techniques,
    "latency": bench_latency,
    "soak": bench_soak,
}


def main(names: Sequence[str]) -> int:
    """Run the named benchmarks (all when none are named) and print one line each."""
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        raise InputError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    for name in names or BENCHES:
        print(BENCHES[name](), flush=True)
    return 0
