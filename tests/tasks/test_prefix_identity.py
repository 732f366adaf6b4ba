"""Every task's outputs on its bundled examples are the same, byte for byte, with the prefix store on and off, in a
fresh process and after the other tasks have run (the store then holds their prefixes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

RUN = """
import json, sys
from playground.runtime.registry import all_tasks
from playground.service import api
order = [s.name for s in all_tasks() if s.examples]
if sys.argv[1] == "reversed":
    order = order[::-1]
passes = [order, order[::-1]] if sys.argv[2] == "twice" else [order]
runs = {}
for number, names in enumerate(passes):
    for name in names:
        from playground.runtime.registry import get_task
        example = get_task(name).example_rows()[0]
        runs[f"{name}/{number}"] = api.run(name, seed=0, **example).output
print(json.dumps(runs, sort_keys=True, ensure_ascii=False, default=str))
"""


def outputs(store_mb: str, order: str, passes: str) -> dict[str, object]:
    env = {**os.environ, "NLP_PLAYGROUND_PREFIX_CACHE": store_mb, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", RUN, order, passes], capture_output=True, text=True, env=env,
                          timeout=600, check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_outputs_do_not_depend_on_the_prefix_store_or_on_what_ran_before() -> None:
    kept = outputs("64", "registry", "twice")  # each task fresh-ish, then again after every other task
    evaluated = outputs("0", "reversed", "once")  # no store, the other order: the last task of `kept` runs first
    tasks = sorted({key.split("/")[0] for key in kept})
    assert "translation" in tasks and "style_transfer" in tasks and "grammar" in tasks
    for task in tasks:
        assert kept[f"{task}/0"] == kept[f"{task}/1"] == evaluated[f"{task}/0"], task
