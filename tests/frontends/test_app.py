"""The web app through its HTTP API with gradio_client, on the real embedded models; and its pure helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.engines.params import GenerationParams
from playground.frontends.ui.batch import read_batch
from playground.frontends.ui.helpers import ADVANCED, advanced_arguments, parse_stop
from playground.frontends.ui.views import highlight_edits
from playground.runtime.registry import GROUPS, all_tasks, get_task
from playground.service import api
from playground.text.textio import texts_from_file
from tests.helpers import SharedApp


def arguments(task: str, **inputs: Any) -> list[Any]:
    """Positional arguments of a task's endpoint: its inputs, an upload slot for lists, then the Advanced controls."""
    spec = get_task(task)
    values: list[Any] = [inputs.get(i.name, i.default) for i in spec.inputs]
    if spec.main_input.kind == "texts":
        values.append(None)
    p = GenerationParams().merged(**spec.default_params)
    values += [spec.default_model, "auto", p.max_new_tokens, p.temperature, p.top_p, p.top_k]
    values += [p.repetition_penalty, p.num_beams, None, 0, ""]
    return values


def test_starting_the_app_loads_no_model(shared_app: SharedApp) -> None:
    assert shared_app.loaded_at_start == []


def test_every_task_has_a_stable_api_name(client: Any) -> None:
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    for task in ("generation", "translation", "summarization", "sentiment", "grammar", "style_transfer",
                 "classification", "clustering"):  # fmt: skip
        assert f"/{task}" in endpoints and f"/{task}_batch" in endpoints


def test_endpoint_parameters_are_named_after_the_task_inputs(client: Any) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    advanced = ["model", "engine", "max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty",
                "num_beams", "seed", "logprobs", "stop"]  # fmt: skip
    for spec in all_tasks():
        parameters = endpoints[f"/{spec.name}"]["parameters"]
        names = [p["parameter_name"] for p in parameters]
        upload = ["upload"] if spec.main_input.kind == "texts" else []
        template = ["template"] if spec.templates else []
        assert names == [i.name for i in spec.inputs] + upload + advanced + template
        required = {p["parameter_name"] for p in parameters if not p["parameter_has_default"]}
        assert required == {i.name for i in spec.inputs if i.required}, spec.name
        assert [p["parameter_name"] for p in endpoints[f"/{spec.name}_batch"]["parameters"]] == ["file", *advanced]
    assert not any(p["parameter_name"].startswith("param_") for e in endpoints.values() for p in e["parameters"])


def test_tasks_are_grouped_for_the_navigation() -> None:
    groups = {spec.name: spec.group for spec in all_tasks()}
    assert groups["translation"] == "Write" and groups["clustering"] == "Analyse"
    assert set(groups.values()) <= set(GROUPS)


SEED_LABEL = "Seed (blank = a new one each run)"


def test_the_seed_box_starts_blank_in_the_page_config(client: Any) -> None:
    boxes = [c for c in client.config["components"] if c.get("props", {}).get("label") == SEED_LABEL]
    assert boxes and all(c["type"] == "textbox" and c["props"].get("value") in (None, "") for c in boxes)
    parameters = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/generation"]["parameters"]
    seed = next(p for p in parameters if p["parameter_name"] == "seed")
    assert seed["python_type"]["type"] == "int" and seed["parameter_default"] is None


@pytest.mark.model
def test_a_blank_seed_is_a_new_one_each_run_and_a_given_one_is_kept(client: Any) -> None:
    from gradio_client.exceptions import AppError

    call = {"prompt": "Name a fruit.", "temperature": 0.8, "max_new_tokens": 3, "api_name": "/generation"}
    seeds = [client.predict(**call)[-1]["params"]["seed"] for _ in range(2)]
    assert seeds[0] != seeds[1]
    assert client.predict(**call, seed=7)[-1]["params"]["seed"] == 7  # a number, as before
    assert client.predict(**call, seed=" 8 ")[-1]["params"]["seed"] == 8  # what the box sends
    assert client.predict(**call, seed="")[-1]["params"]["seed"] not in (None, 0)
    with pytest.raises(AppError, match="seed must be a whole number"):
        client.predict(**call, seed="lucky")


@pytest.mark.model
def test_keyword_call_with_only_the_required_inputs(client: Any) -> None:
    label, _, raw = client.predict(text="The soup was cold and the bread was stale.", api_name="/sentiment")
    assert label["label"] == "negative" and raw["output"]["label"] == "negative"
    text, _, _, raw = client.predict(text="Thank you very much.", target_lang="fr", api_name="/translation")
    assert "merci" in text.lower()


