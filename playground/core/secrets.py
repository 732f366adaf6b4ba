"""Secrets kept out of text: every error an edge shows, and every log line, has secret-looking values masked."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)


def user_message(error: BaseException | str) -> str:
    """An error as every edge shows it (CLI, app, batch and eval lines): on one line, secrets masked."""
    return redact(" ".join(str(error).split()))


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """Text with the value of every secret-looking environment variable (HF_TOKEN, *_API_KEY, ...) masked."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if len(value) >= 8 and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, "[redacted]")
    return text
