"""Grammar engines: Harper for real, LanguageTool on a recorded response and a loopback stand-in, and the edit merge."""

from __future__ import annotations

import http.server
import itertools
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from playground.components.grammar import (
    EngineUnavailable,
    correct,
    edits_from_languagetool,
    harper_edits,
    languagetool_available,
    languagetool_edits,
    merge_edits,
)
from playground.core.errors import InputError, PlaygroundError
from playground.text.edits import Edit, apply_edits

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "languagetool_check.json"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there on a test machine, so connecting is refused


def spans(edits: list[Edit]) -> list[tuple]:
    return [(e["start"], e["end"], e["original"], e["replacement"]) for e in edits]


# --- Harper, for real -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("I dont know.", [(2, 6, "dont", "don't")], "SpellCheck"),
        ("See you tomorow.", [(8, 15, "tomorow", "tomorrow")], "SpellCheck"),
        # Non-ASCII before the error: as UTF-8 bytes "dont" would start at 13 and 7, as UTF-16 units at 12 and 5.
        ("Café owners dont like it.", [(12, 16, "dont", "don't")], "SpellCheck"),
        ("🎉 I dont know.", [(4, 8, "dont", "don't")], "SpellCheck"),
        # An INSERT_AFTER suggestion becomes a zero-width insertion after the flagged word.
        ("However I think so.", [(7, 7, "", ",")], "DiscourseMarkers"),
        # A REMOVE suggestion becomes an empty replacement.
        ("He went to school yesterday .", [(27, 28, " ", "")], "Spaces"),
    ],
)
def test_harper_edits_have_character_offsets(text: str, expected: list[tuple], rule: str) -> None:
    edits = harper_edits(text)
    assert spans(edits) == expected
    assert all(text[e["start"] : e["end"]] == e["original"] for e in edits)
    assert [(e["source"], e["rule"]) for e in edits] == [("harper", rule)]
    assert all(e["message"] for e in edits)


def test_harper_finds_several_errors_in_order() -> None:
    text = "I has a apple"
    edits = harper_edits(text)
    assert spans(edits) == [(2, 5, "has", "have"), (6, 7, "a", "an")]
    assert apply_edits(text, edits) == "I have an apple"


def test_harper_respects_the_dialect() -> None:
    assert spans(harper_edits("I like the color of it.", "british")) == [(11, 16, "color", "colour")]
    assert spans(harper_edits("I like the colour of it.", "american")) == [(11, 17, "colour", "color")]
    assert harper_edits("I like the color of it.") == []


def test_harper_rejects_an_unknown_dialect() -> None:
    with pytest.raises(InputError, match="Did you mean 'british'"):
        harper_edits("Some text.", "britsh")


def test_harper_on_clean_and_empty_text_returns_nothing() -> None:
    assert harper_edits("The cat sat on the mat.") == []
    assert harper_edits("") == []


# --- merge_edits, table-driven ----------------------------------------------------------------------------------------

TEXT = "The cat sat on the mat."  # The=0-3 cat=4-7 sat=8-11 on=12-14 the=15-18 mat=19-22 .=22-23
PRIORITY = ("languagetool", "harper", "llm")


def ed(start: int, end: int, replacement: str, source: str, message: str = "") -> Edit:
    return Edit(start=start, end=end, original=TEXT[start:end], replacement=replacement, source=source, message=message)