@pytest.mark.model
def test_sentiment_endpoint(client: Any) -> None:
    label, stats, raw = client.predict(*arguments("sentiment", text="The food was cold and the waiter was rude."),
                                       api_name="/sentiment")  # fmt: skip
    assert label["label"] == "negative"
    assert {c["label"] for c in label["confidences"]} == {"positive", "negative", "neutral"}
    assert "smollm2-135m" in stats and raw["output"]["label"] == "negative"


@pytest.mark.model
def test_classification_endpoint(client: Any) -> None:
    args = arguments("classification", text="The striker scored a late goal and the team won.",
                     labels="sports, politics, cooking")  # fmt: skip
    label, _, _ = client.predict(*args, api_name="/classification")
    assert label["label"] == "sports"


@pytest.mark.model
def test_generation_endpoint_streams_to_a_final_text(client: Any) -> None:
    args = arguments("generation", prompt="What colour is the sky on a clear day?")
    args[len(get_task("generation").inputs) + ADVANCED.index("temperature")] = 0.0  # greedy
    text, checks, stats, raw = client.predict(*args, api_name="/generation")
    assert "blue" in text.lower() and raw["timings"]["tokens"] > 0
    assert "tokens/s" in stats and "first token" in stats
    # The checks' view: a line saying that nothing was flagged, or the flagged spans marked.
    assert checks == "<p class='checks checks-clean'>Checks: nothing flagged.</p>" or "<mark" in checks


@pytest.mark.model
def test_translation_endpoint(client: Any) -> None:
    text, _, _, raw = client.predict(*arguments("translation", text="Thank you very much.", target_lang="fr"),
                                  api_name="/translation")  # fmt: skip
    assert "merci" in text.lower() and raw["model"] == "gemma3-270m"


@pytest.mark.model
def test_summarization_endpoint_extractive(client: Any) -> None:
    source = "Solar panels are cheap now. Solar power grows fast. My cat sleeps. Solar farms cover deserts."
    text, _, _, raw = client.predict(*arguments("summarization", text=source, mode="extractive"),
                                  api_name="/summarization")  # fmt: skip
    assert text and all(s.rstrip(".") in source for s in text.split(". "))
    assert raw["output"]["mode"] == "extractive"


@pytest.mark.model
def test_grammar_endpoint_shows_edits_by_engine_and_applies_the_ticked_ones(client: Any) -> None:
    text = "I has three cat and one dogs."
    corrected, marked, engines, table, _, _, raw = client.predict(*arguments("grammar", text=text), api_name="/grammar")
    assert "cats" in corrected and "have" in corrected
    labels = {item["class_or_confidence"] for item in marked} - {None}
    assert labels <= {"removed", "harper", "llm", "languagetool"} and {"harper", "llm"} <= labels
    assert "**harper**: ran" in engines and "**llm**: ran" in engines
    rows = table["data"]
    assert [r[1] for r in rows] == [e["original"] for e in raw["output"]["edits"]]
    # Reject the first edit ("has" -> "have"): the applied text keeps "has" and the other fixes.
    rows[0][0] = False
    applied = client.predict(text, {"headers": table["headers"], "data": rows}, raw, api_name="/grammar_apply")
    assert "I has three cats" in applied


@pytest.mark.model
def test_style_transfer_endpoint(client: Any) -> None:
    text, _, _, _ = client.predict(*arguments("style_transfer", text="The food was cold.", style="positive"),
                                api_name="/style_transfer")  # fmt: skip
    assert text and "cold" not in text.lower()


@pytest.mark.model
def test_clustering_endpoint_with_plot(client: Any) -> None:
    texts = "The striker scored twice.\nThe goalkeeper saved a penalty.\nBake the bread for an hour.\nWhisk two eggs."
    summary, plot, _, raw = client.predict(*arguments("clustering", texts=texts), api_name="/clustering")
    assert raw["output"]["k"] == 2 and summary.count("**") == 4
    assert raw["output"]["assignments"][0] == raw["output"]["assignments"][1] != raw["output"]["assignments"][2]
    assert len(plot["data"]) == 4, plot.keys()


def test_bad_input_is_an_error_message_not_a_traceback(client: Any) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="text is empty"):
        client.predict(*arguments("sentiment", text="   "), api_name="/sentiment")
    args = arguments("generation", prompt="hi")
    args[len(get_task("generation").inputs) + ADVANCED.index("top_k")] = -3  # a number box has no bounds of its own
    with pytest.raises(AppError, match="top_k"):
        client.predict(*args, api_name="/generation")


