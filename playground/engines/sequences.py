"""Several sampled continuations of one prompt, decoded side by side as parallel sequences of one llama.cpp context.

The prompt is evaluated once (sequence 0), and its cells are shared with sequences 1..n-1 (`llama_memory_seq_cp`
adds a sequence id to them, copying nothing). Each step then evaluates one token of every unfinished sequence in
one batch, and each sequence draws its next token with a sampler of its own, seeded with its own seed. On the CPUs
measured (docs/performance.md), a step of 4 tokens costs about 1.5 times a step of one, so 4 candidates cost far
less than 4 generations one after another.

The same prompt, settings and seeds give the same texts: the batches depend on them alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from playground.core.errors import ModelError
from playground.engines.params import GenerationParams

MAX_SEQUENCES = 8  # the sequences a context can hold; more seeds are decoded in groups of this many
_PATCH_LOCK = threading.Lock()


def side_by_side() -> int:
    """How many sequences to decode together: NLP_PLAYGROUND_SEQUENCES (1 to 8; 1 is one after another), else 8."""
    value = os.environ.get("NLP_PLAYGROUND_SEQUENCES", "").strip()
    if not value:
        return MAX_SEQUENCES
    if not value.isdigit() or not 1 <= int(value) <= MAX_SEQUENCES:
        raise ModelError(f"NLP_PLAYGROUND_SEQUENCES must be a whole number from 1 to {MAX_SEQUENCES}, not {value!r}")
    return int(value)


@contextlib.contextmanager
def parallel_contexts() -> Iterator[None]:
    """While the block runs, new llama-cpp-python contexts hold MAX_SEQUENCES sequences in one unified KV cache.

    Llama() takes its context parameters from `llama_context_default_params` and has no argument for these two;
    the function is swapped for the block only. The cache keeps its size: sequences share its cells.
    """
    from llama_cpp import llama_cpp as low

    with _PATCH_LOCK:
        default = low.llama_context_default_params

        def params() -> Any:
            made = default()
            made.n_seq_max = MAX_SEQUENCES
            made.kv_unified = True
            return made

        low.llama_context_default_params = params
        try:
            yield
        finally:
            low.llama_context_default_params = default


def decode_sequences(llm: Any, prompt: list[int], params: GenerationParams, seeds: Sequence[int]) -> list[str]:
    """The continuations of the prompt already evaluated in llm's sequence 0 (its tokens, the last one's logits
    ready), one per seed, at most MAX_SEQUENCES; each stops at an end-of-generation token, a stop string (cut
    there) or max_new_tokens. Leaves sequence 0 as it found it and no other sequence in the cache."""
    import llama_cpp

    n_prompt = len(prompt)
    ctx, memory, vocab = llm.ctx, llama_cpp.llama_get_memory(llm.ctx), llm._model.vocab
    count = len(seeds)
    samplers = []
    for seed in seeds:
        llm.set_seed(seed)
        settings = {"top_k": params.top_k, "top_p": params.top_p, "temp": params.temperature, "min_p": 0.05}
        samplers.append(llm._init_sampler(**settings, typical_p=1.0, repeat_penalty=params.repetition_penalty))
    for sequence in range(1, count):
        llama_cpp.llama_memory_seq_cp(memory, 0, sequence, -1, -1)
    made: list[list[int]] = [[] for _ in seeds]
    texts = [""] * count
    # The first token of each comes from the prompt's last logits; after that, output k of a batch is sequence k's.
    active = list(range(count))
    nexts = {s: samplers[s].sample(llm._ctx, -1) for s in active}
    batch = llama_cpp.llama_batch_init(count, 0, 1)
    try:
        for step in range(params.max_new_tokens):
            still = []
            for sequence in active:
                token = nexts[sequence]
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    continue
                made[sequence].append(token)
                texts[sequence] = llm.detokenize(made[sequence], prev_tokens=prompt).decode("utf-8", errors="ignore")
                if any(stop in texts[sequence] for stop in params.stop) or step + 1 >= params.max_new_tokens:
                    continue
                still.append(sequence)
            if not still:
                break
            batch.n_tokens = len(still)
            for index, sequence in enumerate(still):
                batch.token[index] = made[sequence][-1]
                batch.pos[index] = n_prompt + step
                batch.n_seq_id[index] = 1
                batch.seq_id[index][0] = sequence
                batch.logits[index] = True
            if llama_cpp.llama_decode(ctx, batch) != 0:
                raise ModelError(
                    "llama.cpp could not decode the candidates side by side; set NLP_PLAYGROUND_SEQUENCES=1"
                )
            nexts = {sequence: samplers[sequence].sample(llm._ctx, index) for index, sequence in enumerate(still)}
            active = still
    finally:
        llama_cpp.llama_batch_free(batch)
        for sequence in range(1, count):
            llama_cpp.llama_memory_seq_rm(memory, sequence, -1, -1)
        llama_cpp.llama_memory_seq_rm(memory, 0, n_prompt, -1)
        for sampler in samplers:
            sampler.close()
    return [_cut(text, params.stop) for text in texts]


def _cut(text: str, stops: Sequence[str]) -> str:
    ends = [text.find(stop) for stop in stops if stop and stop in text]
    return text[: min(ends)] if ends else text
