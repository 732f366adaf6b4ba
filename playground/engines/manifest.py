"""The manifest of the models downloaded with `nlp-playground models download`: what is on disk, and where."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from playground.core.errors import ModelError
from playground.core.resources import cache_dir


class Downloaded(BaseModel):
    """A manifest entry: a model on disk, the commit it came from and the SHA-256 of each file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    repo: str
    revision: str
    file: str  # what the engine loads, relative to the model's folder: the GGUF file, or "." for a folder
    files: dict[str, str]  # every file -> its SHA-256
    sha256: str  # of the GGUF file; of the file list for a folder
    bytes: int
    role: Literal["llm", "embedder"]
    engine: Literal["llama.cpp", "sentence-transformers"]
    licence: str
    languages: tuple[str, ...] | None = None
    time: str

    @property
    def path(self) -> Path:
        return models_dir() / self.name / self.file


def models_dir() -> Path:
    """The folder of the downloaded models, under the playground's cache (NLP_PLAYGROUND_CACHE)."""
    return cache_dir() / "models"


def manifest_path() -> Path:
    return models_dir() / "manifest.json"


def read_manifest() -> dict[str, Downloaded]:
    """The downloaded models, by name; none before the first download."""
    path = manifest_path()
    if not path.is_file():
        return {}
    try:
        return {e["name"]: Downloaded(**e) for e in json.loads(path.read_text(encoding="utf-8"))["models"]}
    except (ValueError, KeyError, TypeError) as exc:  # ValidationError is a ValueError
        raise ModelError(f"the model manifest {path} cannot be read ({type(exc).__name__}): delete it and "
                         "download the models again") from None  # fmt: skip


def write_manifest(entries: dict[str, Downloaded]) -> None:
    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"models": [e.model_dump(mode="json") for e in entries.values()]}
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as tmp:
        json.dump(data, tmp, ensure_ascii=False, indent=2)
    os.replace(tmp.name, path)  # a reader sees the old manifest or the new one, never half of one