@pytest.mark.model
def test_batch_endpoint_keeps_good_rows_and_reports_bad_ones(client: Any, tmp_path: Path) -> None:
    from gradio_client import handle_file

    source = tmp_path / "reviews.csv"
    source.write_text('id,text,label\n1,"Dreadful, cold and late.",negative\n2,,negative\n3,"Lovely staff!",positive\n')
    advanced = arguments("sentiment", text="x")[-len(ADVANCED) :]  # the Advanced controls
    result_file, report, _errors = client.predict(handle_file(str(source)), *advanced, api_name="/sentiment_batch")
    rows = [json.loads(line) for line in Path(result_file).read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["output"]["label"] == "negative" and "error" in rows[1]
    assert "3 rows: 2 answered, 1 error." in report and "Ignored columns: label" in report


# ---- pure helpers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("", []), ("END\n\\n", ["END", "\n"]), (None, [])])
def test_parse_stop(text: str | None, expected: list[str]) -> None:
    assert parse_stop(text) == expected


def test_advanced_arguments_leave_out_blanks() -> None:
    args = advanced_arguments(["smollm2-135m", "auto", 50, 0.7, 0.9, 0, 1.1, 1, None, None, ""])
    assert args == {"model": "smollm2-135m", "max_new_tokens": 50, "temperature": 0.7, "top_p": 0.9, "top_k": 0,
                    "repetition_penalty": 1.1, "num_beams": 1}  # fmt: skip
    assert advanced_arguments(["", "transformers", None, None, None, None, None, None, 3, None, "X"]) == {
        "engine": "transformers",
        "seed": 3,
        "stop": ["X"],
    }


def test_highlight_edits_marks_removed_text_and_added_text_by_engine() -> None:
    edits = [{"start": 2, "end": 5, "original": "has", "replacement": "have", "source": "harper+llm"}]
    assert highlight_edits("I has it", edits) == [("I ", None), ("has", "removed"), ("have", "harper"), (" it", None)]


def test_texts_from_file_reads_txt_lines_and_csv_text_column(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("one\n\ntwo\n")
    csv_file = tmp_path / "b.csv"
    csv_file.write_text("id,text\n1,first\n2,second\n")
    assert texts_from_file(str(txt)) == ["one", "two"]
    assert texts_from_file(str(csv_file)) == ["first", "second"]


def test_read_batch_reports_malformed_lines_and_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a", "gold": "x"}\n[1, 2]\n')
    rows, ignored = read_batch(str(path), get_task("sentiment"))
    assert rows[0] == {"text": "a", "id": 1} and ignored == ["gold"]
    assert "must be a JSON object" in str(rows[1])
    with pytest.raises(Exception, match=r"\.csv"):
        read_batch(str(tmp_path / "x.xlsx"), get_task("sentiment"))


@pytest.mark.model
def test_evaluate_tab_scores_a_bundled_set(client: Any) -> None:
    metrics, worst, result_file, note = client.predict(
        "sentiment", "bundled: sentiment", None, 8, None, "auto", "", api_name="/evaluate"
    )
    values = {row[0]: row[1] for row in metrics["data"]}
    assert values["n"] == 8 and values["accuracy"] >= 0.75
    assert all(row[1] < 1 for row in worst["data"])  # only the items below the best score, never a perfect one
    assert note.startswith("8 items; ") and ("below the best possible score (1)" in note or "every item" in note)
    assert len(Path(result_file).read_text(encoding="utf-8").splitlines()) == 8


@pytest.mark.model
def test_evaluate_tab_scores_the_checks_on_the_labelled_outputs(client: Any) -> None:
    metrics, worst, result_file, note = client.predict(
        "checks", "bundled: checks", None, 200, None, "auto", "", api_name="/evaluate"
    )
    values = {row[0]: row[1] for row in metrics["data"]}
    assert values["untranslated: outputs"] == 72 and values["meaning: outputs"] == 40
    assert 0.5 < values["unsupported: precision"] <= 1 and 0.5 < values["unsupported: recall"] <= 1
    assert note.startswith("The checks on 142 recorded outputs") and 0 < len(worst["data"]) <= 10
    assert len(Path(result_file).read_text(encoding="utf-8").splitlines()) == 142


@pytest.mark.model
def test_chat_endpoint_takes_the_whole_conversation(client: Any) -> None:
    messages = [{"role": "user", "content": "My order number is 48213."},
                {"role": "assistant", "content": "Thank you. I have noted your order number."},
                {"role": "user", "content": "What is my order number?"}]  # fmt: skip
    text, _, stats, raw = client.predict(messages=messages, temperature=0, remember=False, api_name="/chat")
    # Every turn reaches the model, in order (whether the 135M model then recalls the number depends on the
    # llama.cpp release: 0.3.36 answers with a question of its own).
    assert raw["prompts"][0]["prompt"] == messages
    assert text.strip() and raw["output"]["text"] == text and "first token" in stats
    with pytest.raises(Exception, match="the last message must be the user's"):
        client.predict(messages=messages[:2], api_name="/chat")


@pytest.mark.model
def test_keywords_and_ideas_endpoints(client: Any) -> None:
    article = "Heat pumps cut energy bills. A heat pump moves heat from the outside air into the home."
    table, meta, _, raw = client.predict(text=article, n=5, api_name="/keywords")
    assert table["headers"] == ["keyword", "score", "count"] and len(table["data"]) == 5 and meta == ""
    assert [row[0] for row in table["data"]] == [k["keyword"] for k in raw["output"]["keywords"]]
    listing, _, raw = client.predict(topic="a blog about tea", n=2, seed=3, api_name="/ideas")
    titles = [i["title"] for i in raw["output"]["ideas"]]
    assert titles and all(t in listing for t in titles)


@pytest.mark.model
def test_compare_endpoint_runs_the_tab_settings_and_each_variant(client: Any) -> None:
    args = arguments("generation", prompt="Say hello.")
    args[len(get_task("generation").inputs) + ADVANCED.index("max_new_tokens")] = 12
    a, b, c = client.predict(*args, None, "model=gemma3-270m", "", api_name="/generation_compare")
    assert a.startswith("**A: the settings above**") and "smollm2-135m" in a
    assert b.startswith("**B: model=gemma3\\-270m**") and "**gemma3-270m** on llama.cpp" in b and c == ""
    with pytest.raises(Exception, match="write at least one variant"):
        client.predict(*args, None, "", "", api_name="/generation_compare")


def test_the_prompts_view_and_the_record_of_a_tab_run(tmp_path: Path) -> None:
    from playground.frontends.ui.runs import prompts_text, save_record
    from playground.frontends.ui.task_tab import collect
    from playground.policy.limits import Policy
    from tests.fakes import FakePool

    pool = FakePool()
    pool.fake("smollm2-135m").enqueue("Hello!")
    edited = "Reply kindly.\n{{ prompt }}"
    result = api.run("generation", pool=pool, prompt="Hi", template=edited, seed=9)
    raw = result.to_dict()
    assert prompts_text(raw) == "--- call 1: generate on smollm2-135m\n[user] Reply kindly.\nHi"
    form = [*arguments("generation", prompt="Hi")[:-3], 9, 0, "", edited]  # seed, no tokens, no stop, the template
    path = save_record(get_task("generation"), collect, Policy(public=False))(raw, *form)
    record = json.loads(Path(str(path)).read_text(encoding="utf-8"))
    assert record["inputs"] == {"prompt": "Hi"} and record["templates"] == {"generation.j2": edited}
    assert record["parameters"]["seed"] == 9 and record["output"] == {"text": "Hello!", "checks": []}
    assert len(record["models"][0]["sha256"]) == 64


def test_the_token_view_colours_by_probability_and_escapes_markup() -> None:
    from playground.frontends.ui.runs import tokens_html

    raw = {"tokens": [{"token": "<b>Hi", "logprob": 0.0, "top": [{"token": '"x"', "logprob": -2.3}]},
                      {"token": "\n", "logprob": -4.6, "top": []}]}  # fmt: skip
    shown = tokens_html(raw)
    assert "&lt;b&gt;Hi" in shown and "<b>Hi" not in shown
    assert "hsl(120," in shown and "hsl(1," in shown  # p = 1 green; p = 0.01 red
    assert "top: &#x27;&quot;x&quot;&#x27; 0.10" in shown
    assert "Token probabilities" in tokens_html({"tokens": None})
    labels = tokens_html({"tokens": None, "output": {"loglikelihoods": {"<i>pos": -1.0}}})
    assert "<td>&lt;i&gt;pos</td><td>-1.0000</td>" in labels


@pytest.mark.model
def test_an_endpoint_returns_tokens_when_asked(client: Any) -> None:
    args = arguments("generation", prompt="Name a colour.")
    args[len(get_task("generation").inputs) + ADVANCED.index("logprobs")] = 3
    text, _, _, raw = client.predict(*args, api_name="/generation")
    assert "".join(t["token"] for t in raw["tokens"]) == text and all(len(t["top"]) == 3 for t in raw["tokens"])
