"""What a newcomer meets first: the setup commands, `python -m playground`, batch and load messages, exit codes."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from playground.engines.catalogue import ModelRef
from playground.frontends.cli import load_status, main
from playground.service import batch
from tests.fakes import FakePool
from tests.helpers import CLI, ENV, EXPECTED_TASKS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    """The commands of the README's Setup section: its lines indented by four spaces."""
    section = README.split("\n## Setup\n", 1)[1].split("\n## ", 1)[0]
    return [line[4:] for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_setup_is_two_commands() -> None:
    install, test = setup_commands()
    assert install.endswith("&& python app.py")
    assert test == 'pip install -e ".[test]" && python -m pytest'


def test_the_first_setup_command_installs_the_project_and_its_console_script() -> None:
    # `pip install -r requirements.txt` installs the libraries alone: no `nlp-playground`, no `python -m playground`.
    pip = shlex.split(setup_commands()[0].split("&&")[0])
    assert pip[:2] == ["pip", "install"] and "-r" not in pip
    assert pip[-1] == "." and pip[-2] in ("install", "-e")  # this directory, so its pyproject.toml: the project
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"nlp-playground": "playground.frontends.cli:main"}


def test_the_console_script_is_installed_beside_the_interpreter() -> None:
    # The tests run after the README's second command, an install of the same kind as the first.
    script = shutil.which("nlp-playground", path=str(Path(sys.executable).parent))
    assert script, "pip install -e . did not install the nlp-playground script"
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0 and "usage: nlp-playground" in proc.stdout


def test_ci_finds_the_readme_test_command() -> None:
    # .ci/run takes the test command from the README with this sed pattern.
    pattern = re.compile(r'^    (pip install -e "\.\[test\]".*pytest.*)$', re.MULTILINE)
    assert pattern.findall(README)[0] == 'pip install -e ".[test]" && python -m pytest'
    assert r'pip install -e "\.\[test\]".*pytest' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_python_dash_m_playground_lists_the_tasks(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "playground", "tasks", "--json"], capture_output=True, text=True,
                          env=ENV, cwd=tmp_path, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {t["name"] for t in json.loads(proc.stdout)} == EXPECTED_TASKS


# ---- batch summary and exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "line"),
    [
        (batch.BatchSummary(done=2, failed=2), "4 rows: 2 answered, 2 errors"),
        (batch.BatchSummary(done=1, failed=0), "1 row: 1 answered, 0 errors"),
        (batch.BatchSummary(done=2, failed=1, skipped=3), "6 rows: 2 answered, 1 error, 3 already done"),
    ],
)
def test_batch_summary_counts_every_row(summary: batch.BatchSummary, line: str) -> None:
    assert summary.line() == line


BATCH = '{"id": "a", "text": "Fine."}\nnot json\n{"id": "c", "text": ""}\n{"id": "d", "text": "Good."}\n'


def test_a_batch_with_bad_rows_says_how_many_of_all_and_exits_1(
    fake_pool: FakePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(batch, "run_file", functools.partial(batch.run_file, pool=fake_pool))
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(BATCH, encoding="utf-8")
    code = main(["run", "sentiment", "--input", str(source), "--output", str(target), "--param", "method=score"])
    assert code == 1  # some rows failed: documented in the README's exit codes
    assert f"4 rows: 2 answered, 2 errors -> {target}" in capsys.readouterr().err
    assert len(target.read_text(encoding="utf-8").splitlines()) == 4


def test_exit_codes_are_documented() -> None:
    section = README.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    codes = " ".join(section.split("**Exit status**", 1)[1].split("\n\n", 1)[0].split())
    for phrase in ("0 when everything was answered", "some rows of a batch failed", "2 for bad usage", "130 after"):
        assert phrase in codes
    with pytest.raises(SystemExit) as usage:  # argparse's own exit for a bad option
        main(["run", "sentiment", "--no-such-option"])
    assert usage.value.code == 2


# ---- the status line while models load --------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_is_told_which_model_loads_and_how_long_it_took(
    fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    fake_pool.on_load = load_status
    ref = ModelRef("smollm2-135m", "llama.cpp", "x.gguf")
    fake_pool.get(ref)
    fake_pool.get(ref)  # loaded already: no second line
    assert re.fullmatch(r"\r\x1b\[Kloading smollm2-135m \(llama\.cpp\)… \d+\.\d s\n", err.getvalue())


def test_a_failed_load_ends_its_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ref: ModelRef) -> None:
        raise RuntimeError("no such file")

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    pool = FakePool()
    pool._loader, pool.on_load = broken, load_status  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        pool.get(ModelRef("gemma3-270m", "llama.cpp", "x.gguf"))
    assert err.getvalue().endswith("loading gemma3-270m (llama.cpp)… failed\n")


def test_no_status_line_in_a_file_or_a_pipe(fake_pool: FakePool, capsys: pytest.CaptureFixture[str]) -> None:
    fake_pool.on_load = load_status
    fake_pool.get(ModelRef("smollm2-135m", "llama.cpp", "x.gguf"))
    assert capsys.readouterr().err == ""


@pytest.mark.model
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_cli_on_a_terminal_says_what_it_loads() -> None:
    import pty

    master, slave = pty.openpty()
    args = ["run", "sentiment", "--text", "Great food!", "--param", "method=score"]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=slave, env=ENV)
    os.close(slave)
    seen = b""
    while select.select([master], [], [], 300)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child has exited and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, seen
    assert re.search(r"loading smollm2-135m \(llama\.cpp\)… \d+\.\d s", seen.decode())
    assert out.decode().startswith("positive") and "loading" not in out.decode()  # stdout holds the result alone


# ---- keeping the models warm: the README's example against a running app ----------------------------------------


@pytest.mark.model
def test_the_readme_warm_models_example_works(app_url: str) -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.DOTALL)
    block = next(b for b in blocks if "/gradio_api/call/sentiment" in b)
    script = block.replace("http://127.0.0.1:7860/", app_url)
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert '"negative"' in proc.stdout, proc.stdout
