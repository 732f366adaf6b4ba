"""The llama.cpp engine (llama-cpp-python): fast CPU inference on GGUF files, the default for embedded models."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from playground.core.errors import ModelError
from playground.core.logs import route_llama_cpp_logs
from playground.engines.base import (
    Backend,
    ChatMessage,
    Prompt,
    TokenPiece,
    shared_prefix,
    trim_at_stops,
    trim_tokens_at_stops,
)
from playground.engines.catalogue import ModelRef
from playground.engines.cpu_features import avoid_amx
from playground.engines.params import GenerationParams
from playground.engines.prefixes import PrefixCache
from playground.engines.sequences import decode_sequences, parallel_contexts, side_by_side

try:
    import llama_cpp
    from llama_cpp import llama_chat_format
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ModelError("the llama.cpp engine needs llama-cpp-python: pip install llama-cpp-python") from exc

route_llama_cpp_logs()  # llama.cpp's own stderr lines go to logging, shown with -vv only
avoid_amx()  # a crash in llama.cpp's AMX kernels on the embedded models; see cpu_features

N_CTX = 4096
MIN_PREFIX = 16  # tokens: a shorter shared beginning is evaluated with the rest of its prompt


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities along the last axis: of one position's logits, or of each row of several positions'."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class LlamaCppBackend(Backend):
    """One llama.cpp model; calls are serialised because a llama.cpp context is not thread-safe."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        path = ref.preset.locate() if ref.preset else ref.source
        threads = int(os.environ.get("NLP_PLAYGROUND_THREADS", 0)) or max(1, os.cpu_count() or 1)
        try:
            with parallel_contexts():  # room for candidates decoded side by side (generate_many)
                self.llm = llama_cpp.Llama(
                    model_path=str(path), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {ref.name!r} from {path}: {exc}") from None
        self.context_length = self.llm.n_ctx()
        self.supports_chat = "tokenizer.chat_template" in self.llm.metadata
        self._formatter: Any = None  # the chat template as llama-cpp-python renders it, made on first use
        self._lock = threading.Lock()
        self.prefixes = PrefixCache()  # released with the model

    def _begin(self, tokens: list[int], prompt: Prompt, special: bool) -> None:
        """Clear the model's state, then put the prompt's shared prefix in it: restored from the prefix store, or
        evaluated as a batch of its own (and kept). The rest of the prompt is left to evaluate.

        Either way the tokens after the prefix meet the same state, byte for byte, whatever ran before: the same
        input and seed give the same output with the store on, off, in a fresh process or after other tasks.
        """
        llm = self.llm
        llm.reset()
        cut = self._cut(tokens, shared_prefix(prompt), special)
        if not cut:
            return
        head = tokens[:cut]
        state = self.prefixes.get(head)
        if state is not None and self._restore(head, state):
            return
        llm.eval(head)
        if self.prefixes.max_bytes:
            self.prefixes.put(head, self._saved())

    def _cut(self, tokens: list[int], prefix: str, special: bool) -> int:
        """How many of the prompt's tokens are its shared prefix's: where their tokens part (a tokenizer may join the
        prefix's last characters with what follows), leaving at least one token; 0 when it would be short."""
        if not prefix:
            return 0
        head = self.llm.tokenize(prefix.encode("utf-8"), add_bos=True, special=special)
        cut = next(
            (i for i, (a, b) in enumerate(zip(head, tokens, strict=False)) if a != b), min(len(head), len(tokens))
        )
        cut = min(cut, len(tokens) - 1)
        return cut if cut >= MIN_PREFIX else 0

    def _saved(self) -> bytes:
        """The keys and values of the context's one sequence."""
        ctx = self.llm.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        return ctypes.string_at(buffer, written)

    def _restore(self, head: list[int], state: bytes) -> bool:
        """Put a kept prefix state back as the context's only content; False (and an empty context) if it fails."""
        llm = self.llm
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if not llama_cpp.llama_state_seq_set_data(llm.ctx, buffer, len(state), 0):
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            return False
        llm.input_ids[: len(head)] = head
        llm.n_tokens = len(head)
        return True

    def _completion_tokens(self, text: str) -> list[int]:
        """A plain prompt's tokens as llama-cpp-python's create_completion makes them from the text."""
        bos = [self.llm.token_bos()] if self.llm._model.add_bos_token() and self.llm.token_bos() >= 0 else []
        return bos + self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _tokens(self, text: str, bos: bool) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=False)

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        if params.num_beams > 1:
            raise ModelError("beam search (num_beams > 1) needs engine='transformers'")
        self.check_prompt(self.count_prompt(prompt), params)
        if params.logprobs:
            yield from self._stream_with_logprobs(prompt, params)
            return
        sampling: dict[str, Any] = {
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "repeat_penalty": params.repetition_penalty,
            "stop": list(params.stop) or None,
            "seed": params.seed,
            "stream": True,
        }
        with self._lock:
            # Only a prompt's marked shared prefix is reused, and always evaluated on its own (see _begin): reusing
            # whatever the previous prompt left would change the logits in the last bits, and with them sampled text.
            self.llm.reset()
            self._set_draft(params.draft_tokens)
            try:
                pieces: Iterator[str]
                if isinstance(prompt, str):
                    tokens = self._completion_tokens(prompt)
                    if not params.draft_tokens:  # drafting reads every position's logits, which a kept state lacks
                        self._begin(tokens, prompt, special=True)
                    chunks: Any = self.llm.create_completion(tokens, **sampling)
                    pieces = (c["choices"][0]["text"] for c in chunks)
                else:
                    chunks = self.llm.create_chat_completion(list(prompt), **sampling)  # type: ignore[arg-type]
                    pieces = (c["choices"][0]["delta"].get("content") or "" for c in chunks)
                yield from trim_at_stops((p for p in pieces if p), params.stop)
            finally:
                self._set_draft(0)

    def generate_many(self, prompt: Prompt, params: GenerationParams, seeds: Sequence[int]) -> list[str]:
        """Sampled generations of a prompt, decoded side by side as parallel sequences (see sequences.py), at most
        NLP_PLAYGROUND_SEQUENCES at a time (8; 1 decodes one after another, as where side by side does not apply:
        greedy decoding, log-probabilities, drafting)."""
        width = side_by_side()
        if params.logprobs or params.draft_tokens or params.temperature <= 0 or params.num_beams > 1:
            width = 1
        if len(seeds) < 2 or width < 2:
            return super().generate_many(prompt, params, seeds)
        self.check_prompt(self.count_prompt(prompt), params)
        if isinstance(prompt, str):
            tokens = self._completion_tokens(prompt)
        else:  # messages, through the GGUF's chat template, ending at its end-of-turn too
            tokens, template_stops = self._prompt_tokens(prompt)
            params = params.merged(stop=(*params.stop, *template_stops))
        # Each sequence writes its own cells after the shared prompt's: as many as fit the cache at most.
        width = min(width, (self.context_length - len(tokens)) // max(1, params.max_new_tokens))
        if width < 2:
            return super().generate_many(prompt, params, seeds)
        texts: list[str] = []
        with self._lock:
            for start in range(0, len(seeds), width):
                self._begin(tokens, prompt, special=True)
                self.llm.eval(tokens[self.llm.n_tokens :])
                try:
                    texts += decode_sequences(self.llm, tokens, params, seeds[start : start + width])
                finally:
                    self.llm.reset()
        return texts

    def _set_draft(self, tokens: int) -> None:
        """Turn llama-cpp-python's prompt-lookup drafting on (`tokens` drafted at a time) or off, for one call.

        Its verification samples at every drafted position, so it needs the logits of every evaluated token
        (`logits_all`, which the Llama object otherwise sets once when it is made); the buffer for them is made
        on first use, as large as the context.
        """
        llm = self.llm
        llm.draft_model = LlamaPromptLookupDecoding(num_pred_tokens=tokens) if tokens else None
        llm._logits_all = bool(tokens)
        rows = llm.n_ctx() if tokens else llm.n_batch  # the size llama-cpp-python gives it without logits_all
        if llm.scores.shape[0] != rows:
            llm.scores = np.empty((rows, llm.n_vocab()), dtype=np.single)  # pages are touched as rows fill

    def _stream_with_logprobs(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        """The sampling loop of create_completion, with the model's distribution read at every token.

        The same sampler, settings and seed as the plain path: the same prompt and seed give the same text.
        """
        tokens, template_stops = self._prompt_tokens(prompt)
        stops = [*params.stop, *template_stops]
        with self._lock:
            self._begin(tokens, prompt, special=False)
            self.llm.set_seed(params.seed if params.seed is not None else 0)
            pieces = self._token_pieces(tokens, params)
            yield from trim_tokens_at_stops(pieces, stops)

    def _token_pieces(self, prompt: list[int], params: GenerationParams) -> Iterator[TokenPiece]:
        made: list[int] = []
        shown = ""
        for token in self.llm.generate(prompt, top_k=params.top_k, top_p=params.top_p, min_p=0.05, typical_p=1.0,
                                       temp=params.temperature, repeat_penalty=params.repetition_penalty):  # fmt: skip
            if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
                return
            logprobs = self._last_logprobs()  # the distribution this token was drawn from
            made.append(token)
            text = self.llm.detokenize(made, prev_tokens=prompt).decode("utf-8", errors="ignore")
            top = np.argsort(-logprobs, kind="stable")[: params.logprobs]
            alternatives = [{"token": self._piece(int(i)), "logprob": round(float(logprobs[i]), 5)} for i in top]
            record = {"token": self._piece(token), "logprob": round(float(logprobs[token]), 5), "top": alternatives}
            yield TokenPiece(text[len(shown) :], [record])
            shown = text
            if len(made) >= params.max_new_tokens:
                return

    def _piece(self, token: int) -> str:
        return self.llm.detokenize([token]).decode("utf-8", errors="replace")

    def _prompt_tokens(self, prompt: Prompt) -> tuple[list[int], list[str]]:
        """The tokens the model is given for a prompt, and the stop strings its chat template adds (if any).

        Messages are rendered through the GGUF's chat template, as llama-cpp-python renders them.
        """
        if isinstance(prompt, str):
            return self._tokens(prompt, bos=True), []
        rendered = self._chat(prompt)
        tokens = self.llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)
        stops = [rendered.stop] if isinstance(rendered.stop, str) else list(rendered.stop or [])
        return tokens, stops

    def _chat(self, messages: Sequence[ChatMessage]) -> Any:
        """The messages rendered through the GGUF's chat template, as llama-cpp-python renders them."""
        if not self.supports_chat:
            raise ModelError(f"{self.ref.name} has no chat template; give it a plain prompt")
        if self._formatter is None:
            model = self.llm._model
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=self.llm.metadata["tokenizer.chat_template"],
                eos_token=model.token_get_text(self.llm.token_eos()),
                bos_token=model.token_get_text(self.llm.token_bos()),
            )
        return self._formatter(messages=list(messages))

    def _last_logits(self) -> np.ndarray:
        """The logits after the last evaluated token, as a view of llama.cpp's buffer (valid until the next eval)."""
        logits = llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        return np.ctypeslib.as_array(logits, shape=(self.llm.n_vocab(),))

    def _last_logprobs(self) -> np.ndarray:
        return _log_softmax(self._last_logits().astype(np.float64))

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        # The shared context is evaluated once; each continuation then reuses its KV cache and is evaluated in one
        # batch, with the logits of every one of its tokens kept (a long continuation, as in channel scoring or a
        # sentence's fluency, costs one pass instead of one pass per token).
        ctx_tokens = self._tokens(context, bos=True)
        if not ctx_tokens:  # a model without a BOS token has nothing to predict the first token from
            raise ModelError("the scoring context is empty: give the continuation something to follow")
        results = []
        with self._lock:
            self._begin(ctx_tokens, context, special=False)
            self.llm.eval(ctx_tokens[self.llm.n_tokens :])
            after_context = self._last_logprobs()
            for cont in continuations:
                tokens = self._tokens(cont, bos=False)
                if not tokens:
                    raise ModelError(f"the continuation {cont!r} has no tokens")
                if len(ctx_tokens) + len(tokens) > self.context_length:
                    self.llm.reset()
                    raise ModelError(
                        f"the text is too long to score: {len(ctx_tokens) + len(tokens)} tokens, and the model "
                        f"reads at most {self.context_length}"
                    )
                total = float(after_context[tokens[0]])
                self.llm.n_tokens = len(ctx_tokens)  # drop the previous continuation from the cache
                if len(tokens) > 1:
                    total += self._continuation_logprob(len(ctx_tokens), tokens)
                results.append(total)
            self.llm.reset()
        return results

    def _continuation_logprob(self, start: int, tokens: list[int]) -> float:
        """Log-probability of tokens[1:] given what precedes them, from one batched evaluation of tokens[:-1]."""
        llm = self.llm
        kept, kept_all = llm.scores, llm._logits_all
        try:
            # Keep every evaluated position's logits: llm.scores holds them by absolute position, so it needs rows
            # up to the continuation's end (only those; a context-sized buffer would be n_ctx x n_vocab floats).
            llm.scores = np.empty((start + len(tokens) - 1, llm.n_vocab()), dtype=np.single)
            llm._logits_all = True
            llm.eval(tokens[:-1])
            rows = llm.scores[start:].astype(np.float64)
        finally:
            llm._logits_all = kept_all
            llm.scores = kept
        return float(_log_softmax(rows)[np.arange(len(tokens) - 1), tokens[1:]].sum())

    def count_tokens(self, text: str) -> int:
        return len(self._tokens(text, bos=False))

    def count_prompt(self, prompt: Prompt) -> int:
        """Tokens of the prompt as the model sees it; messages are rendered through the GGUF's chat template."""
        return len(self._prompt_tokens(prompt)[0])
