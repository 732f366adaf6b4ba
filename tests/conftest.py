"""Fixtures the tests of several layers share: the fake pool, the public benchmark sets, and the shared pool's
models replaced by recording fakes. The fakes themselves are in tests/fakes.py, other helpers in tests/helpers.py."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.engines.pool import POOL
from tests.fakes import FakeBackend, FakePool

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach the hub
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
# Document collections made by tests live in a folder of their own, never in the user's data directory.
os.environ.setdefault("NLP_PLAYGROUND_DATA", tempfile.mkdtemp(prefix="nlp-playground-test-data-"))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


@pytest.fixture
def fake_pool() -> FakePool:
    return FakePool()


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/benchmarks is not present (it is not part of a user's clone)")
    return SHARED


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
