"""Logging: quiet by default. Native libraries (llama.cpp, transformers) speak only when the user asks (-vv).

llama.cpp writes its load and cache messages straight to stderr, which breaks `--json 2>&1 | jq`. Its log
callback is replaced by one that hands each line to Python logging under `playground.native`, where it is shown
only at the most verbose level.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from playground.core.secrets import redact

NATIVE = logging.getLogger("playground.native")
_state: dict[str, Any] = {"verbosity": 0, "callback": None}
NATIVE.setLevel(logging.CRITICAL)  # until configure_logging (or the user) asks for more


class RedactingFilter(logging.Filter):
    """Masks secret environment values in a record's message, for every handler that sees the record after ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole written line, the traceback of `log.exception` included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test's capture, a redirected CLI), never a stale one."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(verbosity: int = 0) -> None:
    """0: warnings of this package only; 1: its info and debug lines; 2: also the native libraries' messages."""
    _state["verbosity"] = verbosity
    root = logging.getLogger("playground")
    if not any(getattr(h, "_playground", False) for h in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        handler._playground = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 1 else logging.WARNING)
    NATIVE.setLevel(logging.DEBUG if verbosity >= 2 else logging.CRITICAL)
    quiet_transformers(verbosity)


def quiet_transformers(verbosity: int | None = None) -> None:
    """transformers and huggingface_hub warnings and progress bars only when asked for."""
    verbosity = _state["verbosity"] if verbosity is None else verbosity
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_info() if verbosity >= 2 else hf_logging.set_verbosity_error()
        hf_logging.enable_progress_bar() if verbosity >= 2 else hf_logging.disable_progress_bar()


def route_llama_cpp_logs() -> None:
    """Send llama.cpp's log lines to `playground.native` instead of stderr (once per process)."""
    if _state["callback"] is not None:
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if NATIVE.isEnabledFor(logging.DEBUG):
            line = text.decode("utf-8", errors="replace").rstrip("\n")
            if line:
                NATIVE.debug("llama.cpp: %s", line)

    _state["callback"] = callback  # ctypes calls it from C: it must outlive this function
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
