"""The loopback OpenAI-compatible stub, exercised through the official `openai` client."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator

import openai
import pytest

from playground.testing.stubserver import StubServer, fake_embedding, tokens

TIMEOUT = 2.0


def client(server: StubServer, retries: int = 0, key: str = "x") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=retries, timeout=TIMEOUT)


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as stub:
        yield stub


def test_models_list(server: StubServer) -> None:
    assert [m.id for m in client(server).models.list()] == ["stub"]
    with StubServer(models=("a", "b")) as two:
        assert [m.id for m in client(two).models.list()] == ["a", "b"]
    assert server.paths == ["/v1/models"]
    assert server.bodies == [None]


def test_completion_echoes_the_prompt_and_honours_max_tokens_and_stop(server: StubServer) -> None:
    api = client(server)
    answer = api.completions.create(model="stub", prompt="Hello there, world", max_tokens=16)
    assert answer.object == "text_completion"
    assert answer.model == "stub"
    assert answer.choices[0].text == "echo: Hello there, world"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.prompt_tokens == 3 and answer.usage.completion_tokens == 4
    cut = api.completions.create(model="stub", prompt="one two three four", max_tokens=2)
    assert (cut.choices[0].text, cut.choices[0].finish_reason) == ("echo: one", "length")
    stopped = api.completions.create(model="stub", prompt="one two three", stop=[" two"])
    assert stopped.choices[0].text == "echo: one"
    batch = api.completions.create(model="stub", prompt=["a", "b"])
    assert [(c.index, c.text) for c in batch.choices] == [(0, "echo: a"), (1, "echo: b")]
    assert server.bodies[1]["max_tokens"] == 2
    assert server.paths == ["/v1/completions"] * 4


def test_reply_overrides_the_answer() -> None:
    with StubServer(reply=lambda prompt: prompt.upper()) as server:
        answer = client(server).completions.create(model="stub", prompt="shout this")
    assert answer.choices[0].text == "SHOUT THIS"


def test_completion_stream_sends_one_word_per_chunk(server: StubServer) -> None:
    chunks = list(client(server).completions.create(model="stub", prompt="stream me please", stream=True))
    texts = [chunk.choices[0].text for chunk in chunks]
    assert texts == ["echo:", " stream", " me", " please", ""]
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_plain_and_streamed(server: StubServer) -> None:
    api = client(server)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "what is up"},
    ]
    answer = api.chat.completions.create(model="stub", messages=messages)
    assert answer.choices[0].message.content == "echo: what is up"
    assert answer.choices[0].message.role == "assistant"
    stream = api.chat.completions.create(model="stub", messages=messages, stream=True, max_tokens=3)
    deltas = [chunk.choices[0].delta.content for chunk in stream if chunk.choices]
    assert "".join(d or "" for d in deltas) == "echo: what is"


def test_embeddings_are_deterministic_unit_vectors(server: StubServer) -> None:
    api = client(server)
    encoded = api.embeddings.create(model="stub", input=["cat", "dog"])  # the client asks for base64
    plain = api.embeddings.create(model="stub", input="cat", encoding_format="float")
    assert [row.index for row in encoded.data] == [0, 1]
    cat, dog = (row.embedding for row in encoded.data)
    assert len(cat) == 8 and math.isclose(sum(v * v for v in cat), 1.0, rel_tol=1e-5)
    assert cat == pytest.approx(plain.data[0].embedding, abs=1e-6)
    assert cat == pytest.approx(fake_embedding("cat"), abs=1e-6)
    assert cat != pytest.approx(dog, abs=1e-3)


def test_echo_logprobs_cover_the_prompt_tokens(server: StubServer) -> None:
    prompt = "The cat  sat down"
    answer = client(server).completions.create(model="stub", prompt=prompt, max_tokens=0, echo=True, logprobs=2)
    logprobs = answer.choices[0].logprobs
    assert logprobs is not None and answer.choices[0].text == prompt
    assert logprobs.tokens == ["The", " cat", "  sat", " down"]
    assert logprobs.text_offset == [0, 3, 7, 12]
    assert [prompt[o : o + len(t)] for t, o in zip(logprobs.tokens, logprobs.text_offset, strict=True)] == (
        logprobs.tokens
    )
    assert logprobs.token_logprobs is not None and logprobs.token_logprobs[0] is None
    assert all(v is not None and v < 0 for v in logprobs.token_logprobs[1:])
    assert logprobs.top_logprobs is not None and all(len(top) == 2 for top in logprobs.top_logprobs[1:])
    again = client(server).completions.create(model="stub", prompt=prompt, max_tokens=0, echo=True, logprobs=2)
    assert again.choices[0].logprobs == logprobs


def test_generated_logprobs_and_scripted_first_token() -> None:
    scripted = {" yes": -0.1, " no": -2.5}
    with StubServer(top_logprobs=lambda prompt: scripted) as server:
        answer = client(server).completions.create(model="stub", prompt="Is it?", max_tokens=3, logprobs=3)
    logprobs = answer.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens == [t for t, _ in tokens(answer.choices[0].text)]
    assert logprobs.top_logprobs is not None
    assert logprobs.top_logprobs[0] == scripted
    assert all(len(top) == 3 for top in logprobs.top_logprobs[1:])
    assert logprobs.token_logprobs is not None and all(v is not None and v < 0 for v in logprobs.token_logprobs)


def test_servers_that_cannot_echo_answer_400() -> None:
    with StubServer(echo_logprobs=False) as server:
        api = client(server, retries=2)
        with pytest.raises(openai.BadRequestError) as caught:
            api.completions.create(model="stub", prompt="x y", max_tokens=0, echo=True, logprobs=1)
        assert api.completions.create(model="stub", prompt="x y", logprobs=1).choices[0].logprobs is not None
    assert caught.value.status_code == 400
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "invalid_request_error"
    assert server.requests == 2  # a 400 is not retried


def test_unknown_model_is_404(server: StubServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client(server).completions.create(model="nope", prompt="x")
    assert caught.value.code == "model_not_found"
    assert "`nope` does not exist" in caught.value.message


def test_api_key_is_required_only_when_set() -> None:
    with StubServer(api_key="secret") as server:
        with pytest.raises(openai.AuthenticationError):
            client(server, key="wrong").models.list()
        assert [m.id for m in client(server, key="secret").models.list()] == ["stub"]


@pytest.mark.parametrize("status", [503, 429])
def test_failures_are_retried_by_the_client(status: int) -> None:
    with StubServer(fail_first=2, fail_status=status) as server:
        answer = client(server, retries=2).completions.create(model="stub", prompt="again")
        assert answer.choices[0].text == "echo: again"
        assert server.requests == 3
    with StubServer(fail_first=2, fail_status=status) as server:
        with pytest.raises(openai.APIStatusError) as caught:
            client(server, retries=1).completions.create(model="stub", prompt="again")
        assert caught.value.status_code == status
        assert server.requests == 2


def test_client_errors_are_not_retried() -> None:
    with StubServer(fail_first=1, fail_status=400) as server:
        with pytest.raises(openai.BadRequestError):
            client(server, retries=2).completions.create(model="stub", prompt="once")
        assert server.requests == 1
        assert client(server).completions.create(model="stub", prompt="once").choices[0].text == "echo: once"


def test_dropped_connections() -> None:
    with StubServer(drop_first=1) as server:
        with pytest.raises(openai.APIConnectionError):
            client(server).completions.create(model="stub", prompt="lost")
        assert client(server).completions.create(model="stub", prompt="found").choices[0].text == "echo: found"
    with StubServer(drop_first=1) as server:  # the client's own retry gets through
        assert client(server, retries=1).completions.create(model="stub", prompt="hi").choices[0].text == "echo: hi"
        assert server.requests == 2


def test_concurrent_requests_overlap() -> None:
    texts: list[str] = []
    with StubServer(delay=0.2) as server:
        api = client(server)

        def ask(i: int) -> None:
            texts.append(api.completions.create(model="stub", prompt=f"n{i}").choices[0].text)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT)
    assert sorted(texts) == [f"echo: n{i}" for i in range(4)]
    assert server.requests == 4
    assert server.max_in_flight >= 2


def test_closed_server_refuses_connections() -> None:
    with StubServer() as server:
        api = client(server)  # keeps its connection alive between requests
        api.models.list()
    with pytest.raises(openai.APIConnectionError):
        client(server).models.list()
    with pytest.raises(openai.APIConnectionError):
        api.models.list()
    assert server.requests == 1
