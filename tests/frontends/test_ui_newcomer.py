"""What a newcomer meets in the app: the seed box, the About tab, the stats line, the settings each tab shows and
the labels of its choices. The app is built in process (nothing launched, no model loaded); runs use the fake pool."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest

from playground.core.errors import ParamError
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams
from playground.frontends.ui.helpers import (
    ADVANCED,
    about_tables,
    advanced_arguments,
    applicable_settings,
    choice_labels,
    parse_seed,
    stats_line,
    task_models,
)
from playground.frontends.ui.task_tab import endpoint
from playground.policy.limits import Policy
from playground.policy.safety import Safety
from playground.runtime import context
from playground.runtime.registry import GROUPS, all_tasks, get_task
from playground.service import api
from tests.fakes import FakeBackend, FakePool


@pytest.fixture(scope="module")
def demo() -> Iterator[gr.Blocks]:
    from playground.frontends.ui import create_app

    app = create_app(Policy(public=False))
    yield app
    app.close()


def walk(block: Any, shown: bool = True) -> Iterator[tuple[Any, bool]]:
    """Every block under this one, with whether it is shown (it and every block above it visible)."""
    shown = shown and block.visible not in (False, "hidden")
    yield block, shown
    for child in getattr(block, "children", None) or []:
        yield from walk(child, shown)


def tab(demo: gr.Blocks, tab_id: str) -> list[tuple[Any, bool]]:
    """The blocks of one tab (a task's, or About), with whether each is shown."""
    found = next(b for b in demo.blocks.values() if isinstance(b, gr.Tab) and b.id == tab_id)
    return list(walk(found))


def shown_labels(demo: gr.Blocks, tab_id: str) -> set[str]:
    return {str(b.label) for b, shown in tab(demo, tab_id) if shown and getattr(b, "label", None)}


def all_labels(demo: gr.Blocks, tab_id: str) -> set[str]:
    return {str(b.label) for b, _ in tab(demo, tab_id) if getattr(b, "label", None)}


# ---- 1. the seed: blank means a new seed each run ----------------------------------------------------------------

SEED_LABEL = "Seed (blank = a new one each run)"


def test_the_seed_box_starts_blank_and_its_api_parameter_stays_an_integer(demo: gr.Blocks) -> None:
    box = next(b for b, _ in tab(demo, "generation") if getattr(b, "label", None) == SEED_LABEL)
    # A Gradio number box shows 0 for no value, and 0 then fixed every run's seed; a text box shows nothing.
    assert isinstance(box, gr.Textbox) and box.value in (None, "")
    assert box.api_info() == {"type": "integer"}
    parameters = demo.get_api_info()["named_endpoints"]["/generation"]["parameters"]
    seed = next(p for p in parameters if p["parameter_name"] == "seed")
    assert seed["type"] == {"type": "integer"} and seed["parameter_default"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("42", 42),
        (" 7 ", 7),
        (42, 42),
        (3.0, 3),
        ("0", 0),
        (2**32 - 1, 2**32 - 1),
    ],
)
def test_parse_seed(value: Any, expected: int | None) -> None:
    assert parse_seed(value) == expected


@pytest.mark.parametrize("value", ["abc", "4.5", "-1", 2**32, True, "1e400"])
def test_a_bad_seed_is_one_line_naming_seed(value: Any) -> None:
    with pytest.raises(ParamError, match=r"^seed must be a whole number from 0 to 4294967295, or blank") as raised:
        parse_seed(value)
    assert "\n" not in str(raised.value)


def test_a_blank_seed_is_left_to_the_api_which_draws_one_per_run() -> None:
    settings = ["smollm2-135m", "auto", 20, 0.7, 0.9, 0, 1.1, 1, "", 0, ""]
    assert "seed" not in advanced_arguments(settings)
    settings[ADVANCED.index("seed")] = "11"
    assert advanced_arguments(settings)["seed"] == 11
    pool = FakePool()
    seeds = {api.run("generation", pool=pool, prompt="Hi", temperature=0.7).params["seed"] for _ in range(3)}
    assert len(seeds) == 3


# ---- 2. the About tab: tasks by group, every model each one runs --------------------------------------------------


def about_markdown(demo: gr.Blocks) -> str:
    return next(str(b.value) for b, _ in tab(demo, "about") if isinstance(b, gr.Markdown) and b.value)


