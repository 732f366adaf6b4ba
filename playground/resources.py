"""Find the prompts/ and assets/ folders in a source checkout and in an installed wheel alike."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def data_dir(name: str) -> Path:
    """Return the folder `name` (prompts, assets, tasks): beside the package in a checkout, inside it when installed."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from this installation")
