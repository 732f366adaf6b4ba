"""Candidates decoded side by side (generate_many): the real engine against its own one-by-one path, and the meter."""

from __future__ import annotations

import pytest

from playground.engines.base import Backend, PrefixedPrompt
from playground.engines.params import make_params
from playground.engines.sequences import MAX_SEQUENCES
from playground.runtime.context import Meter, MeteredBackend
from tests.fakes import FakeBackend

SHOTS = "Translate English to French.\nEnglish: Good morning.\nFrench: Bonjour.\nEnglish: Thank you very much.\n" \
    "French: Merci beaucoup.\n"  # fmt: skip


def prompt(text: str) -> PrefixedPrompt:
    return PrefixedPrompt(f"{SHOTS}English: {text}\nFrench:", SHOTS)


@pytest.fixture(scope="module")
def gemma() -> Backend:
    from playground.engines.catalogue import resolve
    from playground.engines.llamacpp import LlamaCppBackend

    return LlamaCppBackend(resolve("gemma3-270m"))


@pytest.mark.model
def test_parallel_samples_repeat_for_their_seeds_whatever_ran_before(gemma: Backend) -> None:
    sampled = make_params({"temperature": 0.9, "seed": 1, "max_new_tokens": 40, "stop": ["\n"]})
    seeds = [11, 12, 13, 14]
    first = gemma.generate_many(prompt("The old bridge was closed for repairs."), sampled, seeds)
    gemma.generate(prompt("Where is the station?"), make_params({"temperature": 0, "max_new_tokens": 8}))
    again = gemma.generate_many(prompt("The old bridge was closed for repairs."), sampled, seeds)
    assert first == again
    assert len(first) == 4 and all(text.strip() and "\n" not in text for text in first)
    assert len(set(first)) > 1  # four seeds at a high temperature: not one text four times


@pytest.mark.model
def test_parallel_samples_follow_their_settings_and_leave_the_model_clean(gemma: Backend) -> None:
    greedy = make_params({"temperature": 0, "max_new_tokens": 16, "stop": ["\n"]})
    before = gemma.generate(prompt("The museum opens at nine."), greedy)
    short = make_params({"temperature": 0.7, "seed": 3, "max_new_tokens": 3})
    seeds = list(range(MAX_SEQUENCES + 2))  # two groups
    texts = gemma.generate_many(prompt("The children played in the garden all afternoon."), short, seeds)
    assert len(texts) == len(seeds)
    assert all(0 < gemma.count_tokens(text) <= 4 for text in texts)  # three tokens (a word may re-tokenise longer)
    assert gemma.generate(prompt("The museum opens at nine."), greedy) == before  # no sequence left behind
    # Greedy decoding gives one text per seed, the one-by-one path's
    assert gemma.generate_many(prompt("The museum opens at nine."), greedy, [1, 2]) == [before, before]


def test_the_meter_counts_each_generation(fake_pool: object) -> None:
    from playground.engines.catalogue import resolve

    inner = FakeBackend(resolve("smollm2-135m")).enqueue("un", "deux", "trois")
    meter = Meter()
    metered = MeteredBackend(inner, meter)
    texts = metered.generate_many("Count:", make_params({"temperature": 0.5}), [1, 2, 3])
    assert [t.strip() for t in texts] == ["un", "deux", "trois"]
    assert [p["call"] for p in meter.prompts] == ["generate"] * 3
    assert meter.use(inner.ref).calls == {"generate": 3} and meter.use(inner.ref).tokens > 0


def test_the_width_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.core.errors import ModelError
    from playground.engines.sequences import side_by_side

    monkeypatch.delenv("NLP_PLAYGROUND_SEQUENCES", raising=False)
    assert side_by_side() == MAX_SEQUENCES
    monkeypatch.setenv("NLP_PLAYGROUND_SEQUENCES", "1")
    assert side_by_side() == 1
    for bad in ("0", "9", "two", "-1"):
        monkeypatch.setenv("NLP_PLAYGROUND_SEQUENCES", bad)
        with pytest.raises(ModelError, match="NLP_PLAYGROUND_SEQUENCES"):
            side_by_side()


@pytest.mark.model
def test_messages_are_decoded_side_by_side_through_the_chat_template() -> None:
    from playground.engines.catalogue import resolve
    from playground.engines.llamacpp import LlamaCppBackend

    smollm = LlamaCppBackend(resolve("smollm2-135m"))
    messages = [{"role": "user", "content": "Give one idea for a bakery promotion, in one sentence."}]
    sampled = make_params({"temperature": 0.8, "seed": 1, "max_new_tokens": 40})
    texts = smollm.generate_many(messages, sampled, [5, 6, 7])
    assert texts == smollm.generate_many(messages, sampled, [5, 6, 7])
    assert len(texts) == 3 and all(text.strip() for text in texts)
    assert not any("<|im_end|>" in text or "<|im_start|>" in text for text in texts)  # ends at the end of its turn


@pytest.mark.model
def test_a_long_prompt_decodes_as_many_sequences_side_by_side_as_the_cache_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playground.engines import llamacpp
    from playground.engines.catalogue import resolve

    monkeypatch.setattr(llamacpp, "N_CTX", 512)  # a small context, so that a prompt fills it quickly
    smollm = llamacpp.LlamaCppBackend(resolve("smollm2-135m"))
    long = "Notes: " + " ".join(f"item {i} is fine." for i in range(60)) + "\nSummary:"
    room = smollm.context_length - smollm.count_prompt(long)
    assert smollm.context_length == 512 and 40 < room < 200
    for new in (room // 2, room - 10):  # two, then one sequence fits: groups of two, then one after another
        sampled = make_params({"temperature": 0.8, "seed": 1, "max_new_tokens": new, "stop": ["\n"]})
        texts = smollm.generate_many(long, sampled, [1, 2, 3])
        assert len(texts) == 3 and texts == smollm.generate_many(long, sampled, [1, 2, 3])
