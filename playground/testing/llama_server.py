"""`python -m playground.testing.llama_server ARGS`: llama-cpp-python's OpenAI-compatible server (the same ARGS as
`python -m llama_cpp.server`), with this project's CPU work-arounds applied before it loads its model."""

from __future__ import annotations

import runpy

from playground.engines.cpu_features import avoid_amx

if __name__ == "__main__":
    avoid_amx()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
