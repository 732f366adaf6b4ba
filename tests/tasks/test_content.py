"""Content tools: ideas, draft, expand and keywords, on a fake backend and on the real embedded models."""

from __future__ import annotations

import json

import pytest

from playground.core.resources import data_dir
from playground.runtime.registry import get_task
from playground.service import api
from playground.tasks import ideas, keywords
from tests.fakes import FakePool

ARTICLE = (
    "Heat pumps move heat instead of making it. An air source heat pump takes warmth from the outside air, even in "
    "winter, and a ground source heat pump draws it from pipes buried in the garden. Because they move three or "
    "four units of heat for every unit of electricity, heat pumps can cut energy bills, especially in a well "
    "insulated home. Before installing one, ask for a heat loss survey: it tells the installer how large the heat "
    "pump must be and whether the radiators need replacing."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1. Rainy Gear: what to wear\n2. Route Planning - dry roads",
            [("Rainy Gear", "what to wear"), ("Route Planning", "dry roads")],
        ),
        (
            "Here are some ideas:\n- **Bike Parking**: where to leave it\n- Showers at work",
            [("Bike Parking", "where to leave it"), ("Showers at work", "")],
        ),
        ('1. "Fenders Matter" — keep the spray off', [("Fenders Matter", "keep the spray off")]),
        ("Idea 1: Lights. Be seen in the rain.", [("Lights. Be seen in the rain", "")]),
        ("Just one idea without a list", [("Just one idea without a list", "")]),
        ("x\n\n1. ##\n", []),
        ("1. " + "A very long preamble " * 5 + ": then text", []),
    ],
)
def test_ideas_are_parsed_from_the_models_lines(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(i["title"], i["description"]) for i in ideas.parse(text)] == expected