@pytest.mark.parametrize(
    ("lists", "priority", "expected", "applied"),
    [
        pytest.param(
            [[ed(4, 7, "dog", "harper")], [ed(19, 22, "rug", "languagetool")]],
            PRIORITY,
            [(4, 7, "dog", "harper"), (19, 22, "rug", "languagetool")],
            "The dog sat on the rug.",
            id="disjoint",
        ),
        pytest.param(
            [[ed(0, 7, "A cat", "llm")], [ed(4, 7, "cats", "harper")]],
            PRIORITY,
            [(4, 7, "cats", "harper")],
            "The cats sat on the mat.",
            id="overlap-priority-wins",
        ),
        pytest.param(
            [[ed(0, 7, "A cat", "llm")], [ed(4, 7, "cats", "harper")]],
            ("llm", "harper"),
            [(0, 7, "A cat", "llm")],
            "A cat sat on the mat.",
            id="overlap-priority-reversed",
        ),
        pytest.param(
            [[ed(4, 7, "dog", "llm")], [ed(4, 7, "dog", "harper")]],
            PRIORITY,
            [(4, 7, "dog", "harper+llm")],
            "The dog sat on the mat.",
            id="identical-collapse",
        ),
        pytest.param(
            [[ed(4, 7, "dog", "llm")], [ed(4, 7, "dog", "harper")], [ed(4, 7, "dog", "languagetool")]],
            PRIORITY,
            [(4, 7, "dog", "languagetool+harper+llm")],
            "The dog sat on the mat.",
            id="identical-collapse-three",
        ),
        pytest.param(
            [[ed(4, 7, "dog", "harper")], [ed(7, 7, ",", "llm"), ed(4, 4, "big ", "llm")]],
            PRIORITY,
            [(4, 4, "big ", "llm"), (4, 7, "dog", "harper"), (7, 7, ",", "llm")],
            "The big dog, sat on the mat.",
            id="insertions-at-boundaries-kept",
        ),
        pytest.param(
            [[ed(5, 5, "x", "languagetool")], [ed(4, 7, "dog", "harper")]],
            PRIORITY,
            [(5, 5, "x", "languagetool")],
            "The cxat sat on the mat.",
            id="insertion-inside-overlaps",
        ),
        pytest.param(
            [[ed(7, 7, ",", "llm")], [ed(7, 7, ";", "harper")]],
            PRIORITY,
            [(7, 7, ";", "harper")],
            "The cat; sat on the mat.",
            id="insertions-at-same-point-overlap",
        ),
        pytest.param(
            [[ed(0, 11, "A dog sat", "llm")], [ed(4, 7, "dog", "languagetool")]],
            PRIORITY,
            [(4, 7, "dog", "languagetool")],
            "The dog sat on the mat.",
            id="nested-inner-wins-by-priority",
        ),
        pytest.param(
            [[ed(0, 11, "A dog sat", "languagetool")], [ed(4, 7, "dog", "llm")]],
            PRIORITY,
            [(0, 11, "A dog sat", "languagetool")],
            "A dog sat on the mat.",
            id="nested-outer-wins-by-priority",
        ),
        pytest.param(
            [[ed(4, 11, "dog sits", "harper"), ed(0, 7, "A cat", "harper")]],
            PRIORITY,
            [(0, 7, "A cat", "harper")],
            "A cat sat on the mat.",
            id="same-source-earlier-start",
        ),
        pytest.param(
            [[ed(4, 11, "dog sits", "harper"), ed(4, 7, "dog", "harper")]],
            PRIORITY,
            [(4, 7, "dog", "harper")],
            "The dog sat on the mat.",
            id="same-source-shorter-span",
        ),
        pytest.param(
            # languagetool ranks first and knocks out the llm span; harper's edit, which overlapped only that
            # dropped span, survives.
            [[ed(4, 11, "dog sits", "llm")], [ed(0, 5, "A c", "harper")], [ed(8, 11, "sits", "languagetool")]],
            PRIORITY,
            [(0, 5, "A c", "harper"), (8, 11, "sits", "languagetool")],
            "A cat sits on the mat.",
            id="chain-drops-only-the-middle",
        ),
        pytest.param(
            [[ed(4, 7, "dog", "spellbot")], [ed(4, 7, "cats", "llm")]],
            PRIORITY,
            [(4, 7, "cats", "llm")],
            "The cats sat on the mat.",
            id="unlisted-source-ranks-last",
        ),
        pytest.param([[], []], PRIORITY, [], TEXT, id="nothing"),
    ],
)
def test_merge_edits(lists: list[list[Edit]], priority: tuple, expected: list[tuple], applied: str) -> None:
    merged = merge_edits(lists, priority)
    assert [(e["start"], e["end"], e["replacement"], e["source"]) for e in merged] == expected
    assert apply_edits(TEXT, merged) == applied
    # The result does not depend on the order engines are listed or edits arrive in.
    for order in itertools.permutations([list(reversed(edits)) for edits in lists]):
        assert merge_edits(list(order), priority) == merged


def test_merge_keeps_the_best_ranked_message_and_leaves_inputs_untouched() -> None:
    llm = [ed(4, 7, "dog", "llm", "rewrite")]
    harper = [ed(4, 7, "dog", "harper", "Did you mean dog?")]
    merged = merge_edits([llm, harper], PRIORITY)
    assert merged == [
        {
            "start": 4,
            "end": 7,
            "original": "cat",
            "replacement": "dog",
            "source": "harper+llm",
            "message": "Did you mean dog?",
        }
    ]
    assert llm[0]["source"] == "llm" and harper[0]["source"] == "harper"


# --- LanguageTool: recorded response ----------------------------------------------------------------------------------


def test_edits_from_languagetool_converts_utf16_offsets() -> None:
    payload = json.loads(FIXTURE.read_text(encoding="utf-8"))
    text = payload["matches"][0]["context"]["text"]
    assert text == "I really love 🍕 and 🍩 but i dont know why. See you tomorow!"
    edits = edits_from_languagetool(text, payload)
    # The fixture's offsets are 28, 30 and 53 (UTF-16, each emoji counts twice); the style hint has no replacement.
    assert spans(edits) == [(26, 27, "i", "I"), (28, 32, "dont", "don't"), (51, 58, "tomorow", "tomorrow")]
    assert [e["rule"] for e in edits] == ["I_LOWERCASE", "EN_CONTRACTION_SPELLING", "MORFOLOGIK_RULE_EN_US"]
    assert {e["source"] for e in edits} == {"languagetool"}
    assert edits[2]["message"] == "Possible spelling mistake found."
    assert apply_edits(text, edits) == "I really love 🍕 and 🍩 but I don't know why. See you tomorrow!"


