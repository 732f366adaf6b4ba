"""The app with an OpenAI-compatible server configured: its models and engine offered, several requests at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from playground.engines.pool import POOL
from playground.engines.remote import _served
from playground.frontends.ui.helpers import advanced_arguments, engine_choices, llm_concurrency, server_models
from playground.testing.stubserver import StubServer
from tests.helpers import launch_app


@pytest.fixture()
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_without_a_server_the_app_offers_in_process_engines_only(no_server: None) -> None:
    assert "openai" not in engine_choices()
    assert server_models() == [] and llm_concurrency() == 1


def test_a_server_that_does_not_answer_leaves_the_model_list_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    with StubServer() as stub:
        url = stub.base_url
    _served.cache_clear()
    monkeypatch.setenv("OPENAI_BASE_URL", url)  # closed: nothing listens there now
    assert server_models() == [] and "openai" in engine_choices()


@pytest.fixture(scope="module")
def served_app() -> Iterator[tuple[StubServer, Any]]:
    """An app created with a server configured (the model list is read at creation), and the stand-in server."""
    from gradio_client import Client

    with StubServer(delay=0.4, models=("stub", "other")) as stub, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("NLP_PLAYGROUND_REMOTE_CONCURRENCY", "3")
        _served.cache_clear()
        demo, url = launch_app()
        client = Client(url, verbose=False)
        try:
            yield stub, client
        finally:
            client.close()
            demo.close()
            _served.cache_clear()
            POOL.clear()


def _dropdown_choices(client: Any, label: str) -> set[str]:
    components = client.config["components"]
    found = [c for c in components if c.get("props", {}).get("label") == label]
    return {str(choice[1]) for c in found for choice in c["props"]["choices"]}


def test_the_servers_models_and_engine_are_offered_and_run(served_app: tuple[StubServer, Any]) -> None:
    stub, client = served_app
    assert {"openai:stub", "openai:other", "smollm2-135m"} <= _dropdown_choices(client, "Model")
    assert "openai" in _dropdown_choices(client, "Engine")
    *_, raw = client.predict(prompt="Hello there", model="openai:other", temperature=0, api_name="/generation")
    assert (raw["model"], raw["engine"]) == ("other", "openai")
    assert raw["output"]["text"].startswith("echo: Hello there")
    assert stub.bodies[-1]["model"] == "other"


def test_the_queue_lets_several_requests_reach_the_server(served_app: tuple[StubServer, Any]) -> None:
    stub, client = served_app
    jobs = [client.submit(prompt=f"request {i}", engine="openai", model="stub", api_name="/generation")
            for i in range(3)]  # fmt: skip
    answers = [job.result(timeout=30)[-1]["output"]["text"] for job in jobs]
    assert [a.split(":", 1)[1].strip() for a in answers] == [f"request {i}" for i in range(3)]
    assert stub.max_in_flight >= 2  # one at a time would never overlap the 0.4 s answers


def test_the_openai_engine_with_the_boxs_embedded_default_runs_the_servers_first_model() -> None:
    assert advanced_arguments(["smollm2-135m", "openai", *[None] * 9]) == {"engine": "openai"}
    assert advanced_arguments(["openai:big", "openai", *[None] * 9]) == {"model": "openai:big", "engine": "openai"}
    assert advanced_arguments(["smollm2-135m", "auto", *[None] * 9]) == {"model": "smollm2-135m"}
