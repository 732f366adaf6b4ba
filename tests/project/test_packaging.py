"""The layout works from a checkout and as an installed package; requirements.txt matches pyproject.toml."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from playground.core.resources import data_dir
from playground.runtime.registry import all_tasks
from tests.helpers import ROOT

TASK_COUNT = str(len(list((ROOT / "tasks").glob("[!_]*.py"))))  # one task per module of tasks/


def test_requirements_txt_lists_exactly_the_project_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    required = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(required) == sorted(declared)


def test_prompts_and_assets_are_found() -> None:
    assert (data_dir("prompts") / "sentiment.j2").is_file()
    assert (data_dir("assets") / "examples" / "sentiment.jsonl").is_file()


# Every library a default path imports (engines, grammar, metrics, the app). A missing declaration shows here,
# in a fresh virtualenv, instead of as a "failed: No module named ..." inside a task's result.
DEFAULT_PATH_MODULES = [
    "llama_cpp",  # the default LLM engine
    "sentence_transformers",  # the embedder
    "transformers",
    "torch",
    "harper",  # grammar's default rule engine
    "language_tool_python",
    "py3langid",  # translation's language detection
    "evaluate",  # eval metrics, with the libraries the metric modules wrap
    "datasets",
    "sacrebleu",
    "rouge_score",
    "sklearn",
    "gradio",  # the app, and pandas for its plots
    "pandas",
    "tqdm",
    "openai",  # the openai engine
    "qdrant_client",  # document collections, with keyword search, PDF and docx reading, duplicates
    "bm25s",
    "pypdf",
    "docx",
    "datasketch",
]


@pytest.mark.parametrize("module", DEFAULT_PATH_MODULES)
def test_default_path_dependencies_import(module: str) -> None:
    imported = importlib.import_module(module)
    # A module with code, not an empty namespace package left behind by an uninstall.
    assert imported.__spec__ is not None and imported.__spec__.origin not in (None, "namespace"), imported


@pytest.mark.parametrize("engine", ["llamacpp", "hf", "embedder", "remote"])
def test_every_engine_module_imports(engine: str) -> None:
    from playground.engines.base import Backend

    module = importlib.import_module(f"playground.engines.{engine}")
    backends = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Backend) and v is not Backend]
    assert any(b.__module__ == module.__name__ for b in backends), f"{module.__name__} defines no backend"


def test_import_beside_a_users_tasks_py(tmp_path: Path) -> None:
    # Invoke and Fabric keep a tasks.py in the working directory; the package must not shadow it or trip on it.
    (tmp_path / "tasks.py").write_text("def build():\n    pass\n", encoding="utf-8")
    code = "import playground, tasks; print(len(playground.list_tasks()), hasattr(tasks, 'build'))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [TASK_COUNT, "True"]


def test_the_distribution_adds_no_generic_top_level_name() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert all(p == "playground" or p.startswith("playground.") for p in config["packages"])


def test_a_checkout_finds_its_tasks_without_an_install() -> None:
    # Spaces runs `python app.py` in a checkout: with no installed finder, tasks/ is loaded as playground.tasks.
    code = (
        "import sys; sys.meta_path = [f for f in sys.meta_path if 'editable' not in str(f)]; "
        "import playground, playground.tasks.clustering as c; print(len(playground.list_tasks()), c.__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [TASK_COUNT, "playground.tasks.clustering"]


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty")  # fmt: skip


def test_the_spaces_card_counts_the_tasks_right() -> None:
    # Hugging Face Spaces reads the README's front matter; short_description shows on the Space's card.
    front = (ROOT / "README.md").read_text(encoding="utf-8").split("---\n")[1]
    fields = dict(line.split(": ", 1) for line in front.splitlines() if ": " in line)
    description = fields["short_description"]
    assert len(description) <= 60  # Spaces refuses a longer one
    words = description.lower().split()
    counts = [int(w) if w.isdigit() else NUMBER_WORDS.index(w) for w in words if w.isdigit() or w in NUMBER_WORDS]
    registered = len(all_tasks())
    assert all(count == registered for count in counts), f"{description!r}: the registry has {registered} tasks"
