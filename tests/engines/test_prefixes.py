"""Shared prompt prefixes: the bounded store of states, the template marker, and the real engine's outputs with the
store on, off, and after other prompts."""

from __future__ import annotations

import pytest

from playground.engines.base import PrefixedPrompt, shared_prefix
from playground.engines.prefixes import PrefixCache
from playground.runtime import templates


def test_the_store_keeps_the_most_recent_states_within_its_entries_and_bytes() -> None:
    store = PrefixCache(max_bytes=100, max_entries=2)
    store.put([1, 2], b"a" * 40)
    store.put([1, 3], b"b" * 40)
    assert store.get([1, 2]) == b"a" * 40  # now the most recent
    store.put([1, 4], b"c" * 40)  # a third entry: the least recent ([1, 3]) goes
    assert store.get([1, 3]) is None
    assert store.get([1, 2]) is not None and len(store) == 2
    store.put([1, 5], b"d" * 90)  # 90 + 40 bytes is over the bound: only the newest fits
    assert len(store) == 1 and store.size == 90 and store.get([1, 5]) == b"d" * 90
    store.put([1, 6], b"e" * 101)  # larger than the whole bound: not kept, nothing dropped for it
    assert store.get([1, 6]) is None and len(store) == 1
    assert (store.hits, store.misses) == (3, 2)


def test_a_store_of_zero_bytes_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLP_PLAYGROUND_PREFIX_CACHE", "0")
    store = PrefixCache()
    store.put([1], b"x")
    assert store.max_bytes == 0 and store.get([1]) is None and len(store) == 0


def test_the_marker_in_a_template_gives_the_prompt_its_shared_prefix() -> None:
    prompt = templates.render(
        "translation.j2", text="The cat sleeps.", examples=2, source_lang="en", target_lang="fr",
        source_name="English", target_name="French",
    )  # fmt: skip
    assert isinstance(prompt, PrefixedPrompt)
    assert templates.PREFIX_END not in prompt
    assert prompt.startswith(prompt.prefix) and prompt.prefix.count("English:") == 2  # the two worked examples
    assert prompt[len(prompt.prefix) :] == "English: The cat sleeps.\nFrench:"
    edited = templates.render("translation.j2", "{{ source_name }}: {{ text }}\n{{ target_name }}:",
                              text="Hi.", source_name="English", target_name="French")  # fmt: skip
    assert shared_prefix(edited) == ""  # an edited template without the marker shares nothing
    templates.check_source("translation.j2", "{{ prefix_end }}{{ text }}", {"text"})  # the marker is allowed


def test_a_prefix_must_begin_its_prompt() -> None:
    with pytest.raises(ValueError, match="beginning"):
        PrefixedPrompt("abc", "x")
    assert shared_prefix("plain") == "" and shared_prefix(PrefixedPrompt("abc", "ab")) == "ab"
    assert type(PrefixedPrompt("abc", "ab").strip()) is str  # string operations drop the prefix


@pytest.mark.slow
def test_the_engine_gives_the_same_outputs_with_the_store_on_off_and_after_other_prompts() -> None:
    from playground.engines.catalogue import resolve
    from playground.engines.llamacpp import LlamaCppBackend
    from playground.engines.params import make_params

    backend = LlamaCppBackend(resolve("smollm2-135m"))
    shots = "".join(f"Original: {a}\nCorrected: {b}\n\n" for a, b in [
        ("She go to school every days.", "She goes to school every day."),
        ("I has a apple and two banana.", "I have an apple and two bananas."),
        ("They was happy yesterday night.", "They were happy last night."),
    ])  # fmt: skip

    def prompt(text: str) -> PrefixedPrompt:
        return PrefixedPrompt(f"{shots}Original: {text}\nCorrected:", shots)

    sampled = make_params({"temperature": 0.8, "seed": 7, "max_new_tokens": 24, "stop": ["\n"]})

    def outputs() -> list[object]:
        return [
            backend.generate(prompt("He dont like apples."), sampled),
            backend.generate(prompt("We goes home now."), sampled),
            backend.score(prompt("He dont like apples."), [" He doesn't like apples.", " He don't like apple."]),
        ]

    backend.prefixes.max_bytes = 0
    off = outputs()
    assert len(backend.prefixes) == 0
    backend.prefixes.max_bytes = 64 * 2**20
    first = outputs()  # the prefix is evaluated and kept
    assert len(backend.prefixes) == 1
    backend.generate("Write one word:", make_params({"max_new_tokens": 8}))  # other work in between
    again = outputs()  # restored from the store
    assert backend.prefixes.hits >= 3
    assert off == first == again
    backend.prefixes.clear()
    assert backend.prefixes.size == 0
