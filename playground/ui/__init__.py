"""The Gradio app: an adapter over the registry, split by concern (assembly, task tab, views, batch, evaluate).

Tabs are generated from the task specs; no task logic lives here.
"""

from .app import create_app, launch

__all__ = ["create_app", "launch"]
