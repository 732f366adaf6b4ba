"""Run records: what a result needs to be replayed (task, inputs, template texts, prompts, every parameter with
the seed used, the models with their files' SHA-256, package versions), and the replay itself."""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

from playground.core.errors import InputError
from playground.engines.catalogue import ModelRef, resolve
from playground.engines.pool import POOL, ModelPool
from playground.service import api

FORMAT = "nlp-playground run record 1"
PACKAGES = ("nlp-playground", "llama-cpp-python", "transformers", "torch", "sentence-transformers", "openai",
            "keybert", "jinja2")  # fmt: skip


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, or of a directory's files (their relative paths and hashes, in order); cached."""
    if path.is_file():
        stat = path.stat()
        return _sha256(str(path), stat.st_size, stat.st_mtime)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_of(file)}\n".encode())
    return digest.hexdigest()


def _hub_revision(hub_id: str) -> str | None:
    """The commit of a hub model in the local cache (its refs/main), if it was downloaded."""
    from huggingface_hub import constants

    ref = Path(constants.HF_HUB_CACHE) / f"models--{hub_id.replace('/', '--')}" / "refs" / "main"
    return ref.read_text().strip() if ref.is_file() else None


def identity(ref: ModelRef) -> dict[str, Any]:
    """Name, engine and what pins the model's weights: the file's sha256, the hub revision or the server URL."""
    out: dict[str, Any] = {"name": ref.name, "engine": ref.engine}
    if ref.engine == "openai":
        return out | {"base_url": ref.source}
    path = ref.preset.locate() if ref.preset else Path(ref.source).expanduser()
    if path.exists():
        return out | {"sha256": sha256_of(path)}
    return out | {"revision": _hub_revision(ref.source)}


def versions() -> dict[str, str]:
    """The versions of the packages that decide an output, those installed."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def make_record(result: api.Result) -> dict[str, Any]:
    """The run record of a finished result."""
    if not result.done:
        raise InputError("only a finished result has a run record")
    models = [identity(ref) for ref in result.refs]
    return _record(result.task, result.inputs, result.params, result.templates, result.prompts, models, result.output)


def record_from_parts(raw: dict[str, Any], inputs: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """The run record of a result known by its JSON (as the app shows it), its cleaned inputs and template texts."""
    refs = [resolve(m["name"], m["engine"], "embedder" if m["engine"] == "sentence-transformers" else "llm")
            for m in raw["models"]]  # fmt: skip
    models = [identity(ref) for ref in refs]
    return _record(raw["task"], inputs, raw["params"], texts, raw["prompts"], models, raw["output"])


def _record(
    task: str,
    inputs: dict[str, Any],
    params: dict[str, Any],
    texts: dict[str, str],
    prompts: list[dict[str, Any]],
    models: list[dict[str, Any]],
    output: dict[str, Any],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "task": task,
        "inputs": inputs,
        "parameters": params,
        "templates": texts,
        "prompts": prompts,
        "models": models,
        "versions": versions(),
        "output": output,
    }


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write a record as indented JSON, atomically."""
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)


def read_record(path: Path) -> dict[str, Any]:
    """A run record from a file; an unreadable or foreign file is an error naming it."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the run record {path.name}: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError(f"{path.name} is not a run record of this program (its format line is missing)")
    missing = [k for k in ("task", "inputs", "parameters", "templates", "models", "output") if k not in record]
    if missing:
        raise InputError(f"the run record {path.name} has no {missing[0]!r}")
    return record


def rerun(record: dict[str, Any], pool: ModelPool = POOL) -> tuple[api.Result, list[str]]:
    """Replay a record with its inputs, parameters (seed included), template texts and models.

    Returns the new result and notes: a model whose file differs from the recorded one, and whether the output
    is the recorded one.
    """
    models = record["models"]
    llm = next((m for m in models if m["engine"] != "sentence-transformers"), None)
    embedder = next((m for m in models if m["engine"] == "sentence-transformers"), None)
    arguments: dict[str, Any] = {**record["inputs"], **record["parameters"]}
    if llm is not None:
        arguments |= {"model": llm["name"], "engine": llm["engine"], "base_url": llm.get("base_url")}
    if embedder is not None:
        arguments["embedder"] = embedder["name"]
    result = api.run(record["task"], pool=pool, template=record["templates"] or None, **arguments)
    notes = []
    for then, ref in zip(models, result.refs, strict=False):
        now = identity(ref)
        for key in ("sha256", "revision"):
            if then.get(key) != now.get(key) and (then.get(key) or now.get(key)):
                notes.append(f"the {key} of {ref.name} differs from the record's: the output may differ")
    same = json.loads(json.dumps(result.output, ensure_ascii=False)) == record["output"]
    notes.append("the output is the recorded one" if same else "the output differs from the recorded one")
    return result, notes
