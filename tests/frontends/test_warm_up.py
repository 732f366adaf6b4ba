"""The launch's warm-up: it does the first-use work of the label tasks, and a failure never stops the app."""

from __future__ import annotations

import logging

import pytest

from playground.core.errors import ModelError
from playground.frontends.ui import app
from tests.fakes import FakePool


def test_the_warm_up_loads_the_models_the_first_requests_need(fake_pool: FakePool) -> None:
    app.warm_up(fake_pool)
    assert {"smollm2-135m", "gemma3-270m", "minilm-l6-v2"} <= set(fake_pool.fakes)
    assert any(c[0] == "score" for c in fake_pool.fake("smollm2-135m").history)  # the calibration, among others
    assert any(c[0] == "embed" for c in fake_pool.fake("minilm-l6-v2").history)


def test_a_failed_warm_up_is_logged_and_the_rest_still_runs(
    fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = []

    def run(task: str, **inputs: object) -> None:
        calls.append(task)
        raise ModelError(f"{task}: the model file is missing")

    monkeypatch.setattr(app.api, "run", run)
    with caplog.at_level(logging.WARNING):
        app.warm_up(fake_pool)
    assert calls == [task for task, _ in app.WARM_UP]
    assert "warm-up sentiment failed: sentiment: the model file is missing" in caplog.text
