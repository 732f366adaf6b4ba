"""Fixtures of the public-mode tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.engines.pool import POOL
from tests.fakes import FakeBackend


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The shared pool answers with fake backends that record the parameters they were asked to generate with."""
    seen: dict[str, Any] = {"params": []}

    class Recording(FakeBackend):
        def stream(self, prompt: Any, params: GenerationParams) -> Iterator[str]:
            seen["params"].append(params)
            return super().stream(prompt, params)

    def load(ref: ModelRef) -> Recording:
        return Recording(ref)

    monkeypatch.setattr(POOL, "_loader", load)
    monkeypatch.setattr(POOL, "_backends", {})  # restored afterwards, real models included
    monkeypatch.setattr(POOL, "_key_locks", {})
    return seen
