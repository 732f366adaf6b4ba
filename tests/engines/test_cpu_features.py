"""The AMX work-around: models load without llama.cpp's extra buffer types where the build reports AMX."""

from __future__ import annotations

from collections.abc import Iterator

import llama_cpp
import pytest
from llama_cpp import llama_cpp as low

from playground.engines import cpu_features


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # llama.cpp's own function, even when this process has wrapped it already; the wrapped one is restored afterwards
    original = getattr(low.llama_model_default_params, "unwrapped", low.llama_model_default_params)
    monkeypatch.setattr(low, "llama_model_default_params", original)
    cpu_features.has_amx.cache_clear()
    cpu_features.avoid_amx.cache_clear()
    yield
    cpu_features.has_amx.cache_clear()
    cpu_features.avoid_amx.cache_clear()


def test_amx_builds_load_without_extra_buffers(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: b"CPU : AVX2 = 1 | AMX_INT8 = 1 | ")
    assert low.llama_model_default_params().use_extra_bufts  # llama.cpp's default
    assert cpu_features.avoid_amx()
    assert not low.llama_model_default_params().use_extra_bufts
    assert cpu_features.avoid_amx()  # a second call wraps nothing more
    assert not low.llama_model_default_params().use_extra_bufts


def test_other_builds_keep_the_defaults(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: b"CPU : AVX2 = 1 | AMX_INT8 = 0 | ")
    assert not cpu_features.avoid_amx()
    assert low.llama_model_default_params().use_extra_bufts
