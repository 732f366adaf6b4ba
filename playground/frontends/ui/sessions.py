"""Per-session state at the cost of what a session changes, not of the whole page.

Gradio gives every new session (each browser tab, and each HTTP API call, which is a session of its own) a copy of
every component's configuration, made when the session starts. For this app's ~1,100 components that is about
0.6 s of CPU and 1.8 MB per session, kept for 10,000 sessions by default: the first cost of every API request and
a memory curve that climbs with visitors. Gradio reads those copies only to write deep links, which this app does
not offer, and it fills in the copy of any component a session changes by itself. So a session here starts with
none, and keeps the copies of the components it changed.
"""

from __future__ import annotations

import os
from copy import copy
from typing import Any

from gradio.state_holder import SessionState, StateHolder


class LeanSessionState(SessionState):
    """A session's state that copies a component's configuration only when the session changes it."""

    def __init__(self, blocks: Any) -> None:  # deliberately not calling SessionState.__init__: that is the cost
        self.blocks_config = copy(blocks.default_config)
        self.config_values: dict[int, Any] = {}
        self.state_data: dict[int, Any] = {}
        self._state_ttl: dict[int, Any] = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


class LeanStateHolder(StateHolder):
    """Gradio's session store, making lean sessions."""

    def __getitem__(self, session_id: str) -> SessionState:
        if session_id not in self.session_data:
            self.session_data[session_id] = LeanSessionState(self.blocks)
        return super().__getitem__(session_id)


def install(app: Any, blocks: Any) -> LeanStateHolder:
    """Give a launched app the lean session store (its sessions so far are dropped: none has state to lose)."""
    holder = LeanStateHolder()
    holder.set_blocks(blocks)
    app.state_holder = holder
    return holder
