"""The transformers engine on an embedded GGUF model: dequantized once, then loaded from the saved copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.engines.pool import ModelPool
from playground.service import api

pytestmark = pytest.mark.model


def test_second_load_skips_dequantization_and_beams_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.engines import hf

    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(tmp_path))
    calls: list[str] = []
    real = hf.dequantize

    def counting(preset, target):  # type: ignore[no-untyped-def]
        calls.append(preset.name)
        real(preset, target)

    monkeypatch.setattr(hf, "dequantize", counting)
    question = {"prompt": "What is the capital of France?", "temperature": 0, "max_new_tokens": 16}

    first = api.run("generation", engine="transformers", pool=ModelPool(), **question)
    assert calls == ["smollm2-135m"]
    assert (tmp_path / "transformers" / "smollm2-135m" / "config.json").is_file()

    # A new pool is what a new process sees: the model loads again, from the saved copy this time.
    pool = ModelPool()
    second = api.run("generation", engine="transformers", pool=pool, **question)
    assert calls == ["smollm2-135m"], "the second load dequantized the GGUF file again"
    assert second.engine == "transformers" and second.timings["load_s"] > 0
    assert second.output == first.output and "Paris" in second.output["text"]

    beams = api.run("generation", engine="transformers", pool=pool, num_beams=2, **question)
    assert "Paris" in beams.output["text"]
    scored = api.run("sentiment", engine="transformers", pool=pool, text="The food was cold and the waiter was rude.")
    assert scored.output["label"] == "negative"
    tokens = api.run("generation", engine="transformers", pool=pool, logprobs=2, **question)
    assert tokens.output == first.output and "".join(t["token"] for t in tokens.tokens or []) == first.output["text"]
    assert all(t["top"][0]["token"] == t["token"] and len(t["top"]) == 2 for t in tokens.tokens or [])


def test_beam_search_on_llama_cpp_is_a_clear_error() -> None:
    from playground.core.errors import ModelError

    with pytest.raises(ModelError, match="engine='transformers'"):
        api.run("generation", prompt="hi", num_beams=2)
