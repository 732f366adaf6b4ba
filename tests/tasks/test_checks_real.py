"""The check stage on the real embedded models: each kind of weak answer gets its check, a clean one none.

The weak answers are the models' own. Where a default run may or may not go wrong, an edited prompt template asks
the model for the mistake (a number the text does not hold, a sentence about something else), so that what is
tested is the check, on a real model's real output.
"""

from __future__ import annotations

from typing import Any

import pytest

from playground.core.resources import data_dir
from playground.documents.indexing import add_files
from playground.service import api
from playground.tasks.translation import in_source_language

pytestmark = pytest.mark.model

GERMAN = "The museum opens at nine. Tickets cost twelve euros for adults. Children under six enter for free."
ARTICLE = (
    "The riverside market has run every Saturday since 2010. Forty stalls sell fruit, bread and cheese. "
    "The town hall manages the pitches, and traders pay a small fee each week. Visitors come from nearby villages."
)
MESSAGE = "We need to move the meeting to Thursday because Dana is ill."


def flagged(output: dict[str, Any], field: str) -> list[tuple[str, str]]:
    return [(c["kind"], output[field][c["start"] : c["end"]]) for c in output["checks"]]


def test_the_newcomers_paragraph_flags_exactly_the_sentences_left_in_english() -> None:
    out = api.run("translation", text=GERMAN, target_lang="de", seed=3).output
    spans = {text for kind, text in flagged(out, "text") if kind == "untranslated"}
    # Whatever the model did, a sentence is flagged exactly when the detector still reads it as English.
    from playground.text.sentences import split_sentences

    for sentence in split_sentences(out["text"]):
        assert (sentence in spans) == in_source_language(sentence, "en", "de"), sentence
    clean = api.run("translation", text="The museum opens at nine.", target_lang="de", seed=3).output
    assert clean["checks"] == [] and not in_source_language(clean["text"], "en", "de")


def test_a_copied_sentence_that_no_repair_fixes_is_flagged() -> None:
    copying = "{{ source_name }}: {{ text }}\n{{ source_name }}: {{ text }}\n{{ source_name }}:"
    out = api.run("translation", text="Tickets cost twelve euros for adults.", target_lang="de", candidates=1,
                  template=copying, seed=1).output  # fmt: skip
    assert out["candidates"][0]["repair"] == "none found"
    assert flagged(out, "text") == [("untranslated", out["text"])]


def test_a_summary_with_an_invented_number_is_flagged_and_a_clean_one_is_not() -> None:
    inventing = "Summarize the text in one sentence, and say that the market opened in 1985.\n\n{{ text }}"
    out = api.run("summarization", text=ARTICLE, template=inventing, seed=1).output
    assert "1985" in out["summary"] and ("unsupported", "1985") in flagged(out, "summary")
    clean = api.run("summarization", text=ARTICLE, mode="extractive", length="long", seed=1).output
    assert clean["summary"] and [c for c in clean["checks"] if c["kind"] == "unsupported"] == []


def test_a_summary_claim_the_text_does_not_make_is_flagged_and_a_paraphrase_is_not() -> None:
    claim = "Forty stalls sell fruit, bread and cheese every Saturday. The stall holders plan to strike over the fees."
    checks = api.check("summarization", {"summary": claim}, text=ARTICLE, length="long")
    assert [claim[c["start"] : c["end"]] for c in checks if c["kind"] == "unsupported"] == [
        "The stall holders plan to strike over the fees."
    ]


def test_an_unanswerable_question_over_the_bundled_documents_says_so() -> None:
    add_files("bundled-docs", sorted((data_dir("assets") / "eval" / "documents").iterdir()))
    out = api.run("qa", question="What is the wifi password at the maritime museum?", collection="bundled-docs")
    assert out.output["supported"] is False and out.output["answer"].startswith("The documents do not say.")
    assert out.output["citations"][0]["doc"] == "museum-guide.md"  # the pointer: the closest passage
    answered = api.run("qa", question="How much does an adult ticket to the maritime museum cost?",
                       collection="bundled-docs").output  # fmt: skip
    assert answered["supported"] is True and "14 euros" in answered["answer"] and answered["checks"] == []
    assert answered["citations"][0]["doc"] == "museum-guide.md"


def test_a_rewrite_that_loses_the_message_is_flagged() -> None:
    elsewhere = "Write one sentence about cooking pasta.\n"
    out = api.run("style_transfer", text=MESSAGE, style="formal", candidates=1, template=elsewhere, seed=1).output
    messages = " ".join(c["message"] for c in out["checks"])
    assert {c["kind"] for c in out["checks"]} == {"meaning"} and "'Thursday', 'Dana'" in messages
    assert all((c["start"], c["end"]) == (0, len(out["text"])) for c in out["checks"])
    kept = api.run("style_transfer", text="We must move the meeting to Thursday.", style="formal", seed=1).output
    assert "Thursday" in kept["text"] and kept["checks"] == []


def test_qa_over_other_documents_answers_with_the_sentence_holding_the_fact_not_a_title() -> None:
    add_files("other-docs", sorted((data_dir("assets") / "eval" / "documents-other").iterdir()))
    start = api.run("qa", question="What time do the children need to be at school when the trip starts?",
                    collection="other-docs").output  # fmt: skip
    assert start["supported"] is True and "7.45 am" in start["answer"]
    assert start["citations"][0]["doc"] == "school-trip-letter.txt"
    parking = api.run("qa", question="How many parking spaces at the clinic are kept for disabled drivers?",
                      collection="other-docs").output  # fmt: skip
    assert "two of them reserved" in parking["answer"] and parking["citations"][0]["doc"] == "clinic-faq.html"