def test_ideas_drops_near_duplicates_and_asks_for_more(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    # The fake embedder gives texts with the same first word nearly the same vector: Alpha twice is one idea.
    fake.enqueue("1. Alpha plan: one\n2. Alpha plans: two", "1. Beta: three\n2. Gamma: four\n3. Delta: five")
    result = api.run("ideas", pool=fake_pool, topic="a blog", n=3, seed=4)
    assert [i["title"] for i in result.output["ideas"]] == ["Alpha plan", "Beta", "Gamma"]
    assert result.output["rounds"] == 2 and "note" not in result.output
    prompts = [p[0]["content"] for kind, p in fake.history if kind == "generate"]  # type: ignore[index]
    assert "Give me 3 ideas for a blog" in prompts[0] and "Give me 2 ideas" in prompts[1]
    assert "different from these ideas: Alpha plan" in prompts[1]


def test_ideas_stop_after_a_few_rounds_and_say_so(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    fake.default_text = "1. Same: again"
    result = api.run("ideas", pool=fake_pool, topic="a blog", n=4)
    assert result.output["ideas"] == [{"title": "Same", "description": "again"}]
    assert result.output["rounds"] == ideas.ROUNDS
    assert result.output["note"] == f"1 distinct ideas after {ideas.ROUNDS} requests, not 4"


def test_writing_in_french_translates_the_english_draft_with_gemma(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("Hello team. See you Thursday.")
    gemma = fake_pool.fake("gemma3-270m").enqueue("Bonjour l'équipe.", "À jeudi.")
    result = api.run("draft", pool=fake_pool, notes="offsite on Thursday", form="email", language="French")
    out = result.output
    assert out["text"] == "Bonjour l'équipe. À jeudi." and out["english"] == "Hello team. See you Thursday."
    assert out["language"] == "fr" and out["translated_by"] == "gemma3-270m"
    assert [m["name"] for m in result.models] == ["smollm2-135m", "gemma3-270m"]
    assert "English: Hello team." in str(gemma.history[0][1])  # sentence by sentence, few-shot


def test_english_is_written_by_the_instruction_model_alone(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("A first draft.")
    out = api.run("draft", pool=fake_pool, notes="- point one\n- point two").output
    assert out == {"text": "A first draft.", "language": "en", "checks": []} and "gemma3-270m" not in fake_pool.fakes
    assert "first draft of a blog post in English" in fake.history[0][1][0]["content"]  # type: ignore[index]


def test_expand_continues_a_short_answer_as_plain_text(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("one two three", "four\nfive six", "")
    out = api.run("expand", pool=fake_pool, text="one two", words=50).output
    text = "one two three four five six"
    # The check stage flags the numbers that the input ("one two") does not hold, where they are in the whole text.
    checks = [{"kind": "unsupported", "message": f"the number {word!r} is not in the text", "start": text.index(word),
               "end": text.index(word) + len(word)} for word in ("three", "four", "five", "six")]  # fmt: skip
    assert out == {"text": text, "target_words": 50, "continued": 2, "words": 6, "language": "en",
                   "checks": checks}  # fmt: skip
    prompts = [p for kind, p in fake.history if kind == "generate"]
    assert isinstance(prompts[0], list) and "about 50 words" in prompts[0][0]["content"]
    assert prompts[1:] == ["one two three ", "one two three four five six "]  # the text so far, to go on from


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The heat pump works.", ["heat", "pump", "works", "heat pump", "pump works"]),
        ("Greens and browns, in 2024!", ["greens", "browns"]),
        (
            "Two-factor authentication's vault",
            ["two-factor", "authentication's", "vault", "two-factor authentication's", "authentication's vault"],
        ),
        ("the and of", []),
    ],
)
def test_keyword_candidates_are_the_texts_phrases_without_stop_words(text: str, expected: list[str]) -> None:
    assert keywords.candidates(text) == expected


def test_keyword_counts_and_variants() -> None:
    assert keywords.occurrences("heat pump", ARTICLE) == 3  # "heat pumps" is another word; "Heat pumps" too
    assert keywords.occurrences("heat pumps", ARTICLE) == 2
    ranked = [("heat pumps", 0.9), ("heat pump", 0.8), ("heat", 0.7), ("energy bills", 0.6), ("garden", 0.5)]
    assert keywords.distinct(ranked, 2) == [("heat pumps", 0.9), ("energy bills", 0.6)]


def test_keywords_by_yake_need_no_model_and_count_their_occurrences(fake_pool: FakePool) -> None:
    out = api.run("keywords", pool=fake_pool, text=ARTICLE, method="yake", n=5).output
    assert len(out["keywords"]) == 5 and out["method"] == "yake" and not fake_pool.fakes
    assert all(k["count"] == keywords.occurrences(k["keyword"], ARTICLE) >= 1 for k in out["keywords"])
    scores = [k["score"] for k in out["keywords"]]
    assert scores == sorted(scores, reverse=True)


def test_meta_description_comes_from_the_llm_only_when_asked(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("Heat pumps explained " * 20)
    plain = api.run("keywords", pool=fake_pool, text=ARTICLE, n=3).output
    assert "meta_description" not in plain and not [h for h in fake.history if h[0] == "generate"]
    out = api.run("keywords", pool=fake_pool, text=ARTICLE, n=3, meta_description="yes").output
    assert out["meta_description"].startswith("Heat pumps explained") and len(out["meta_description"]) <= 160
    assert len(out["keywords"]) == 3


def test_content_examples_are_valid_inputs() -> None:
    for task in ("ideas", "draft", "expand", "keywords"):
        spec = get_task(task)
        lines = (data_dir("assets") / "examples" / f"{task}.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines, f"{task} has no examples"
        for line in lines:
            example = json.loads(line)
            cleaned = spec.validate(example)
            assert {name: cleaned[name] for name in example} == example, f"validation changed a {task} example"


# --- the real embedded models -------------------------------------------------------------------------------------


@pytest.mark.model
def test_keywords_of_an_article_include_its_obvious_terms() -> None:
    result = api.run("keywords", text=ARTICLE)
    top = [k["keyword"] for k in result.output["keywords"]]
    assert len(top) == 10 and len(set(top)) == 10
    assert {"heat pump", "heat pumps"} & set(top[:3]), top
    assert "energy bills" in top and "heat loss" in top, top
    assert result.model == "minilm-l6-v2"


@pytest.mark.model
def test_ideas_returns_n_distinct_ideas() -> None:
    out = api.run("ideas", topic="a podcast about personal finance", audience="students", n=3, seed=2).output
    titles = [i["title"] for i in out["ideas"]]
    assert len(titles) == 3 and len({t.lower() for t in titles}) == 3, out


@pytest.mark.model
def test_expand_writes_more_and_a_french_draft_is_french() -> None:
    short = "Our cafe now serves oat milk at no extra cost."
    longer = api.run("expand", text=short, words=80, temperature=0).output
    assert longer["words"] > 2 * len(short.split())
    draft = api.run("draft", notes="team lunch on Friday at noon", form="email", language="fr", temperature=0,
                    max_new_tokens=60).output  # fmt: skip
    assert draft["translated_by"] == "gemma3-270m" and draft["text"] != draft["english"]
    assert translation_language(draft["text"]) == "fr"


def translation_language(text: str) -> str:
    from playground.tasks.translation import detect_language

    return detect_language(text)[0]