def test_about_lists_the_tasks_in_group_order_with_every_model(demo: gr.Blocks) -> None:
    text = about_markdown(demo)
    headers = [text.index(f"### {group}") for group in GROUPS]
    assert headers == sorted(headers)
    rows = {spec.name: next(line for line in text.splitlines() if line.startswith(f"| **{spec.title}** |"))
            for spec in all_tasks()}  # fmt: skip
    for spec in all_tasks():
        group = GROUPS.index(spec.group)
        end = headers[group + 1] if group + 1 < len(GROUPS) else len(text)
        assert headers[group] < text.index(rows[spec.name]) < end, spec.name
    models = {name: row.rsplit("|", 2)[1].strip() for name, row in rows.items()}
    assert models["sentiment"] == "smollm2-135m + minilm-l6-v2 + gemma3-270m"
    assert models["classification"] == "smollm2-135m + minilm-l6-v2 + gemma3-270m"
    assert models["translation"].split(" + ")[0] == "gemma3-270m" and "smollm2" not in models["translation"]
    assert models["style_transfer"] == "smollm2-135m + minilm-l6-v2"
    assert models["search"] == "minilm-l6-v2 + BM25"
    assert models["duplicates"] == "minilm-l6-v2 + MinHash"
    assert models["keywords"] == "minilm-l6-v2 + smollm2-135m (optional)"
    assert "Harper" in models["grammar"] and "smollm2-135m" in models["grammar"]


def test_task_models_name_the_task_llm_first_and_an_optional_one_last() -> None:
    assert task_models(get_task("generation")) == ["smollm2-135m"]
    assert task_models(get_task("clustering")) == ["smollm2-135m", "minilm-l6-v2"]
    assert task_models(get_task("keywords"))[-1] == "smollm2-135m (optional)"
    table = about_tables([get_task("chat"), get_task("generation")])  # any order in: the groups' order out
    assert table.index("### Write") < table.index("### Chat")


# ---- 3. the stats line: what each model did ----------------------------------------------------------------------


