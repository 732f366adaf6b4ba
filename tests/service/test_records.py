"""What a result says about its run (prompts, parameters, seed), edited templates, comparisons, run records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.core.errors import InputError, TemplateError
from playground.frontends.cli import main
from playground.service import api, records
from tests.fakes import FakePool


def test_results_carry_every_prompt_and_parameter_with_the_seed_used(fake_pool: FakePool) -> None:
    result = api.run("sentiment", pool=fake_pool, text="Lovely soup.")
    scored = [p for p in result.prompts if p["call"] == "score"]
    assert scored[0]["prompt"].endswith("Lovely soup.\nSentiment:") or "Lovely soup." in scored[0]["prompt"]
    assert scored[0]["continuations"] == [" positive", " negative", " neutral"]
    assert any("N/A" in p["prompt"] for p in scored)  # the calibration prompts are prompts too
    drawn = api.run("generation", pool=fake_pool, prompt="Hi", temperature=0.7)
    assert isinstance(drawn.params["seed"], int) and drawn.params["temperature"] == 0.7
    assert drawn.prompts == [{"model": "smollm2-135m", "call": "generate", "prompt": [{"role": "user",
                                                                                       "content": "Hi"}]}]  # fmt: skip
    assert api.run("generation", pool=fake_pool, prompt="Hi", seed=5).params["seed"] == 5
    assert "inputs" not in drawn.to_dict() and "refs" not in drawn.to_dict()  # for run records only


def test_an_edited_template_is_what_the_model_receives(fake_pool: FakePool) -> None:
    edited = "Answer in one word.\n{{ prompt }}"
    result = api.run("generation", pool=fake_pool, prompt="Sky colour?", template=edited)
    assert result.prompts[0]["prompt"][0]["content"] == "Answer in one word.\nSky colour?"
    assert result.templates == {"generation.j2": edited}
    plain = api.run("generation", pool=fake_pool, prompt="Sky colour?")
    assert plain.prompts[0]["prompt"][0]["content"] == "Sky colour?"  # the edit lasted one call


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ prompt }\n", "the edited generation.j2 has a syntax error on line 1"),
        ("Line one\n{% for x in %}\n", "has a syntax error on line 2"),
        ("Hello\n{{ prompt }} {{ tone }}", "uses the unknown variable 'tone' on line 2; it can use: prompt"),
        ("  ", "the edited generation.j2 is empty"),
        ("{{ prompt.__class__.__mro__ }}", "reaches for something a prompt template may not use"),
        ("{{ prompt | no_such_filter }}", "has a syntax error on line 1: No filter named 'no_such_filter'"),
    ],
)
def test_a_bad_edited_template_is_refused_naming_the_line(fake_pool: FakePool, template: str, message: str) -> None:
    with pytest.raises((TemplateError, InputError), match=None) as caught:
        api.run("generation", pool=fake_pool, prompt="Hi", template=template)
    assert message in str(caught.value)


def test_templates_by_name_and_tasks_without_one(fake_pool: FakePool) -> None:
    with pytest.raises(InputError, match=r"has no template 'nope\.j2'; its templates: sentiment\.j2"):
        api.run("sentiment", pool=fake_pool, text="x", template={"nope.j2": "{{ text }}"})
    with pytest.raises(InputError, match="task 'search' uses no prompt template"):
        api.run("search", pool=fake_pool, query="x", collection="c", template="{{ query }}")


def test_compare_runs_the_base_and_each_variant(fake_pool: FakePool) -> None:
    fake_pool.fake("smollm2-135m").enqueue("first", "second")
    fake_pool.fake("gemma3-270m").enqueue("third")
    results = api.compare("generation", [{"temperature": 0.8}, {"model": "gemma3-270m"}], pool=fake_pool,
                          prompt="Hi", seed=3)  # fmt: skip
    assert [r.output["text"] for r in results] == ["first", "second", "third"]
    assert [r.model for r in results] == ["smollm2-135m", "smollm2-135m", "gemma3-270m"]
    base = results[0].params["temperature"]
    assert [r.params["temperature"] for r in results] == [base, 0.8, base] and base != 0.8


def test_a_record_replays_to_the_same_output(fake_pool: FakePool, tmp_path: Path) -> None:
    fake_pool.fake("smollm2-135m").enqueue("Blue.", "Blue.")
    result = api.run("generation", pool=fake_pool, prompt="Sky?", temperature=0.8, template="Q: {{ prompt }}")
    record = records.make_record(result)
    assert record["inputs"] == {"prompt": "Sky?"} and record["parameters"]["seed"] == result.params["seed"]
    assert record["templates"] == {"generation.j2": "Q: {{ prompt }}"}
    assert record["models"][0]["name"] == "smollm2-135m" and len(record["models"][0]["sha256"]) == 64
    assert "llama-cpp-python" in record["versions"]
    path = tmp_path / "run.json"
    records.write_record(path, record)
    again, notes = records.rerun(records.read_record(path), pool=fake_pool)
    assert again.output == result.output and notes == ["the output is the recorded one"]
    assert again.params == result.params and again.prompts == result.prompts


def test_a_changed_model_file_and_output_are_reported(fake_pool: FakePool, tmp_path: Path) -> None:
    fake_pool.fake("smollm2-135m").enqueue("Blue.", "Green.")
    record = records.make_record(api.run("generation", pool=fake_pool, prompt="Sky?"))
    record["models"][0]["sha256"] = "0" * 64
    _, notes = records.rerun(record, pool=fake_pool)
    assert notes == ["the sha256 of smollm2-135m differs from the record's: the output may differ",
                     "the output differs from the recorded one"]  # fmt: skip


def test_foreign_files_are_not_records(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"task": "generation"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.json is not a run record"):
        records.read_record(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match=r"cannot read the run record y\.json"):
        records.read_record(tmp_path / "y.json")


def test_sha256_of_a_directory_covers_its_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    before = records.sha256_of(tmp_path)
    (tmp_path / "b.txt").write_text("two")
    assert records.sha256_of(tmp_path) != before and len(before) == 64


# --- the real embedded model --------------------------------------------------------------------------------------


@pytest.mark.model
def test_a_sampled_generation_replays_exactly_from_its_record(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = tmp_path / "run.json"
    args = ["run", "generation", "--text", "Name a colour.", "--param", "temperature=1.0", "--param",
            "max_new_tokens=24", "--record", str(path), "--json"]  # fmt: skip
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    api.run("generation", prompt="Something else entirely, to change the model's state.", max_new_tokens=8)
    assert main(["rerun", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["output"] == first["output"] and "the output is the recorded one" in err
    assert json.loads(path.read_text(encoding="utf-8"))["parameters"]["seed"] == first["params"]["seed"]


@pytest.mark.model
def test_an_edited_template_reaches_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "sentiment.j2"
    template.write_text("Movie review: {{ text }}\nThe review is", encoding="utf-8")
    assert main(["run", "sentiment", "--text", "A dull, slow film.", "--template", str(template), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["prompts"][0]["prompt"] == "Movie review: A dull, slow film.\nThe review is"
    default = api.run("sentiment", text="A dull, slow film.")
    assert default.prompts[0]["prompt"] != result["prompts"][0]["prompt"]
    assert "Movie review:" not in default.prompts[0]["prompt"] and result["output"]["label"] in default.output["scores"]


@pytest.mark.model
def test_compare_two_presets_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "generation", "--text", "Hello", "--param", "max_new_tokens=8", "--compare", "model=gemma3-270m",
            "--json"]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == ["smollm2-135m", "gemma3-270m"]
    assert all(r["output"]["text"] for r in results)


@pytest.mark.parametrize("name", ["grammar.j2", "translation.j2", "style_transfer.j2", "sentiment.j2"])
def test_the_editable_text_holds_the_few_shot_examples_and_renders_the_same(name: str) -> None:
    from playground.runtime import templates

    text = templates.editable_source(name)
    variables = {"text": "I has a cat.", "style": "formal", "source_lang": "en", "target_lang": "fr",
                 "source_name": "English", "target_name": "French", "examples": 5}  # fmt: skip
    assert templates.render(name, text, **variables) == templates.render(name, **variables)
    if templates.has_shots(name):
        first = templates.shots(name)[0]
        example = first.get("output") or first.get("fr") or ""
        assert text.startswith("{%- set shots = [") and example in text
        edited = text.replace(example, "A NEW EXAMPLE", 1)
        assert "A NEW EXAMPLE" in templates.render(name, edited, **variables)


def test_a_comparison_can_run_the_tasks_own_template_beside_an_edited_one() -> None:
    from playground.frontends.ui.runs import variant_of

    assert variant_of("template=default\ntemperature=0.5") == {"template": None, "temperature": 0.5}
    assert variant_of('template="Q: {{ prompt }}"') == {"template": "Q: {{ prompt }}"}
