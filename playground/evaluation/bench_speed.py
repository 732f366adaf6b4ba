"""Benchmarks of speed past the raw library: prompt-lookup drafting, clustering at scale, batch throughput.

Each prints a ratio against its baseline, measured in the same process (`nlp-playground bench NAME`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

# Twenty short sentences with learner's errors, written for this benchmark.
SENTENCES = (
    "She go to school every days and she like it.",
    "I has two brother and one sister.",
    "They was very happy with there new house.",
    "He don't know nothing about the meeting.",
    "We goes to the beach when the weather are nice.",
    "My friend have a dog who bark all night.",
    "The childs was playing in the garden since two hours.",
    "I am agree with your opinion about the film.",
    "She can sings very good when she is happy.",
    "There is many reasons to learn a second language.",
    "He buyed a new car last week and drive it to work.",
    "The informations you gave me was very useful.",
    "I didn't went to the party because I was tired.",
    "Everyone in the class have finished their homework.",
    "The book what I read yesterday was very interesting.",
    "We was waiting for the bus during one hour.",
    "If I would have known, I would have came earlier.",
    "My parents lives in a small village near the sea.",
    "The teacher explained us the new rules of the game.",
    "He is more taller than his brother and more stronger.",
)
STYLE_TEXTS = (
    "hey, can u send me the report by tomorrow? thx",
    "The meeting got moved to Friday because the boss is away.",
    "We gotta fix the website before the big sale starts next week.",
    "The new phone is really good and the battery lasts ages.",
    "Sorry I missed your call, I was stuck in traffic for like an hour.",
)
REGISTERS = ("formal", "concise")
QUOTE = (
    "The town library will close for six weeks from Monday while its roof is repaired. Books can still be "
    "returned at the town hall, and a mobile library will visit the market square every Saturday."
)


def _summaries() -> list[str]:
    from playground.core.resources import data_dir
    from playground.evaluation.evaluate import read_eval_set

    return [row["document"] for row in read_eval_set(data_dir("assets") / "eval" / "summarization.jsonl")]


def _drafting_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    """(task, one input per call) for the tasks that copy long runs of their input."""
    return [
        ("grammar", [{"text": s, "engines": ["llm"]} for s in SENTENCES]),
        ("style_transfer", [{"text": t, "style": s, "candidates": 1} for t in STYLE_TEXTS for s in REGISTERS]),
        ("summarization", [{"text": doc} for doc in _summaries()]),
        ("chat", [{"messages": [{"role": "user", "content": f"Repeat this text word for word:\n{QUOTE}"}]}]),
    ]


def _pass(task: str, rows: Sequence[dict[str, Any]], **params: Any) -> tuple[float, list[Any]]:
    """Seconds for the whole pass and each output, one call per row."""
    from playground.service import api

    outputs = []
    start = time.perf_counter()
    for row in rows:
        outputs.append(api.run(task, **row, temperature=0, seed=0, **params).output)
    return time.perf_counter() - start, outputs


def bench_drafting(engines: Sequence[str] = ("llama.cpp", "transformers"), draft: str = "prompt-lookup") -> str:
    """Each rewrite task with prompt-lookup drafting against plain decoding (greedy), on each in-process engine."""
    lines = []
    for engine in engines:
        for task, rows in _drafting_cases():
            _pass(task, rows[:1], engine=engine)  # warm-up: load the model, fill the page cache
            _pass(task, rows[:1], engine=engine, draft=draft)
            plain, expected = _pass(task, rows, engine=engine)
            drafted, outputs = _pass(task, rows, engine=engine, draft=draft)
            same = sum(a == b for a, b in zip(expected, outputs, strict=True))
            lines.append(f"{task} on {engine}, {len(rows)} inputs: plain {plain:.2f} s, {draft} {drafted:.2f} s, "
                         f"x{plain / drafted:.2f}; identical outputs {same}/{len(rows)}")  # fmt: skip
    return "prompt-lookup drafting (greedy):\n  " + "\n  ".join(lines)


def bench_clustering(n: int = 10_000) -> str:
    """Clustering n texts (k chosen automatically) against the raw SentenceTransformer.encode of the same texts."""
    from playground.engines.cache import EMBEDDINGS
    from playground.engines.catalogue import resolve
    from playground.engines.pool import POOL
    from playground.evaluation.bench_duplicates import synthetic_texts
    from playground.service import api

    backend, _ = POOL.get(resolve("minilm-l6-v2", role="embedder"))
    texts, _ = synthetic_texts([f"word{i}" for i in range(500)], n=n, planted=0)
    api.run("clustering", texts=texts[:50])  # warm-up: both models loaded
    start = time.perf_counter()
    backend.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)  # type: ignore[attr-defined]
    raw = time.perf_counter() - start
    EMBEDDINGS.clear()  # the playground embeds them afresh, as a first run would
    start = time.perf_counter()
    result = api.run("clustering", texts=texts)
    full = time.perf_counter() - start
    return (f"clustering {n:,} texts: raw encode {raw:.1f} s, playground (embed, k on a sample, k-means, names, "
            f"plot) {full:.1f} s, x{full / raw:.2f} of the encode; k={result.output['k']}")  # fmt: skip


OPENINGS = (
    "The staff were friendly and the room was spotless.",
    "Our order came out wrong twice and nobody said sorry.",
    "The battery barely lasts a morning.",
    "I would happily come back next summer.",
    "The instructions were missing half the steps.",
    "Great value for the price, it works as described.",
    "The film dragged on for far too long.",
    "Delivery was quick and the box was well packed.",
)
CLOSINGS = (
    "Would not recommend.",
    "Five stars from me.",
    "It was fine, nothing special.",
    "I asked for a refund.",
    "My kids loved it.",
    "Never again.",
)


def reviews(n: int) -> list[str]:
    """n short reviews, each an opening and a closing from the lists above (written for this benchmark)."""
    return [f"{OPENINGS[i % len(OPENINGS)]} {CLOSINGS[i // len(OPENINGS) % len(CLOSINGS)]}" for i in range(n)]


def bench_throughput(n: int = 1_000, rounds: int = 10) -> str:
    """Sentiment over n reviews through the batch API, against the floor of one raw prompt pass per review, and
    against several prompts evaluated as sequences of one llama.cpp batch.

    The three run in turns on a tenth of the reviews at a time, so a change in the machine's speed meets all three.
    """
    from playground.engines.catalogue import resolve
    from playground.engines.llamacpp import LlamaCppBackend
    from playground.engines.pool import POOL
    from playground.runtime.templates import render
    from playground.service import api

    backend, _ = POOL.get(resolve("smollm2-135m"))
    assert isinstance(backend, LlamaCppBackend)
    texts = reviews(n)
    list(api.run_batch("sentiment", [{"text": t, "method": "score"} for t in texts[:4]]))  # warm-up: calibration, pages
    prompts = [backend._tokens(render("sentiment.j2", text=t), bos=True) for t in texts]
    packer = SequencePacker(backend)
    seconds = {"floor": 0.0, "api": 0.0, "packed": 0.0}
    failed, agree, apart = 0, 0, 0.0
    size = -(-n // rounds)
    for start in range(0, n, size):
        part = range(start, min(start + size, n))
        began = time.perf_counter()
        single = []
        for i in part:  # the floor: the model reads each prompt once and nothing else happens
            backend.llm.reset()
            backend.llm.eval(prompts[i])
            single.append(packer.label_logits(backend.llm.ctx, -1))
        seconds["floor"] += time.perf_counter() - began
        began = time.perf_counter()
        items = list(api.run_batch("sentiment", [{"id": i, "text": texts[i], "method": "score"} for i in part]))
        seconds["api"] += time.perf_counter() - began
        failed += sum(1 for item in items if item.error)
        began = time.perf_counter()
        packed = packer.logits([prompts[i] for i in part])
        seconds["packed"] += time.perf_counter() - began
        agree += sum(a.argmax() == b.argmax() for a, b in zip(single, packed, strict=True))
        apart = max(apart, *(float(abs(a - b).max()) for a, b in zip(single, packed, strict=True)))
    rate = {name: n / value for name, value in seconds.items()}
    return (f"sentiment over {n:,} reviews: one prompt pass each {rate['floor']:.1f} items/s; the batch API "
            f"{rate['api']:.1f} items/s, x{rate['api'] / rate['floor']:.2f} of the floor ({failed} failed); "
            f"{SEQUENCES} prompts as sequences of one llama.cpp batch {rate['packed']:.1f} items/s, "
            f"x{rate['packed'] / rate['floor']:.2f} of the floor (same label as one by one: {agree}/{n}; "
            f"label logits up to {apart:.2f} apart)")  # fmt: skip


SEQUENCES = 8


class SequencePacker:
    """Evaluates prompts SEQUENCES at a time as separate sequences of one llama.cpp batch, in a second context made
    with room for them (the engine's own context holds one sequence); reads the three sentiment labels' logits."""

    def __init__(self, backend: Any) -> None:
        import llama_cpp
        from llama_cpp import _internals

        self.llm = backend.llm
        params = llama_cpp.llama_context_params.from_buffer_copy(self.llm.context_params)
        params.n_seq_max, params.kv_unified = SEQUENCES, True
        self.ctx = _internals.LlamaContext(model=self.llm._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=self.llm.n_batch, embd=0, n_seq_max=SEQUENCES, verbose=False)
        self.label_tokens = [backend._tokens(f" {name}", bos=False)[0] for name in ("positive", "negative", "neutral")]

    def label_logits(self, context: Any, index: int) -> Any:
        """The three labels' logits at a batch position of a context."""
        import llama_cpp
        import numpy as np

        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(context, index), shape=(self.llm.n_vocab(),))
        return logits[self.label_tokens].copy()

    def logits(self, prompts: Sequence[list[int]]) -> list[Any]:
        import llama_cpp

        found: list[Any] = []
        for start in range(0, len(prompts), SEQUENCES):
            self.batch.reset()
            ends = []
            for seq, tokens in enumerate(prompts[start : start + SEQUENCES]):
                self.batch.add_sequence(tokens, seq, False)
                ends.append(self.batch.batch.n_tokens - 1)
            self.ctx.decode(self.batch)
            found += [self.label_logits(self.ctx.ctx, end) for end in ends]
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx.ctx), True)
        return found


