"""Fixtures the tests of several layers share: the fake pool and the public benchmark sets. The fakes themselves are
in tests/fakes.py, other helpers in tests/helpers.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.fakes import FakePool

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


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per module for the property-based file tests (hypothesis cannot use the function-scoped tmp_path)."""
    return tmp_path_factory.mktemp("properties")
