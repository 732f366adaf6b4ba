"""What a question asks for and how well a sentence could answer it (QA's sentence choice)."""

from __future__ import annotations

import pytest

from playground.tasks.qa import _STOP, is_heading
from playground.text.questions import answer_type, offers, shared


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What time did the meeting finish?", "time"),
        ("When will the lights be switched on?", "date"),
        ("How much does the trip cost altogether?", "number"),
        ("How long is a normal appointment?", "number"),
        ("Which company will replace the swings?", "name"),
        ("Who should I give the medicine to?", "name"),
        ("Where does the Sunday ride set off from?", "place"),
        ("Why was the road closed?", None),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_a_sentence_offers_a_fact_of_the_kind_asked_that_the_question_does_not_name() -> None:
    cost = "How much does the Year 6 trip cost?"
    assert offers("number", "The full cost of the trip is 285 pounds.", cost)
    assert not offers("number", "The Year 6 trip is a highlight of the year.", cost)  # only the question's own 6
    assert offers("time", "The meeting closed at 8.42 pm.", "What time did the meeting finish?")
    assert not offers("time", "The meeting was lively.", "What time did the meeting finish?")
    who = "Which company will replace the swings at Jubilee Field?"
    assert offers("name", "The council accepted the quote from Parkside Play Ltd.", who)
    assert not offers("name", "The swings at Jubilee Field are old.", who)
    assert not offers(None, "The meeting closed at 8.42 pm.", "Why did it close?")


def test_shared_counts_the_question_words_a_sentence_holds() -> None:
    question = "What does the clinic charge for a driving medical?"
    assert shared(question, "A fitness-to-drive medical costs 95 pounds at the clinic.", _STOP) == pytest.approx(2 / 4)
    assert shared(question, "The car park has 12 spaces.", _STOP) == 0
    assert shared("What is it?", "Anything.", _STOP) == 0  # no content words asked


def test_headings_and_questions_in_a_passage_are_never_answers() -> None:
    assert is_heading("Year 6 Residential Trip to Pen-y-Bryn Outdoor Centre: Information for Parents and Carers")
    assert is_heading("How long is an appointment?")
    assert is_heading("Leave policy")
    assert not is_heading("Children should arrive at school by 7.45 am on the Monday.")
    assert not is_heading("the unit restarts by itself after the coil has defrosted and the room has warmed again")