class Clock:
    """A stand-in for time.perf_counter that moves only when told: the timings become exact numbers."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


class TimedFake(FakeBackend):
    """A fake whose prompt takes 1 s to read, each further word 0.1 s to decode, each scoring call 2 s."""

    clock: Clock

    def stream(self, prompt: Any, params: GenerationParams) -> Iterator[str]:
        for number, word in enumerate(super().stream(prompt, params)):
            self.clock.tick(1.0 if number == 0 else 0.1)
            yield word

    def score(self, context: str, continuations: Any) -> list[float]:
        self.clock.tick(2.0)
        return super().score(context, continuations)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(context.time, "perf_counter", clock)
    TimedFake.clock = clock
    return clock


def test_the_speed_counts_decoding_only_not_the_prompt_nor_scoring_nor_the_task(clock: Clock) -> None:
    meter = context.Meter()
    backend = context.MeteredBackend(TimedFake(ModelRef("smollm2-135m", "llama.cpp", "")), meter)
    backend.inner.enqueue("one two three four five six seven eight nine ten eleven")  # type: ignore[attr-defined]
    for _ in backend.stream("Hi", GenerationParams()):
        clock.tick(5.0)  # the task and the app between pieces: not the model's time
    backend.score("Hi", [" yes", " no"])
    t = meter.timings()
    (use,) = t["models"]
    assert use["name"] == "smollm2-135m" and use["calls"] == {"generate": 1, "score": 1}
    assert use["tokens"] == 11 and t["tokens"] == 11
    assert use["seconds"] == pytest.approx(1.0 + 10 * 0.1 + 2.0)  # prompt, decoding and scoring: in the model
    assert use["tokens_per_s"] == pytest.approx(10.0) and t["tokens_per_s"] == pytest.approx(10.0)  # 10 tokens / 1 s
    line = stats_line(api.Result("generation", {}, "smollm2-135m", "llama.cpp", t))
    assert "11 tokens at 10.0 tokens/s, 1 scoring call, 4.0 s" in line


def test_an_ensemble_credits_every_model_and_shows_no_speed_where_nothing_was_decoded() -> None:
    result = api.run("sentiment", pool=FakePool(), text="The soup was cold.")
    figures = {m["name"]: m for m in result.timings["models"]}
    assert list(figures) == ["smollm2-135m", "minilm-l6-v2", "gemma3-270m"]
    assert set(figures["smollm2-135m"]["calls"]) == {"score"} and figures["minilm-l6-v2"]["calls"] == {"embed": 1}
    assert figures["gemma3-270m"]["calls"]["score"] >= 1
    assert all(m["tokens"] == 0 and m["tokens_per_s"] is None for m in figures.values())
    assert result.timings["tokens_per_s"] is None and result.timings["first_token_s"] is None
    line = stats_line(result)
    assert "tokens" not in line and "first token" not in line
    assert re.search(r"\*\*minilm-l6-v2\*\* on sentence-transformers: 1 embedding call, [\d.]+ s", line)
    assert re.search(r"\*\*gemma3-270m\*\* on llama\.cpp: \d+ scoring calls?, [\d.]+ s", line)


def test_translation_credits_its_tokens_to_its_model(fake_pool: FakePool) -> None:
    fake_pool.fake("gemma3-270m").default_text = "Bonjour tout le monde"
    result = api.run("translation", pool=fake_pool, text="Hello everyone.", target_lang="fr", candidates=1)
    (gemma,) = result.timings["models"]
    assert gemma["name"] == "gemma3-270m" and gemma["tokens"] > 0 and gemma["calls"]["generate"] >= 1
    line = stats_line(result)
    assert line.startswith("**gemma3-270m** on llama.cpp: ") and f"{gemma['tokens']} tokens" in line


def test_partial_results_count_the_tokens_made_so_far(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("a b c d e f g h i j")
    results = api.stream("generation", pool=fake_pool, prompt="Hi")
    partial = list(itertools.islice(results, 4))
    results.close()  # what Stop does
    counts = [r.timings["tokens"] for r in partial]
    assert counts == sorted(counts) and counts[-1] > 0 and not partial[-1].done
    line = stats_line(partial[-1])
    assert f"{counts[-1]} tokens" in line and "so far" in line


def test_after_stop_the_tab_keeps_a_line_with_the_tokens_so_far(
    monkeypatch: pytest.MonkeyPatch, fake_pool: FakePool
) -> None:
    fake_pool.fake("smollm2-135m").enqueue(" ".join(f"w{n}" for n in range(50)))
    monkeypatch.setattr(api, "stream", functools.partial(api.stream, pool=fake_pool))
    spec = get_task("generation")
    run = endpoint(spec, Policy(public=False), Safety.from_env(False), lambda out, inputs: [out["text"]])
    p = GenerationParams().merged(**spec.default_params)
    updates = run("Tell a story.", spec.default_model, "auto", p.max_new_tokens, p.temperature, p.top_p, p.top_k,
                  p.repetition_penalty, p.num_beams, "", 0, "", None)  # fmt: skip
    shown = list(itertools.islice(updates, 5))
    updates.close()  # Stop: the generation ends here, and the page keeps the last update
    text, checks, stats, raw = shown[-1]
    made = raw["timings"]["tokens"]
    assert 0 < made < 50 and text
    assert checks == ""  # a partial answer is not checked: the checks stay empty
    assert re.search(rf"\b{made} tokens\b", stats) and "so far" in stats


# ---- 4. each tab shows only the settings that do something --------------------------------------------------------

DECODING = {"Max new tokens", "Temperature (0 = greedy)", "Top-p", "Top-k (0 = off)", "Repetition penalty",
            "Beams (transformers engine)", SEED_LABEL, "Token probabilities", "Stop sequences"}  # fmt: skip
DETAILS = {"Tokens and their probabilities", "Prompts sent to the model"}


@pytest.mark.parametrize("task", ["search", "duplicates"])
def test_a_tab_without_a_language_model_shows_no_model_settings(demo: gr.Blocks, task: str) -> None:
    shown = shown_labels(demo, task)
    assert not shown & (DECODING | DETAILS | {"Advanced", "Model", "Engine"})
    assert all_labels(demo, task) >= DECODING  # still there, hidden: the endpoint keeps its parameters


def test_each_tab_shows_the_settings_that_apply(demo: gr.Blocks) -> None:
    assert DECODING | DETAILS | {"Model", "Engine"} <= shown_labels(demo, "generation")
    labels = shown_labels(demo, "sentiment")  # scored labels: no decoding, but each label's log-likelihood
    assert {"Model", "Engine", "Tokens and their probabilities"} <= labels and not labels & DECODING
    clusters = shown_labels(demo, "clustering")  # the names are sampled, a dozen tokens each
    assert {"Temperature (0 = greedy)", SEED_LABEL, "Prompts sent to the model"} <= clusters
    assert not clusters & {"Max new tokens", "Token probabilities", "Tokens and their probabilities"}
    assert {"Max new tokens", "Token probabilities"} <= shown_labels(demo, "keywords")  # the meta description


def test_hidden_settings_keep_every_endpoint_signature(demo: gr.Blocks) -> None:
    endpoints = demo.get_api_info()["named_endpoints"]
    for spec in all_tasks():
        names = [p["parameter_name"] for p in endpoints[f"/{spec.name}"]["parameters"]]
        assert names[len(spec.inputs) + (spec.main_input.kind == "texts") :][: len(ADVANCED)] == list(ADVANCED)
    assert applicable_settings(get_task("search")) == ()
    assert applicable_settings(get_task("generation")) == ADVANCED


# ---- 5. choices are shown as themselves, languages by name --------------------------------------------------------


def dropdown(demo: gr.Blocks, task: str, label: str) -> list[tuple[str, str]]:
    box = next(b for b, _ in tab(demo, task) if isinstance(b, gr.Dropdown) and b.label == label)
    return [tuple(choice) for choice in box.choices]


def test_only_language_choices_get_language_names(demo: gr.Blocks) -> None:
    assert dropdown(demo, "qa", "Answer") == [("auto", "auto"), ("generate", "generate"), ("extractive", "extractive")]
    assert ("French", "fr") in dropdown(demo, "translation", "Translate into")
    assert dropdown(demo, "translation", "Source language")[0] == ("Detect automatically", "auto")
    assert ("Dutch", "nl") in dropdown(demo, "draft", "Write in")
    assert choice_labels(get_task("sentiment").inputs[1])[0] == ("ensemble", "ensemble")
