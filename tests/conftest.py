"""Fixtures the tests of several layers share: the fake pool, the public benchmark sets, a scratch folder for the
property-based file tests, and the default app launched once per session with a client on it. The fakes themselves
are in tests/fakes.py, other helpers in tests/helpers.py."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from playground.engines.pool import POOL
from tests.fakes import FakePool

if TYPE_CHECKING:
    from tests.helpers import SharedApp

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach the hub
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
# Document collections made by tests live in a folder of their own, never in the user's data directory.
os.environ.setdefault("NLP_PLAYGROUND_DATA", tempfile.mkdtemp(prefix="nlp-playground-test-data-"))

# A CLI run in a test loads its models here, never in an app the user happens to be running (tests of the warm path
# name the app they launch).
os.environ["NLP_PLAYGROUND_URL"] = "off"

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


@pytest.hookimpl(tryfirst=True)  # before -m selects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on a real model or in the browser is slow too: `pytest -m "not slow"` leaves it out."""
    for item in items:
        if item.get_closest_marker("model") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def shared_app() -> Iterator[SharedApp]:
    """The default app (create_app() with the default policy), launched once per session on a free loopback port.

    Every test that calls the default app shares it. The app's handlers run in worker threads of this process, so
    a test's monkeypatching of module attributes and environment variables that the handlers read at call time
    reaches them. A test that needs another configuration (public mode, a small queue, an environment read at
    creation) launches its own app with tests.helpers.launch_app and closes it after.
    """
    # Imported here, after the environment above is set: tests.helpers copies it for the console script.
    from tests.helpers import SharedApp, launch_app

    POOL.clear()  # so that loaded_at_start says what launching loaded
    demo, url = launch_app()
    yield SharedApp(url, POOL.loaded())
    demo.close()


@pytest.fixture(scope="session")
def app_url(shared_app: SharedApp) -> str:
    return shared_app.url


@pytest.fixture(scope="session")
def client(app_url: str) -> Iterator[Any]:
    """A gradio_client on the shared app."""
    from gradio_client import Client

    c = Client(app_url, verbose=False)
    yield c
    c.close()
