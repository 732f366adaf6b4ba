"""The one interface every task talks to: generate, stream, score and embed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from playground.core.errors import ModelError
from playground.engines.params import GenerationParams

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from playground.engines.catalogue import ModelRef


class ChatMessage(TypedDict):
    role: str
    content: str


CHAT_MARKUP = 8  # tokens a chat template adds around each message, when it cannot be measured
# A plain string is completed as it is; a list of messages goes through the model's chat template.
Prompt = str | Sequence[ChatMessage]


class PrefixedPrompt(str):
    """A prompt whose beginning (`prefix`: shots, instructions) is shared by many calls of a task.

    An engine that can keep a model's state evaluates the prefix as its own batch and may reuse that state for the
    next prompt with the same prefix. Any string operation on it gives a plain str, with no prefix.
    """

    prefix: str

    def __new__(cls, text: str, prefix: str) -> PrefixedPrompt:
        if not text.startswith(prefix):
            raise ValueError("a prompt's prefix must be its beginning")
        prompt = super().__new__(cls, text)
        prompt.prefix = prefix
        return prompt


def shared_prefix(prompt: Prompt) -> str:
    """The beginning of the prompt that other calls share, or "" when it has none."""
    return prompt.prefix if isinstance(prompt, PrefixedPrompt) else ""


class Backend(ABC):
    """A loaded model. Subclasses implement `stream`; the rest is optional per engine."""

    ref: ModelRef
    context_length: int = 2048
    supports_chat: bool = False
    scorer: str = "log-likelihood"  # how `score` measures a continuation (remote servers may offer less)

    @abstractmethod
    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        """Yield the generated text in pieces, stopping at any of params.stop."""

    def generate(self, prompt: Prompt, params: GenerationParams) -> str:
        """Return the whole generated text."""
        return "".join(self.stream(prompt, params))

    def generate_many(self, prompt: Prompt, params: GenerationParams, seeds: Sequence[int]) -> list[str]:
        """Return one whole generation per seed (the same params otherwise); engines may decode them together."""
        return [self.generate(prompt, params.merged(seed=seed)) for seed in seeds]

    def score(self, context: str, continuations: Sequence[str]) -> list[float]:
        """Return the summed log-probability of each continuation after the context."""
        raise ModelError(f"{self.ref.name} on {self.ref.engine} cannot score continuations")

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one L2-normalised vector per text."""
        raise ModelError(f"{self.ref.name} on {self.ref.engine} cannot embed texts")

    def count_tokens(self, text: str) -> int:
        """Return how many tokens the model's tokenizer makes of text."""
        return max(1, len(text) // 4)

    def count_prompt(self, prompt: Prompt) -> int:
        """Return how many tokens the prompt takes; messages count with their chat markup (estimated here)."""
        if isinstance(prompt, str):
            return self.count_tokens(prompt)
        return sum(self.count_tokens(m["content"]) + CHAT_MARKUP for m in prompt) + CHAT_MARKUP

    def count_generated(self, pieces: Sequence[str]) -> int:
        """Return how many tokens produced these streamed pieces."""
        return self.count_tokens("".join(pieces))

    def check_prompt(self, n_prompt_tokens: int, params: GenerationParams) -> None:
        """Raise a clear error when prompt plus answer cannot fit in the context window."""
        if n_prompt_tokens + params.max_new_tokens > self.context_length:
            raise ModelError(
                f"the prompt is {n_prompt_tokens} tokens and max_new_tokens is {params.max_new_tokens}, "
                f"more than the model's context of {self.context_length} tokens; shorten the text "
                "or lower max_new_tokens"
            )


class TokenPiece(str):
    """Streamed text that also carries its tokens: {token, logprob, top: [{token, logprob}, ...]} each."""

    tokens: list[dict[str, Any]]

    def __new__(cls, text: str, tokens: list[dict[str, Any]]) -> TokenPiece:
        piece = super().__new__(cls, text)
        piece.tokens = tokens
        return piece


def trim_tokens_at_stops(pieces: Iterable[TokenPiece], stops: Sequence[str]) -> Iterator[TokenPiece]:
    """trim_at_stops for pieces that carry tokens: a token is passed on with the text it made, and a token that
    reaches into a stop sequence is dropped with it."""
    hold = max((len(s) for s in stops), default=1) - 1
    buffer = ""
    pending: list[tuple[int, dict[str, Any]]] = []  # each held token with the offset in buffer where its text ends

    def release(upto: int) -> TokenPiece:
        nonlocal buffer, pending
        out = TokenPiece(buffer[:upto], [t for end, t in pending if end <= upto])
        buffer = buffer[upto:]
        pending = [(end - upto, t) for end, t in pending if end > upto]
        return out

    for piece in pieces:
        buffer += piece
        pending += [(len(buffer), t) for t in piece.tokens]
        cut = min((i for i in (buffer.find(s) for s in stops) if i >= 0), default=-1)
        if cut >= 0:
            last = release(cut)
            if last or last.tokens:
                yield last
            return
        safe = len(buffer) - hold
        if safe > 0:
            yield release(safe)
    if buffer or pending:
        yield release(len(buffer))


def trim_at_stops(pieces: Iterable[str], stops: Sequence[str]) -> Iterator[str]:
    """Re-yield streamed text, ending before the first stop sequence even when it spans pieces."""
    if not stops:
        yield from pieces
        return
    hold = max(len(s) for s in stops) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        cut = min((i for i in (buffer.find(s) for s in stops) if i >= 0), default=-1)
        if cut >= 0:
            if cut:
                yield buffer[:cut]
            return
        # Keep back a tail that might be the start of a stop sequence split across pieces.
        safe = len(buffer) - hold
        if safe > 0:
            yield buffer[:safe]
            buffer = buffer[safe:]
    if buffer:
        yield buffer
