"""The chat task: conversations checked, trimmed to the context, sent through the chat template; the tab's adapter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground.core.errors import InputError
from playground.frontends.cli import main
from playground.frontends.ui.chat import conversation
from playground.policy.safety import Safety, SafetyError
from playground.runtime.registry import get_task
from playground.service import api
from tests.fakes import FakePool


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def bot(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Hello there", [user("Hello there")]),
        ('[{"role": "user", "content": "Hi"}]', [user("Hi")]),
        (
            [{"role": "system", "content": "Be brief."}, user("Hi")],
            [{"role": "system", "content": "Be brief."}, user("Hi")],
        ),
        ([user("A"), bot("B"), user("C")], [user("A"), bot("B"), user("C")]),
        ([{"role": "user", "content": [{"type": "text", "text": "one"}, "two"]}], [user("one\ntwo")]),
        ([user("  padded \x00 ")], [user("padded")]),
    ],
)
def test_messages_are_cleaned(value: Any, expected: list[dict[str, str]]) -> None:
    assert get_task("chat").validate({"messages": value})["messages"] == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "messages is empty; give at least one user message"),
        ("[not json", "messages looks like a JSON list but does not parse"),
        (42, "messages must be a list of {role, content} messages, not int"),
        (["hi"], "messages: message 1 must be an object with role and content"),
        ([{"role": "user", "text": "hi"}], "messages: message 1 has an unknown field 'text'"),
        ([{"role": "robot", "content": "hi"}], "messages: the role of message 1 must be system, user or assistant"),
        ([user("a"), {"role": "system", "content": "b"}, user("c")], "messages: message 2 is a system message"),
        ([user("a"), bot("b")], "messages: the last message must be the user's (role 'user'), not 'assistant'"),
        ([user("   ")], "messages: message 1 is empty"),
        ([{"role": "user", "content": 3}], "messages: the content of message 1 must be a string, not int"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}], "content parts other than text"),
        ([user("x" * 60_000), bot("y" * 50_000), user("z")], "messages is too long: 110001 characters"),
    ],
)
def test_bad_conversations_are_one_line_errors(value: Any, message: str) -> None:
    with pytest.raises(InputError, match=None) as caught:
        get_task("chat").validate({"messages": value})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_chat_sends_the_system_prompt_and_the_turns(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("Your order is 48213.")
    turns = [user("My order is 48213."), bot("Noted."), user("What is my order?")]
    result = api.run("chat", pool=fake_pool, messages=turns, system="You are a shop assistant.", remember=False)
    assert result.output == {"text": "Your order is 48213.", "source": "model", "trimmed": 0, "checks": [],
                             "prompt_tokens": result.output["prompt_tokens"]}  # fmt: skip
    [(kind, prompt)] = fake.history
    assert kind == "generate" and prompt == [{"role": "system", "content": "You are a shop assistant."}, *turns]


def test_the_memory_carries_the_users_facts_in_the_system_prompt(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m").enqueue("Sure.", "Fine.")
    turns = [user("Hi. My name is Bram and I live in Ghent."), bot("Hello!"), user("Suggest a soup for tonight.")]
    out = api.run("chat", pool=fake_pool, messages=turns, system="Be brief.").output
    assert out["memory"] == "My name is Bram and I live in Ghent." and out["source"] == "model"
    system = fake.history[-1][1][0]
    assert system["role"] == "system" and system["content"].startswith("Be brief.\n\nWhat the user has told you")
    assert "- My name is Bram and I live in Ghent.\n" in system["content"]
    # An edited memory replaces what was gathered; the new message's facts are added to it.
    edited = api.run("chat", pool=fake_pool, messages=[*turns, bot("Leek soup."), user("I am vegan.")],
                     memory="- My name is Bram.").output  # fmt: skip
    assert edited["memory"] == "My name is Bram.\nI am vegan."


def test_a_question_about_what_the_user_said_is_quoted_from_the_memory(fake_pool: FakePool) -> None:
    turns = [user("My order number is 48213."), bot("Noted."), user("The weather is odd."), bot("It is."),
             user("My order number, remind me?")]  # fmt: skip
    out = api.run("chat", pool=fake_pool, messages=turns).output
    assert out["source"] == "memory" and out["text"] == "You told me: “My order number is 48213.”"
    assert "smollm2-135m" not in fake_pool.fakes  # the model is not asked
    off = api.run("chat", pool=fake_pool, messages=turns, remember=False).output
    assert off["source"] == "model" and "memory" not in off


def test_without_a_system_prompt_the_models_own_default_applies(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")
    api.run("chat", pool=fake_pool, messages="Hi")
    assert fake.history == [("generate", [user("Hi")])]


def test_system_prompt_given_twice_is_refused(fake_pool: FakePool) -> None:
    with pytest.raises(InputError, match="give the system prompt once"):
        api.run("chat", pool=fake_pool, messages=[{"role": "system", "content": "a"}, user("b")], system="c")


def test_a_long_conversation_keeps_the_system_prompt_and_the_latest_turns(fake_pool: FakePool) -> None:
    fake = fake_pool.fake("smollm2-135m")  # context 512 tokens; a token is a word here
    turns = []
    for n in range(12):
        turns += [user(f"question {n}" + " word" * 30), bot(f"answer {n}" + " word" * 30)]
    turns.append(user("the last question"))
    result = api.run("chat", pool=fake_pool, messages=[{"role": "system", "content": "Be kind."}, *turns],
                     max_new_tokens=100)  # fmt: skip
    [(_, sent)] = fake.history
    assert sent[0] == {"role": "system", "content": "Be kind."} and sent[-1] == user("the last question")
    assert sent[1]["role"] == "user" and sent[1:] == turns[-len(sent) + 1 :]  # whole turns, the newest ones
    dropped = len(turns) - (len(sent) - 1)
    assert result.output["trimmed"] == dropped > 0 and dropped % 2 == 0
    assert result.output["note"].startswith(f"the {dropped} oldest messages after the system prompt were left out")
    assert result.output["prompt_tokens"] <= 512 - 100
    assert fake.count_prompt(sent[:1] + turns[-len(sent) - 1 :]) > 512 - 100  # one more turn would not have fitted


def test_a_last_message_longer_than_the_context_is_a_clear_error(fake_pool: FakePool) -> None:
    with pytest.raises(InputError, match=r"the last message is \d+ tokens; with max_new_tokens=100 it does not fit"):
        api.run("chat", pool=fake_pool, messages=[bot("hi"), user("word " * 500)], max_new_tokens=100)


@pytest.mark.model
def test_cli_batch_takes_one_conversation_per_line(tmp_path: Any) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"id": "a", "messages": [user("Say hello.")], "temperature": 0, "max_new_tokens": 16},
        {"id": "b", "messages": [bot("Hi")]},
        {"id": "c", "messages": "Name a colour.", "max_new_tokens": 16},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["run", "chat", "--input", str(source), "--output", str(target)]) == 1
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    assert lines[0]["output"]["text"] and lines[2]["output"]["text"] and lines[0]["model"] == "smollm2-135m"
    assert "the last message must be the user's" in lines[1]["error"]


def test_the_tab_sends_the_history_without_its_stats_notes() -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}], "metadata": None},
        {"role": "assistant", "content": "Hello!", "metadata": None},
        {"role": "assistant", "content": "Prompt: 30 tokens.", "metadata": {"title": "smollm2-135m on llama.cpp"}},
        {"role": "user", "content": [{"type": "file", "file": {"path": "x.png"}}]},  # a file alone says nothing
    ]
    assert conversation("And now?", history) == [user("Hi"), bot("Hello!"), user("And now?")]


# --- the real embedded model --------------------------------------------------------------------------------------


@pytest.mark.model
def test_the_model_uses_a_fact_from_an_earlier_turn() -> None:
    # llama-cpp-python 0.3.36's greedy SmolLM2 no longer answers "What is my order number?" with it; asked to repeat
    # the number an earlier turn gave, it does, and without those turns it cannot.
    turns = [user("My order number is 48213."), bot("Thank you. I have noted your order number: 48213."),
             user("Please repeat my order number.")]  # fmt: skip
    result = api.run("chat", messages=turns, remember=False)  # the model alone, not the memory's quote
    assert "48213" in result.output["text"], result.output
    assert result.model == "smollm2-135m" and result.timings["tokens"] > 0
    alone = api.run("chat", messages=turns[-1:])  # the fact is only in the earlier turn
    assert "48213" not in alone.output["text"] and alone.output["memory"] == ""  # a request is not a fact
    remembered = api.run("chat", messages=turns).output  # by default the memory answers it
    assert remembered["source"] == "memory" and "48213" in remembered["text"]


@pytest.mark.model
def test_a_conversation_longer_than_the_context_is_trimmed_and_still_answered() -> None:
    turns = []
    for n in range(40):  # about 8,000 tokens: twice the context
        turns += [user(f"Tell me fact {n} about the ocean. " + "The ocean is wide and deep. " * 12),
                  bot("The ocean covers most of the planet and holds most of its water. " * 8)]  # fmt: skip
    turns.append(user("What is the capital of France?"))
    # The largest max_new_tokens leaves the least room for the prompt, so the model reads ~3000 tokens, not 4000.
    result = api.run("chat", messages=turns, max_new_tokens=1024)
    out = result.output
    assert out["trimmed"] > 40 and "left out" in out["note"]
    assert out["prompt_tokens"] <= 4096 - 1024
    assert "Paris" in out["text"], out


def test_the_safety_stage_reads_every_message_and_redacts_the_answer(fake_pool: FakePool) -> None:
    safety = Safety.from_env(public=True, env={"NLP_PLAYGROUND_BLOCKLIST": "frobnicate"})
    fake_pool.fake("smollm2-135m").enqueue("Write to help@example.com or call +44 20 7946 0958.")
    result = api.run("chat", pool=fake_pool, safety=safety, messages=[user("How do I reach you?")])
    assert result.output["text"] == "Write to [email] or call [phone]."
    assert {c["filter"] for c in result.safety["changes"]} >= {"email", "phone"}  # type: ignore[index]
    with pytest.raises(SafetyError):  # an earlier turn is an input too
        api.run("chat", pool=fake_pool, safety=safety, messages=[user("frobnicate it"), bot("No."), user("Why?")])
