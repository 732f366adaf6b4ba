"""Prompt-lookup drafting: the `draft` parameter, and greedy output that does not change when it is on."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from playground.core.errors import ModelError, ParamError
from playground.engines.params import make_params
from playground.service import api

LINE = "the red fox ran over the old stone bridge at dawn."


@pytest.mark.parametrize(
    ("draft", "tokens"), [("none", 0), ("prompt-lookup", 10), ("prompt-lookup:4", 4), ("prompt-lookup:64", 64)]
)
def test_draft_values_and_their_length(draft: str, tokens: int) -> None:
    assert make_params({"draft": draft}).draft_tokens == tokens


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"draft": "medusa"}, "choose none or prompt-lookup"),
        ({"draft": "prompt-lookup:0"}, "from 1 to 64"),
        ({"draft": "prompt-lookup:65"}, "from 1 to 64"),
        ({"draft": "prompt-lookup:x"}, "from 1 to 64"),
        ({"draft": "prompt-lookup:"}, "from 1 to 64"),
        ({"draft": "none:3"}, "choose none or prompt-lookup"),
        ({"draft": "prompt-lookup", "logprobs": 2}, "without logprobs"),
        ({"draft": "prompt-lookup", "num_beams": 2}, "without beams"),
    ],
)
def test_bad_draft_settings_are_one_line_errors(values: dict[str, Any], named: str) -> None:
    with pytest.raises(ParamError, match=named) as caught:
        make_params(values)
    assert "\n" not in str(caught.value)


def test_a_server_is_told_that_drafting_runs_in_process() -> None:
    from playground.engines.remote import OpenAIBackend

    with pytest.raises(ModelError, match="speculative decoding"):
        OpenAIBackend._sampling(make_params({"draft": "prompt-lookup"}))


def test_transformers_is_asked_for_its_prompt_lookup() -> None:
    from playground.engines.hf import TransformersBackend

    fake = SimpleNamespace(tokenizer=SimpleNamespace(pad_token_id=0, eos_token_id=0))
    drafted = TransformersBackend._generate_kwargs(fake, make_params({"draft": "prompt-lookup:6"}))  # type: ignore[arg-type]
    plain = TransformersBackend._generate_kwargs(fake, make_params({}))  # type: ignore[arg-type]
    assert drafted["prompt_lookup_num_tokens"] == 6
    assert "prompt_lookup_num_tokens" not in plain


@pytest.mark.model
def test_drafting_on_llama_cpp_gives_the_plain_greedy_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    drafts: list[int] = []
    lookup = LlamaPromptLookupDecoding.__call__

    def counted(self: LlamaPromptLookupDecoding, input_ids: Any, /, **kwargs: Any) -> Any:
        found = lookup(self, input_ids, **kwargs)
        drafts.append(len(found))
        return found

    monkeypatch.setattr(LlamaPromptLookupDecoding, "__call__", counted)
    cases = [
        # "They was very happy with there new house." left this list: with llama-cpp-python 0.3.36 the batched
        # check of a draft picks "their" where one-token decoding picks "there" (a near tie; the same on the previous
        # main). Drafting is not always identical to plain decoding: docs/performance.md counts how often.
        ("grammar", {"text": "She go to school every days and she like it.", "engines": ["llm"]}),
        ("generation", {"prompt": f"Copy this line exactly: {LINE}\nCopy:", "max_new_tokens": 24}),
    ]
    for task, inputs in cases:
        plain = api.run(task, **inputs, temperature=0)
        drafted = api.run(task, **inputs, temperature=0, draft="prompt-lookup")
        assert drafted.output == plain.output, task
        assert drafted.params["draft"] == "prompt-lookup"
    assert sum(drafts) > 0  # the drafts were made and verified, not skipped
    drafts.clear()
    api.run("generation", prompt="Say hi.", max_new_tokens=4, temperature=0)
    assert drafts == []  # and the next plain call does not draft


def test_the_drafting_benchmark_inputs_are_valid_task_inputs() -> None:
    from playground.evaluation.bench_speed import _drafting_cases, reviews
    from playground.runtime.registry import get_task

    cases = _drafting_cases()
    assert [task for task, _ in cases] == ["grammar", "style_transfer", "summarization", "chat"]
    for task, rows in cases:
        for row in rows:
            get_task(task).validate(row)  # raises on a bad input
    assert len(set(reviews(48))) == 48
