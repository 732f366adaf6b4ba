"""Bigger models on request: a curated list, hub downloads that resume and are checked, and a manifest of them.

Nothing here runs unless a user asks for a download (`nlp-playground models download`, the app's Models tab); the
rest of the playground only reads the manifest, so a downloaded model resolves like an embedded preset.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict

from playground.core.errors import ModelError, did_you_mean
from playground.core.resources import cache_dir, data_dir
from playground.engines.catalogue import PRESETS
from playground.engines.manifest import Downloaded, models_dir, read_manifest, write_manifest
from playground.policy.limits import Policy

Progress = Callable[[int, int], None]  # (bytes on disk so far, bytes in all) as a download goes
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # a folder name too: no separators, no leading dot
CHUNK = 1 << 20


class DownloadError(ModelError):
    """A download stopped before the end (network, server, disk); what arrived is kept for the next try."""


class ChecksumError(ModelError):
    """A downloaded file is not the one the hub describes; it was deleted."""


class Source(BaseModel):
    """What to download from the hub and how it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    repo: str
    files: tuple[str, ...]  # file names or glob patterns of the repository
    engine: Literal["llama.cpp", "sentence-transformers"]
    licence: str
    languages: tuple[str, ...] | None = None

    @property
    def role(self) -> Literal["llm", "embedder"]:
        return "embedder" if self.engine == "sentence-transformers" else "llm"


class Curated(Source):
    """A model of the curated list, with the published facts a newcomer chooses by."""

    family: Literal["instruction", "multilingual", "embeddings"]
    disk_gb: float
    memory_gb: float
    speed: Literal["fast on a laptop CPU", "usable on a laptop CPU", "needs a GPU for chat speed"]
    note: str = ""


@functools.cache
def catalogue() -> dict[str, Curated]:
    """The curated models (assets/models.json), by name."""
    rows = json.loads((data_dir("assets") / "models.json").read_text(encoding="utf-8"))
    models = {row["name"]: Curated(**row) for row in rows}
    bad = [n for n in models if not NAME.fullmatch(n) or n in PRESETS]
    if bad or len(models) != len(rows):
        raise ValueError(f"assets/models.json: bad or repeated names {bad}")
    return models


_lock = threading.Lock()  # one manifest update at a time in this process
_downloading: set[str] = set()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def disk_used() -> int:
    """Bytes of the downloaded models and of the parts of unfinished downloads."""
    folder = models_dir()
    return sum(_size(model) for model in folder.iterdir()) if folder.is_dir() else 0


def partial_bytes(name: str) -> int:
    """Bytes kept from an unfinished download of `name` (0 when it finished or never started)."""
    return 0 if name in read_manifest() else _size(models_dir() / name)


def human(size: float) -> str:
    """A byte count as people read it: 98.1 MB, 1.06 GB."""
    for unit in ("B", "kB", "MB"):
        if abs(size) < 1000:
            return f"{size:.3g} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.2f} GB"


def check_name(name: str) -> str:
    """A model name that is safe as a folder name, or a one-line error."""
    name = name.strip()
    if not NAME.fullmatch(name):
        raise ModelError(f"a model name is lower-case letters, digits, '.', '-' and '_' (up to 64), not {name[:40]!r}")
    return name


def source_for(name: str, repo: str | None = None, file: str | None = None) -> Source:
    """The curated model of that name, or any GGUF file of a hub repository under a name of your choice."""
    name = check_name(name)
    if name in PRESETS:
        raise ModelError(f"{name!r} is an embedded model: it is already here")
    if repo is None:
        if name not in catalogue():
            raise ModelError(f"unknown model {name!r}: choose one of {', '.join(catalogue())}, or give a hub "
                             f"repository and a .gguf file.{did_you_mean(name, catalogue())}")  # fmt: skip
        return catalogue()[name]
    if name in catalogue():
        raise ModelError(f"{name!r} is a curated model's name; choose another name for {repo}")
    if not file or not file.endswith(".gguf") or repo.count("/") != 1:
        raise ModelError("any hub model is downloaded as one .gguf file: give the repository as org/name and --file")
    return Source(name=name, title=f"{repo} ({file})", repo=repo, files=(file,), engine="llama.cpp",
                  licence=f"see https://huggingface.co/{repo}")  # fmt: skip


