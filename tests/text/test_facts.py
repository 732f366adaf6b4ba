"""The facts a check can hold an output to exactly: numbers (digits or words) and names."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from playground.text.facts import facts, names, numbers, unsupported_facts

ARTICLE = "Reports have been published since 2010 by the city. Tickets cost twelve euros for adults. Anna met Bob."


def spans(text: str, found: list) -> list[str]:
    return [text[f.start : f.end] for f in found]


def test_an_invented_year_and_name_are_unsupported_and_a_reworded_number_is_not() -> None:
    summary = "By 2023, the City Council said tickets cost 12 euros. Anna's friend met Carl in Paris."
    assert spans(summary, unsupported_facts(summary, [ARTICLE])) == ["2023", "Council", "Carl", "Paris"]


def test_a_sentence_start_is_not_a_name_unless_it_is_capitalised_elsewhere() -> None:
    text = "Meetings moved to Thursday. Tickets are sold out. The Tickets office said so."
    assert spans(text, names(text)) == ["Thursday", "Tickets", "Tickets"]
    assert spans("I think so. OK then.", names("I think so. OK then.")) == []


def test_numbers_are_compared_by_value() -> None:
    assert [f.key for f in numbers("1,200 people paid 3,5 euros at 12:30 on day twenty")] == [
        "1200", "3.5", "12:30", "20"
    ]  # fmt: skip
    assert unsupported_facts("It costs 1200 euros.", ["It costs 1,200 euros."]) == []
    assert unsupported_facts("Open on Mondays.", ["Open every Monday."]) == []


def test_citation_markers_are_not_numbers() -> None:
    assert spans("Doors open at 7:45 [1].", facts("Doors open at 7:45 [1].")) == ["7:45"]


@given(st.text(max_size=200))
def test_every_fact_span_lies_in_the_text_and_a_text_supports_itself(text: str) -> None:
    for fact in facts(text):
        assert 0 <= fact.start < fact.end <= len(text) and text[fact.start : fact.end] == fact.text
    assert unsupported_facts(text, [text]) == []
