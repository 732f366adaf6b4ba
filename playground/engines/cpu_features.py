"""Work-arounds for llama.cpp builds on particular CPUs, applied before a model loads.

On CPUs with Intel AMX (Sapphire Rapids and later), llama.cpp repacks the weights into an AMX buffer, and its AMX
matrix multiply crashes the process (a segmentation fault at the first evaluation) on the Q4_K_M and Q4_1 models
embedded here: ggml-org/llama.cpp issue 20824, seen with llama-cpp-python 0.3.36. Where the build reports AMX, models
load without the extra buffer types (`use_extra_bufts`), so the plain CPU kernels run (AVX-512 on those CPUs).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def has_amx() -> bool:
    """Whether this llama.cpp build uses AMX on this CPU (its system information says AMX_INT8 = 1)."""
    import llama_cpp

    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


@functools.cache
def avoid_amx() -> bool:
    """Make every model loaded in this process from now on skip the extra buffer types when AMX is present.

    llama-cpp-python's Llama takes its model parameters from `llama_model_default_params` and has no argument for
    this one, so that function is wrapped. Returns whether it was; idempotent.
    """
    if not has_amx():
        return False
    from llama_cpp import llama_cpp as low

    default = low.llama_model_default_params

    def params() -> Any:
        made = default()
        made.use_extra_bufts = False
        return made

    params.unwrapped = default  # type: ignore[attr-defined]  # for tests
    low.llama_model_default_params = params
    return True