class _Meter:
    """The progress bar huggingface_hub's http_get fills: each chunk goes to the download's running total."""

    def __init__(self, report: Callable[[int], None]) -> None:
        self.report = report

    def __call__(self, **_: Any) -> _Meter:  # http_get's tqdm_class: one meter for every file
        return self

    def __enter__(self) -> _Meter:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, n: float | None = 1) -> None:
        self.report(int(n or 0))


def _digest(path: Path, kind: str) -> str:
    """The file's SHA-256, or its git blob id (how the hub names a small file that is not in LFS)."""
    h = hashlib.sha256() if kind == "sha256" else hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(source: Source, endpoint: str | None, progress: Progress | None) -> Downloaded:
    from huggingface_hub import HfApi, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers, filter_repo_objects

    info = HfApi(endpoint=endpoint, library_name="nlp-playground").model_info(source.repo, files_metadata=True)
    wanted = list(
        filter_repo_objects(info.siblings or [], allow_patterns=list(source.files), key=lambda s: s.rfilename)
    )
    if not wanted or info.sha is None or any(s.size is None for s in wanted):
        raise ModelError(f"{source.repo} has no file matching {', '.join(source.files)} (or the hub did not list "
                         "their sizes)")  # fmt: skip
    folder = models_dir() / source.name
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(s.size or 0 for s in wanted)
    done = min(_size(folder), total)
    free = shutil.disk_usage(models_dir()).free
    if total - done > free:
        raise ModelError(f"{source.name} needs {human(total - done)} more on disk and {human(free)} is free")

    def report(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    report(0)
    files: dict[str, str] = {}
    for sibling in wanted:
        expected, kind = (sibling.lfs.sha256, "sha256") if sibling.lfs else (sibling.blob_id or "", "git")
        target = (folder / sibling.rfilename).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ModelError(f"{source.repo} lists a file outside its folder: {sibling.rfilename[:60]!r}")
        if target.is_file() and _digest(target, kind) != expected:  # a damaged earlier copy
            report(-target.stat().st_size)
            target.unlink()
        if not target.is_file():
            part = target.with_name(f"{target.name}.{expected[:16]}.part")  # named by the content it will hold
            for stale in target.parent.glob(f"{target.name}.*.part") if target.parent.is_dir() else ():
                if stale != part:
                    report(-stale.stat().st_size)
                    stale.unlink()
            part.parent.mkdir(parents=True, exist_ok=True)
            url = hf_hub_url(source.repo, sibling.rfilename, revision=info.sha, endpoint=endpoint)
            with part.open("ab") as out:
                http_get(url, out, resume_size=out.tell(), headers=build_hf_headers(library_name="nlp-playground"),
                         expected_size=sibling.size, displayed_filename=sibling.rfilename,
                         tqdm_class=cast(Any, _Meter(report)))  # fmt: skip
            if _digest(part, kind) != expected:
                shutil.rmtree(folder, ignore_errors=True)
                raise ChecksumError(f"{sibling.rfilename} from {source.repo} is not the file the hub describes "
                                    f"(checksum {expected[:12]}…): it was deleted; try the download again")  # fmt: skip
            os.replace(part, target)
        files[sibling.rfilename] = _digest(target, "sha256") if kind == "git" else expected
    single = source.engine == "llama.cpp"
    main = wanted[0].rfilename if single else "."
    listing = "".join(f"{name}\0{digest}\n" for name, digest in sorted(files.items()))
    return Downloaded(
        name=source.name,
        title=source.title,
        repo=source.repo,
        revision=info.sha,
        file=main,
        files=files,
        sha256=files[main] if single else hashlib.sha256(listing.encode()).hexdigest(),
        bytes=total,
        role=source.role,
        engine=source.engine,
        licence=source.licence,
        languages=source.languages,
        time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def download(source: Source, endpoint: str | None = None, progress: Progress | None = None) -> Downloaded:
    """Download a model's files (resuming what an earlier try left), check each one, and add it to the manifest."""
    from huggingface_hub import is_offline_mode
    from huggingface_hub.errors import HTTPError  # the HTTP library's base error, as huggingface_hub uses it

    policy = Policy.from_env()
    if policy.public and (catalogue().get(source.name) != source or source.name not in policy.allowed_models):
        raise ModelError("this public deployment downloads only the curated models its operator lists in "
                         "NLP_PLAYGROUND_ALLOWED_MODELS")  # fmt: skip
    if is_offline_mode():
        raise ModelError(f"HF_HUB_OFFLINE is set, so nothing is downloaded: unset it to download {source.name}")
    if source.engine == "llama.cpp" and not all(f.endswith(".gguf") for f in source.files):
        raise ModelError(f"{source.name}: the llama.cpp engine runs .gguf files")
    with _lock:
        if source.name in _downloading:
            raise ModelError(f"{source.name} is downloading already")
        _downloading.add(source.name)
    try:
        entry = _fetch(source, endpoint, progress)
    except (HTTPError, OSError) as exc:
        from huggingface_hub.errors import GatedRepoError, RemoteEntryNotFoundError, RepositoryNotFoundError

        where = endpoint or "the hub"
        if isinstance(exc, GatedRepoError):
            raise ModelError(
                f"{source.repo} is gated: accept its terms on the hub and log in (hf auth login)"
            ) from None
        if isinstance(exc, RepositoryNotFoundError | RemoteEntryNotFoundError):
            raise ModelError(f"{source.repo} is not on {where} (or is private)") from None
        kept = partial_bytes(source.name)
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise DownloadError(f"the download of {source.name} stopped ({reason}); {human(kept)} kept: run it again "
                            "to resume") from None  # fmt: skip
    finally:
        with _lock:
            _downloading.discard(source.name)
    with _lock:
        entries = read_manifest()
        entries[entry.name] = entry
        write_manifest(entries)
    return entry


def delete(name: str) -> int:
    """Remove a downloaded model (or what an unfinished download left) and its manifest entry; return bytes freed."""
    name = check_name(name)
    if name in PRESETS:
        raise ModelError(f"{name!r} is embedded in an installed package; uninstall the package to remove it")
    folder = models_dir() / name
    with _lock:
        entries = read_manifest()
        if name not in entries and not folder.exists():
            raise ModelError(f"{name!r} is not downloaded.{did_you_mean(name, entries)}")
        if name in _downloading:
            raise ModelError(f"{name} is downloading now; delete it when the download stops")
        derived = cache_dir() / "transformers" / name  # the transformers engine's dequantized copy (backends/hf.py)
        freed = _size(folder) + _size(derived)
        for path in (folder, derived):
            shutil.rmtree(path, ignore_errors=True)
        if entries.pop(name, None) is not None:
            write_manifest(entries)
    return freed


def rows(public: bool = False, allowed: frozenset[str] = frozenset()) -> Iterator[dict[str, str]]:
    """One row per model for a listing: embedded, curated (downloaded or not), then other downloads.

    In public mode a downloaded model shows as offered only when it is allow-listed, and no path is shown.
    """
    entries = read_manifest()
    for preset in PRESETS.values():
        yield {"name": preset.name, "kind": preset.role, "status": "embedded", "disk": "", "memory": "",
               "licence": preset.licence, "speed": "fast on a laptop CPU", "about": preset.title}  # fmt: skip
    for model in catalogue().values():
        here = model.name in entries and (not public or model.name in allowed)
        kept = 0 if here or public else partial_bytes(model.name)
        status = "downloaded" if here else f"partial, {human(kept)}" if kept else "not downloaded"
        yield {"name": model.name, "kind": model.family, "status": status, "disk": f"about {model.disk_gb:.2g} GB",
               "memory": f"about {model.memory_gb:.2g} GB", "licence": model.licence, "speed": model.speed,
               "about": f"{model.title}: {model.note}" if model.note else model.title}  # fmt: skip
    for entry in entries.values():
        if entry.name not in catalogue() and (not public or entry.name in allowed):
            yield {"name": entry.name, "kind": entry.role, "status": "downloaded", "disk": human(entry.bytes),
                   "memory": "", "licence": entry.licence, "speed": "", "about": entry.title}  # fmt: skip
