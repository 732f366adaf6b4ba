"""Where the playground's files are: prompts/ and assets/ (checkout or wheel alike), and its cache folder."""

from __future__ import annotations

import functools
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # playground/


@functools.cache
def data_dir(name: str) -> Path:
    """Return the folder `name` (prompts, assets, tasks): beside the package in a checkout, inside it when installed."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from this installation")


def cache_dir() -> Path:
    """Where assembled and dequantized copies of the embedded models live."""
    env = os.environ.get("NLP_PLAYGROUND_CACHE")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nlp-playground"
    base.mkdir(parents=True, exist_ok=True)
    return base


def data_home() -> Path:
    """Where the user's data lives (collections, the running app's address): NLP_PLAYGROUND_DATA, else
    $XDG_DATA_HOME/nlp-playground (~/.local/share/nlp-playground)."""
    env = os.environ.get("NLP_PLAYGROUND_DATA")
    base = Path(env) if env else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return (base if env else base / "nlp-playground").expanduser()
