"""The Gradio app: an adapter over the registry, split by concern (assembly, task tab, views, batch, evaluate).

Tabs are generated from the task specs; no task logic lives here. Gradio is imported on first use of the app,
so the pure helpers (`playground.frontends.ui.helpers`) stay cheap to import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "launch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from playground.frontends.ui import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
