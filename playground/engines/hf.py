"""The transformers engine: any hub id or local directory, and the embedded GGUF files dequantized once."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from playground.core.errors import ModelError
from playground.core.logs import quiet_transformers
from playground.core.resources import cache_dir
from playground.engines.base import Backend, Prompt, TokenPiece, trim_at_stops
from playground.engines.catalogue import ModelRef, Preset
from playground.engines.params import GenerationParams

try:
    import torch
    import transformers
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ModelError("the transformers engine needs torch and transformers: pip install nlp-playground") from exc

quiet_transformers()  # a load is timed and reported; no bars or warnings on stderr unless asked for

DTYPE = torch.bfloat16  # bf16 decodes ~1.5x faster than fp32 on these AVX512-BF16 CPUs


def dequantized_dir(preset: Preset) -> Path:
    """Return a plain transformers copy of an embedded GGUF model, dequantizing it on the first call only."""
    target = cache_dir() / "transformers" / preset.name
    if (target / "config.json").exists():
        return target
    dequantize(preset, target)
    return target


def dequantize(preset: Preset, target: Path) -> None:
    """Dequantize the preset's GGUF file with transformers and save it under target."""
    gguf = preset.locate()
    model: Any = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=DTYPE)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are plain tensors once loaded; saved without the GGUF marker, the copy loads in a fraction
    # of a second as an ordinary checkpoint.
    model.hf_quantizer = None
    for obj in (model.config, getattr(model, "generation_config", None)):
        if obj is not None and hasattr(obj, "quantization_config"):
            delattr(obj, "quantization_config")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{preset.name}-"))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class TransformersBackend(Backend):
    """Runs a causal LM with transformers on the CPU; the only engine with beam search."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        source = str(dequantized_dir(ref.preset)) if ref.preset else ref.source
        try:
            # Typed loosely: transformers' stubs are narrower than what its auto classes return.
            self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(source)
            self.model: Any = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=DTYPE)
        except OSError as exc:
            raise ModelError(f"cannot load {ref.name!r} with transformers: {exc}") from None
        self.model.eval()
        self.context_length = int(getattr(self.model.config, "max_position_embeddings", 2048) or 2048)
        self.supports_chat = bool(getattr(self.tokenizer, "chat_template", None))
        self._lock = threading.Lock()

    def _encode(self, prompt: Prompt) -> Any:
        if isinstance(prompt, str):
            return self.tokenizer(prompt, return_tensors="pt")
        if not self.supports_chat:
            raise ModelError(f"{self.ref.name} has no chat template; give it a plain prompt")
        text = self.tokenizer.apply_chat_template(list(prompt), tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, return_tensors="pt", add_special_tokens=False)

    def _generate_kwargs(self, params: GenerationParams) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "num_beams": params.num_beams,
            "repetition_penalty": params.repetition_penalty,
            "do_sample": not params.greedy,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if not params.greedy:
            kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=params.top_k or None)
        if params.stop:
            kwargs.update(stop_strings=list(params.stop), tokenizer=self.tokenizer)
        if params.draft_tokens:
            kwargs["prompt_lookup_num_tokens"] = params.draft_tokens
        return kwargs

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        inputs = self._encode(prompt)
        self.check_prompt(int(inputs["input_ids"].shape[1]), params)
        kwargs = self._generate_kwargs(params)
        with self._lock:
            if params.seed is not None:
                torch.manual_seed(params.seed)
            if params.num_beams > 1 and params.logprobs:
                raise ModelError("logprobs are reported for sampled or greedy decoding, not for beam search")
            if params.num_beams > 1:  # beams finish together, so there is nothing to stream
                with torch.inference_mode():
                    out = self.model.generate(**inputs, **kwargs)
                new = out[0, inputs["input_ids"].shape[1] :]
                yield from trim_at_stops([self.tokenizer.decode(new, skip_special_tokens=True)], params.stop)
                return
            # A fresh streamer per call: a shared one would mix the outputs of concurrent calls.
            streamer = transformers.TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            errors: list[BaseException] = []
            done: list[Any] = []
            if params.logprobs:  # the raw logits of every step, read once generation ends
                kwargs |= {"output_logits": True, "return_dict_in_generate": True}

            def work() -> None:
                try:
                    with torch.inference_mode():
                        done.append(self.model.generate(**inputs, **kwargs, streamer=streamer))
                except BaseException as exc:  # surfaced in the caller's thread below
                    errors.append(exc)
                    streamer.end()

            thread = threading.Thread(target=work, daemon=True)
            thread.start()
            shown = ""
            for piece in trim_at_stops(streamer, params.stop):
                shown += piece
                yield piece
            thread.join()
            if errors:
                raise ModelError(f"generation failed on {self.ref.name}: {errors[0]}") from errors[0]
            if params.logprobs and done:
                yield TokenPiece("", self._token_log(done[0], int(inputs["input_ids"].shape[1]), params, len(shown)))

    def _token_log(self, out: Any, prompt_length: int, params: GenerationParams, shown: int) -> list[dict[str, Any]]:
        """Each generated token that made the text shown, with its log-probability and the top alternatives."""
        made = out.sequences[0, prompt_length:].tolist()
        special = set(self.tokenizer.all_special_ids)
        log = []
        for step, (token, logits) in enumerate(zip(made, out.logits, strict=False)):
            if token in special or len(self.tokenizer.decode(made[: step + 1], skip_special_tokens=True)) > shown:
                break
            logprobs = torch.log_softmax(logits[0].float(), dim=-1)
            top = torch.topk(logprobs, params.logprobs)
            alternatives = [{"token": self.tokenizer.decode([int(i)]), "logprob": round(float(v), 5)}
                            for v, i in zip(top.values, top.indices, strict=True)]  # fmt: skip
            log.append({"token": self.tokenizer.decode([token]), "logprob": round(float(logprobs[token]), 5),
                        "top": alternatives})  # fmt: skip
        return log

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        ctx = self.tokenizer(context, return_tensors="pt")["input_ids"][0]
        results = []
        with self._lock, torch.inference_mode():
            for cont in continuations:
                cont_ids = self.tokenizer(cont, add_special_tokens=False, return_tensors="pt")["input_ids"][0]
                ids = torch.cat([ctx, cont_ids]).unsqueeze(0)
                logits = self.model(ids).logits[0, len(ctx) - 1 : -1].float()
                logprobs = torch.log_softmax(logits, dim=-1)
                results.append(float(logprobs.gather(1, cont_ids.unsqueeze(1)).sum()))
        return results

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_prompt(self, prompt: Prompt) -> int:
        return int(self._encode(prompt)["input_ids"].shape[-1])