def bench_sequences(repeats: int = 5) -> str:
    """Parallel sequences on each embedded model: the cost of one decode step of n tokens (each with its logits)
    against a step of one, and four sampled translations decoded side by side against one after another."""
    import statistics

    import numpy as np

    from playground.engines.base import Backend
    from playground.engines.catalogue import resolve
    from playground.engines.params import make_params
    from playground.engines.pool import POOL

    lines = []
    for name in ("gemma3-270m", "smollm2-135m"):
        backend, _ = POOL.get(resolve(name))
        llm = backend.llm  # type: ignore[attr-defined]
        head = llm.tokenize(b"Translate into French. English: The weather is nice today and we go out. French:")
        tail = llm.tokenize(b" Il fait beau aujourd'hui et nous sortons nous promener dans le parc", add_bos=False)
        kept = llm.scores, llm._logits_all
        llm.scores, llm._logits_all = np.empty((len(head) + 8, llm.n_vocab()), dtype=np.single), True
        try:
            steps = {}
            for n in (1, 2, 4, 8):
                times = []
                for _ in range(repeats):
                    llm.reset()
                    llm.eval(head)
                    start = time.perf_counter()
                    llm.eval(tail[:n])
                    times.append(time.perf_counter() - start)
                steps[n] = statistics.median(times)
        finally:
            llm.scores, llm._logits_all = kept
            llm.reset()
        costs = ", ".join(f"{n} tokens x{t / steps[1]:.2f}" for n, t in steps.items())
        lines.append(f"{name}: a decode step of {costs} a step of one ({steps[1] * 1000:.1f} ms)")
    backend, _ = POOL.get(resolve("gemma3-270m"))
    prompt = "Translate English to French.\nEnglish: The weather is nice today, so we walk to the harbour.\nFrench:"
    params = make_params({"temperature": 0.5, "stop": ["\n"], "max_new_tokens": 64, "seed": 1})
    seeds = [2, 3, 4, 5]
    backend.generate_many(prompt, params, seeds)  # warm-up
    start = time.perf_counter()
    side = backend.generate_many(prompt, params, seeds)
    together = time.perf_counter() - start
    start = time.perf_counter()
    alone = Backend.generate_many(backend, prompt, params, seeds)
    apart = time.perf_counter() - start
    same = sum(a == b for a, b in zip(side, alone, strict=True))
    lines.append(f"gemma3-270m, 4 sampled translations: side by side {together:.2f} s, one after another "
                 f"{apart:.2f} s, x{apart / together:.2f}; the same text for {same} of 4 seeds")  # fmt: skip
    return "parallel sequences:\n  " + "\n  ".join(lines)


SPEED_BENCHES: dict[str, Callable[[], str]] = {
    "sequences": bench_sequences,
    "throughput": bench_throughput,
    "drafting": bench_drafting,
    "clustering": bench_clustering,
}
