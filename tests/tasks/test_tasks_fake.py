"""Every task, run through the real api on a fake backend: wiring, output shapes and streaming."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from playground.core.errors import InputError, ModelError
from playground.core.resources import data_dir
from playground.engines.pool import ModelPool
from playground.evaluation import documents as eval_documents
from playground.evaluation import evaluate as evaluation
from playground.runtime import registry
from playground.runtime.registry import TaskSpec, all_tasks, get_task
from playground.service import api
from playground.service.formatting import format_output
from playground.text.edits import apply_edits
from tests.fakes import FakePool
from tests.helpers import check_on_fake_backend

TASKS = [spec.name for spec in all_tasks()]
BUNDLED = data_dir("assets") / "eval"


def task_inputs(spec: TaskSpec, pool: ModelPool) -> dict[str, Any]:
    """Inputs the task can run on: its first example, else the first row of its bundled eval set (whose documents
    are indexed first, for the collection tasks)."""
    if spec.examples:
        return spec.example_rows()[0]
    assert spec.evaluation and spec.evaluation.inputs, f"task {spec.name} has neither examples nor an eval set"
    rows = evaluation.read_eval_set(BUNDLED / f"{spec.name}.jsonl", limit=1)
    eval_documents.index_documents(rows, {}, pool)
    return spec.evaluation.inputs(rows[0], rows)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_runs_on_the_fake_backend(
    task: str, fake_pool: FakePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Collections of their own: the session's store may hold the same collection embedded by the real model
    # (another vector size), and the fake embedder carries the real one's name.
    monkeypatch.setenv("NLP_PLAYGROUND_DATA", str(tmp_path))
    spec = get_task(task)
    result = check_on_fake_backend(spec, fake_pool, task_inputs(spec, fake_pool))
    assert format_output(spec.display, result.output).strip(), f"the CLI's plain view of {task} is empty"


@pytest.mark.parametrize("task", [spec.name for spec in all_tasks() if spec.examples])
def test_every_task_has_valid_examples(task: str) -> None:
    spec = get_task(task)
    rows = spec.example_rows()
    assert rows, f"{spec.examples} holds no examples"
    for row in rows:
        spec.validate(row)


def test_the_fake_suite_checks_what_it_claims(fake_pool: FakePool) -> None:
    # A task whose output lacks what its eval reads fails the check: the suite would catch a task wired wrong.
    spec = get_task("sentiment")
    broken = dataclasses.replace(spec, name="sentiment", run=lambda ctx, inputs: iter([{"labels": "positive"}]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry._REGISTRY, "sentiment", broken)
        with pytest.raises(KeyError, match="label"):
            check_on_fake_backend(broken, fake_pool, {"text": "Fine."})


def test_choice_task_picks_the_best_calibrated_label(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    # The prompt itself favours "positive" (content-free inputs); only the real review favours "negative".
    fake.scorer = lambda context, labels: (
        [-0.5, -1.0, -2.0]
        if "Review: N/A" in context or "Review: \n" in context or "[MASK]" in context
        else [-0.5, -0.6, -2.0]
    )
    result = api.run("sentiment", pool=fake_pool, text="It was awful.", method="score")
    assert result.output["label"] == "negative"
    assert sum(result.output["scores"].values()) == pytest.approx(1.0)
    contexts = [call[1][0] for call in fake.history if call[0] == "score"]
    assert "Review: It was awful.\nSentiment:" in contexts
    assert all(call[1][1] == [" positive", " negative", " neutral"] for call in fake.history if call[0] == "score")


def test_classification_scores_the_users_labels(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.scorer = lambda context, labels: [-1.0 if "ball" in context and "sport" in x else -2.0 for x in labels]
    result = api.run("classification", pool=fake_pool, text="A ball game", labels="sport, money")
    assert result.output["label"] == "sport"
    assert set(result.output["scores"]) == {"sport", "money"}


def test_generation_streams_growing_partial_results(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("one two three")
    results = list(api.stream("generation", pool=fake_pool, prompt="count"))
    texts = [r.output["text"] for r in results]
    assert texts[-1] == "one two three" and results[-1].done
    assert len(texts) >= 3 and all(
        texts[i] in texts[i + 1] or texts[i + 1].startswith(texts[i]) for i in range(len(texts) - 1)
    )
    assert [r.done for r in results].count(True) == 1


def test_generation_uses_chat_messages_and_task_defaults(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    result = api.run("generation", pool=fake_pool, prompt="hello", seed=5)
    assert fake.history[0] == ("generate", [{"role": "user", "content": "hello"}])
    assert result.model == "smollm2-135m" and result.engine == "llama.cpp"


def test_grammar_corrects_each_sentence_and_keeps_the_layout(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue(" I have three cats.\nOriginal: next", " She goes home.")
    text = "I has three cat.\n\nShe go home."
    out = api.run("grammar", pool=fake_pool, text=text, engines=["llm"]).output
    assert out["corrected"] == "I have three cats.\n\nShe goes home."
    assert apply_edits(text, out["edits"]) == out["corrected"]
    assert {e["source"] for e in out["edits"]} == {"llm"} and out["engines"] == {"llm": "ran"}
    prompts = [call[1] for call in fake.history]
    assert prompts[0].endswith("Original: I has three cat.\nCorrected:")
    assert prompts[1].endswith("Original: She go home.\nCorrected:")


def test_translation_goes_sentence_by_sentence_on_gemma(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("gemma3-270m").enqueue("Bonjour.", "Au revoir.")
    result = api.run(
        "translation", pool=fake_pool, text="Hello. Goodbye.", target_lang="fr", source_lang="en", candidates=1
    )
    assert result.output == {"text": "Bonjour. Au revoir.", "source_lang": "en", "target_lang": "fr", "checks": []}
    prompts = [call[1] for call in fake.history]
    assert prompts[0].endswith("English: Hello.\nFrench:") and prompts[1].endswith("English: Goodbye.\nFrench:")
    assert result.model == "gemma3-270m"


def test_translation_detects_the_source_language(fake_pool: FakePool) -> None:
    fake_pool.fake("gemma3-270m").enqueue("The cat sleeps on the table.")
    text = "Le chat dort sur la table."
    out = api.run("translation", pool=fake_pool, text=text, target_lang="en", candidates=1).output
    assert out["source_lang"] == "fr" and out["detected"]["language"] == "fr"


def test_translation_into_the_same_language_returns_the_text(fake_pool: FakePool) -> None:
    out = api.run("translation", pool=fake_pool, text="Hello there.", source_lang="en", target_lang="en").output
    assert out["text"] == "Hello there."
    assert not fake_pool.loaded()  # no model was needed


def test_style_transfer_prompt_uses_the_chosen_style_shots(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    api.run("style_transfer", pool=fake_pool, text="hi", style="informal")
    prompt = fake.history[0][1]
    assert "Sorry, I can't make it" in prompt and "Could you please" not in prompt
    assert prompt.endswith("Text: hi\nInformal:")


def test_extractive_summary_picks_sentences_of_the_text(fake_pool: FakePool) -> None:
    text = "Cats purr. Cats sleep a lot. Dogs bark. Cats climb trees. Birds sing. Cats hunt mice."
    out = api.run("summarization", pool=fake_pool, text=text, mode="extractive").output
    assert out["mode"] == "extractive"
    assert all(s in text for s in out["summary"].split(". "))
    assert "smollm2-135m" not in fake_pool.fakes  # extractive never loads the LLM


def test_long_text_is_summarized_map_reduce(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.default_text = "short summary."
    text = " ".join(f"Sentence number {i} says something." for i in range(300))  # 1500 words > 512-token fake
    out = api.run("summarization", pool=fake_pool, text=text, max_new_tokens=50).output
    assert out["map_reduce_rounds"] >= 1
    assert len([c for c in fake.history if c[0] == "generate"]) >= 3  # several chunks, then the final pass


def test_clustering_groups_by_embedding_and_names_clusters(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue(" Sports", " Sports")  # the second name repeats: keywords instead
    texts = [
        "goal scored late",
        "goal saved well",
        "goal in extra time",
        "bake bread slowly",
        "bake a cake",
        "bake pies",
    ]
    out = api.run("clustering", pool=fake_pool, texts=texts).output
    assert out["k"] == 2 and out["assignments"] == [0, 0, 0, 1, 1, 1]
    assert out["clusters"][0]["name"] == "Sports"
    assert out["clusters"][1]["named_by"] == "keywords" and "bake" in out["clusters"][1]["name"]
    assert len(out["points"]) == 6


def test_clustering_rejects_more_clusters_than_texts(fake_pool: FakePool) -> None:
    with pytest.raises(InputError, match="only 2 texts"):
        api.run("clustering", pool=fake_pool, texts=["a", "b"], n_clusters=3)


def test_unknown_model_and_engine_are_clear_errors(fake_pool: FakePool) -> None:
    with pytest.raises(ModelError, match="Did you mean 'smollm2-135m'"):
        api.run("sentiment", pool=fake_pool, text="x", model="smollm2-13m")
    with pytest.raises(ModelError, match="unknown engine"):
        api.run("sentiment", pool=fake_pool, text="x", engine="vllm")


def test_run_batch_keeps_going_after_a_bad_item(fake_pool: FakePool) -> None:
    items = [
        {"id": "a", "text": "fine"},
        {"id": "b", "text": ""},
        InputError("line 3 is not valid JSON"),
        {"text": "ok"},
    ]
    outcomes = list(api.run_batch("sentiment", items, pool=fake_pool))
    assert [o.id for o in outcomes] == ["a", "b", 3, 4]
    assert [o.error is None for o in outcomes] == [True, False, False, True]
    assert "text is empty" in outcomes[1].error


def test_grammar_merges_harper_with_the_llm(fake_pool: FakePool) -> None:
    # The fake LLM fixes only the plural; Harper (for real) fixes "has"; both fix nothing else.
    fake_pool.fake("smollm2-135m").enqueue("I has three cats.")
    out = api.run("grammar", pool=fake_pool, text="I has three cat.").output
    assert out["corrected"] == "I have three cats."
    assert {(e["original"], e["source"]) for e in out["edits"]} == {("has", "harper"), ("cat", "llm")}


def test_grammar_leaves_out_the_llms_long_edits(fake_pool: FakePool) -> None:
    text = "I has three cat today."
    rewrite = "We own many felines today."  # one edit of four words: a new sentence, not a fix
    fake_pool.fake("smollm2-135m").enqueue(rewrite, rewrite)
    out = api.run("grammar", pool=fake_pool, text=text, engines=["llm"]).output
    assert out["corrected"] == text and out["edits"] == []
    assert [e["replacement"] for e in out["left_out"]] == ["We own many felines"]
    unlimited = api.run("grammar", pool=fake_pool, text=text, engines=["llm"], llm_edit_words=0).output
    assert unlimited["corrected"] == rewrite and "left_out" not in unlimited


def test_grammar_without_the_llm_never_loads_it(fake_pool: FakePool) -> None:
    out = api.run("grammar", pool=fake_pool, text="I dont know.", engines="harper").output
    assert out["corrected"] == "I don't know." and not fake_pool.loaded()


def test_grammar_in_other_languages_needs_languagetool(fake_pool: FakePool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANGUAGETOOL_URL", raising=False)
    out = api.run("grammar", pool=fake_pool, text="Je suis allé.", language="fr").output
    assert out["corrected"] == "Je suis allé." and out["edits"] == []
    assert out["engines"]["harper"].startswith("skipped") and out["engines"]["llm"].startswith("skipped")