def test_edits_from_languagetool_without_matches_and_with_a_bad_offset() -> None:
    assert edits_from_languagetool("Fine.", {"matches": []}) == []
    bad = {"matches": [{"message": "m", "offset": 3, "length": 9, "replacements": [{"value": "x"}], "rule": {}}]}
    with pytest.raises(PlaygroundError, match="outside"):
        edits_from_languagetool("🍕 ok", bad)


# --- LanguageTool: a loopback stand-in and an unreachable server ------------------------------------------------------


class _FakeLanguageTool(http.server.BaseHTTPRequestHandler):
    """Answers /v2/languages and /v2/check with the recorded response, and remembers the form it was sent."""

    forms: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        self._answer(200, [{"name": "English (US)", "code": "en", "longCode": "en-US"}])

    def do_POST(self) -> None:
        from urllib.parse import parse_qs

        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.forms.append(parse_qs(body))
        if self.path != "/v2/check":
            self._answer(404, {"error": "no such endpoint"})
        else:
            self._answer(200, json.loads(FIXTURE.read_text(encoding="utf-8")))

    def _answer(self, code: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def fake_languagetool() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeLanguageTool)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeLanguageTool.forms = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_languagetool_edits_posts_the_form_and_converts_the_answer(fake_languagetool: str) -> None:
    text = "I really love 🍕 and 🍩 but i dont know why. See you tomorow!"
    assert languagetool_available(fake_languagetool + "/v2/")
    edits = languagetool_edits(text, language="en-GB", url=fake_languagetool)
    assert _FakeLanguageTool.forms == [{"text": [text], "language": ["en-GB"]}]
    assert spans(edits)[1] == (28, 32, "dont", "don't")


def test_correct_merges_languagetool_and_harper(fake_languagetool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGETOOL_URL", fake_languagetool)
    text = "I really love 🍕 and 🍩 but i dont know why. See you tomorow!"
    result = correct(text, engines=("languagetool", "harper"))
    assert result["engines"] == {"languagetool": "ran", "harper": "ran"}
    assert result["corrected"] == "I really love 🍕 and 🍩 but I don't know why. See you tomorrow!"
    # Both engines fix "dont" and "tomorow" the same way, so those edits carry both names.
    by_word = {e["original"]: e["source"] for e in result["edits"]}
    assert by_word["dont"] == "languagetool+harper"
    assert by_word["tomorow"] == "languagetool+harper"


def test_languagetool_available_is_false_for_a_closed_port() -> None:
    assert languagetool_available(CLOSED, timeout=1.0) is False
    assert languagetool_available(CLOSED + "/") is False  # the same server, answered from the cache


def test_languagetool_edits_raise_engine_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EngineUnavailable, match="cannot be reached"):
        languagetool_edits("Some text.", url=CLOSED, timeout=1.0)
    monkeypatch.delenv("LANGUAGETOOL_URL", raising=False)
    monkeypatch.delenv("LANGUAGETOOL_LOCAL", raising=False)
    with pytest.raises(EngineUnavailable, match="LANGUAGETOOL_URL"):
        languagetool_edits("Some text.")


def test_correct_without_languagetool_still_runs_harper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGETOOL_URL", CLOSED)
    result = correct("I dont know.", engines=("languagetool", "harper"))
    assert result["engines"]["languagetool"].startswith("unavailable")
    assert result["engines"]["harper"] == "ran"
    assert spans(result["edits"]) == [(2, 6, "dont", "don't")]
    assert result["corrected"] == "I don't know."
    monkeypatch.delenv("LANGUAGETOOL_URL")
    monkeypatch.delenv("LANGUAGETOOL_LOCAL", raising=False)
    assert correct("I dont know.", engines=("languagetool",))["engines"] == {
        "languagetool": "unavailable: set LANGUAGETOOL_URL (or LANGUAGETOOL_LOCAL=1 to start one)"
    }


# --- correct() glue ---------------------------------------------------------------------------------------------------


def test_correct_with_harper_and_an_llm_rewrite() -> None:
    text = "I dont know. See you tomorow."
    result = correct(text, llm_corrected="I don't know. See you tomorrow!")
    assert result["engines"] == {"harper": "ran", "llm": "ran"}
    assert [(e["original"], e["replacement"], e["source"]) for e in result["edits"]] == [
        ("dont", "don't", "harper+llm"),
        ("tomorow", "tomorrow", "harper"),  # the llm's "tomorow." -> "tomorrow!" overlaps it and ranks lower
    ]
    assert result["corrected"] == "I don't know. See you tomorrow."


def test_correct_rejects_an_unknown_engine() -> None:
    with pytest.raises(InputError, match="Did you mean 'harper'"):
        correct("Text.", engines=("harpr",))


# --- A real LanguageTool server, when one is configured ---------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("LANGUAGETOOL_URL"), reason="set LANGUAGETOOL_URL to a LanguageTool server to run this test"
)
def test_real_languagetool_server() -> None:
    text = "🎉 See you tomorow."
    edits = languagetool_edits(text)
    assert all(text[e["start"] : e["end"]] == e["original"] for e in edits)
    typo = next(e for e in edits if e["original"] == "tomorow")
    assert (typo["start"], typo["end"], typo["replacement"]) == (10, 17, "tomorrow")
    assert apply_edits(text, edits) == "🎉 See you tomorrow."
