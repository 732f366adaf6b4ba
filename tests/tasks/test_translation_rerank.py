"""Reranked translation candidates, on a fake model whose scores are set by the test."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pytest

from playground.service import api
from tests.fakes import FakePool

SOURCE = "The dog sleeps."


def scores(context: str, continuations: Sequence[str]) -> list[float]:
    """Forward: the fake prefers 'Le chien dort.' a little; channel: it reads the source back best from it."""
    if context.endswith("French:"):
        return [{" Le chien dort.": -3.0, " Le chat dort.": -2.0}.get(c, -9.0) for c in continuations]
    assert context.endswith("English:") and continuations == [" " + SOURCE]
    return [-1.0 if "Le chien dort." in context.rsplit("French:", 1)[1] else -6.0]


def test_candidates_are_ranked_by_forward_and_channel_scores(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("gemma3-270m")
    loop = "Le chien dort. " * 5
    fake.enqueue("Le chat dort.", SOURCE, "Le chien dort.", loop.strip(), "Le chat dort.")
    fake.scorer = scores
    out = api.run("translation", pool=fake_pool, text=SOURCE, source_lang="en", target_lang="fr").output
    assert out["text"] == "Le chien dort."  # -3 + 4 x -1 beats -2 + 4 x -6
    [sentence] = out["candidates"]
    assert sentence["source"] == SOURCE and sentence["line"] == 1
    # the copy of the source and the looping one are left out, the repeated one counted once
    assert [o["text"] for o in sentence["options"]] == ["Le chien dort.", "Le chat dort."]
    assert sentence["options"][0] == {"text": "Le chien dort.", "score": -7.0, "forward": -3.0, "channel": -1.0}
    generated = [call for call in fake.history if call[0] == "generate"]
    assert len(generated) == 5  # the greedy translation and four samples


def test_one_candidate_neither_samples_nor_scores(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("gemma3-270m").enqueue("Le chat dort.")
    out = api.run("translation", pool=fake_pool, text=SOURCE, source_lang="en", target_lang="fr", candidates=1)
    assert out.output == {"text": "Le chat dort.", "source_lang": "en", "target_lang": "fr", "checks": []}
    assert [call[0] for call in fake.history] == ["generate"]


def test_when_every_candidate_copies_the_source_the_first_stands(fake_pool: FakePool) -> None:
    # The greedy copy, two sampled copies, and a copy again from the prompt without examples, the last repair.
    fake = fake_pool.fake("gemma3-270m").enqueue(*[SOURCE] * 4)
    out = api.run("translation", pool=fake_pool, text=SOURCE, source_lang="en", target_lang="fr", candidates=3)
    assert out.output["text"] == SOURCE and not fake.texts
    # Nothing to rank; the repair that found nothing is recorded, and the check stage flags the copy.
    assert out.output["candidates"] == [
        {"line": 1, "source": SOURCE, "options": [], "repair": "none found", "chosen": SOURCE}
    ]
    assert out.output["checks"] == [
        {"kind": "untranslated", "message": "this sentence copies the source", "start": 0, "end": len(SOURCE)}
    ]
    assert [call[0] for call in fake.history] == ["generate"] * 4  # nothing scored
    prompts = [str(call[1]) for call in fake.history]
    assert all("English: The museum" in p for p in prompts[:3])  # the few-shot prompt
    assert prompts[3] == f"English: {SOURCE}\nFrench:"  # the other prompt: no examples


def test_a_copy_is_repaired_by_the_prompt_without_examples(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("gemma3-270m").enqueue(SOURCE, "Le chien dort.")
    out = api.run("translation", pool=fake_pool, text=SOURCE, source_lang="en", target_lang="fr", candidates=1)
    assert out.output["text"] == "Le chien dort." and out.output["checks"] == []
    assert out.output["candidates"] == [
        {"line": 1, "source": SOURCE, "options": [], "repair": "other prompt", "chosen": "Le chien dort."}
    ]
    assert str(fake.history[-1][1]) == f"English: {SOURCE}\nFrench:"


def test_a_servers_model_keeps_its_greedy_translation() -> None:
    from playground.engines.pool import ModelPool
    from playground.testing.stubserver import StubServer

    with StubServer(reply=lambda prompt: "Le chien dort.") as server:
        remote = {"engine": "openai", "base_url": server.base_url, "pool": ModelPool()}
        out = api.run("translation", text=SOURCE, source_lang="en", target_lang="fr", **remote).output
    assert out["text"] == "Le chien dort." and "candidates" not in out
    asked = [body for body in server.bodies if body and ("prompt" in body or "messages" in body)]
    assert len(asked) == 1  # no samples, and no request for log-probabilities


def test_short_texts_names_and_numbers_are_not_left_out(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("gemma3-270m")
    fake.scorer = lambda context, continuations: [-1.0] * len(continuations)
    fake.enqueue("Merci beaucoup !", "Merci.")  # more than twice as long as "Thanks!", within the margin
    out = api.run("translation", pool=fake_pool, text="Thanks!", source_lang="en", target_lang="fr", candidates=2)
    assert [o["text"] for o in out.output["candidates"][0]["options"]] == ["Merci beaucoup !", "Merci."]
    fake.enqueue("Paris.", "Paris, France.")
    out = api.run("translation", pool=fake_pool, text="Paris.", source_lang="en", target_lang="fr", candidates=2)
    assert [o["text"] for o in out.output["candidates"][0]["options"]] == ["Paris.", "Paris, France."]


def test_the_cli_writes_only_the_reranked_text_to_a_file_or_pipe(
    fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from playground.frontends.cli import main

    fake = fake_pool.fake("gemma3-270m").enqueue("Le chat dort.", "Le chien dort.")
    fake.scorer = scores
    monkeypatch.setattr(api, "stream", functools.partial(api.stream, pool=fake_pool))
    argv = ["run", "translation", "--text", SOURCE, "--param", "source_lang=en", "--param", "target_lang=fr"]
    assert main([*argv, "--param", "candidates=2"]) == 0
    assert capsys.readouterr().out == "Le chien dort.\n"  # not the greedy draft streamed first
