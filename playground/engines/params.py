"""Generation parameters, validated once at the edge of the engine."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from playground.core.errors import ParamError, did_you_mean

MAX_NEW_TOKENS_CAP = 1024
DRAFTS = ("none", "prompt-lookup")
DEFAULT_DRAFT_TOKENS = 10
MAX_DRAFT_TOKENS = 64


class GenerationParams(BaseModel):
    """Decoding settings shared by every backend; unknown names are an error, not silence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(256, ge=1, le=MAX_NEW_TOKENS_CAP)
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 means greedy decoding")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    top_k: int = Field(0, ge=0, le=1000, description="0 disables top-k")
    repetition_penalty: float = Field(1.0, ge=0.5, le=2.0)
    num_beams: int = Field(1, ge=1, le=8, description="beam search needs the transformers engine")
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    stop: tuple[str, ...] = ()
    logprobs: int = Field(0, ge=0, le=5, description="each generated token's log-probability, with n alternatives")
    draft: str = Field(
        "none",
        description="'prompt-lookup' drafts the next tokens from n-gram matches in the prompt and verifies them in "
        "one batch ('prompt-lookup:N' drafts N, 10 by default); 'none' decodes one token at a time",
    )

    @field_validator("stop", mode="before")
    @classmethod
    def _split_stop(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,) if value else ()
        return value

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(s == "" for s in value):
            raise ValueError("stop sequences must not be empty strings")
        return value

    @field_validator("draft")
    @classmethod
    def _known_draft(cls, value: str) -> str:
        method, colon, length = value.partition(":")
        if method not in DRAFTS or (colon and method == "none"):
            raise ValueError(f"choose {' or '.join(DRAFTS)} (prompt-lookup:N for a draft of N tokens), not {value!r}")
        if colon and not (length.isdigit() and 1 <= int(length) <= MAX_DRAFT_TOKENS):
            raise ValueError(f"the draft length must be a whole number from 1 to {MAX_DRAFT_TOKENS}, not {length!r}")
        return value

    @model_validator(mode="after")
    def _draft_alone(self) -> GenerationParams:
        if self.draft_tokens and (self.num_beams > 1 or self.logprobs):
            raise ValueError("prompt-lookup drafting decodes without beams and without logprobs; turn one of them off")
        return self

    @property
    def draft_tokens(self) -> int:
        """How many tokens prompt-lookup drafting proposes at a time; 0 when it is off."""
        method, _, length = self.draft.partition(":")
        if method == "none":
            return 0
        return int(length) if length else DEFAULT_DRAFT_TOKENS

    @property
    def greedy(self) -> bool:
        """True when decoding picks the most likely token at every step."""
        return self.temperature == 0.0

    def merged(self, **overrides: Any) -> GenerationParams:
        """Return a copy with overrides applied and validated."""
        return make_params({**self.model_dump(), **overrides})


PARAM_NAMES = frozenset(GenerationParams.model_fields)


def make_params(values: dict[str, Any]) -> GenerationParams:
    """Build GenerationParams from user values, turning validation failures into ParamError."""
    unknown = [k for k in values if k not in PARAM_NAMES]
    if unknown:
        name = unknown[0]
        raise ParamError(f"unknown generation parameter {name!r}.{did_you_mean(name, PARAM_NAMES)}")
    try:
        return GenerationParams(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}" for err in exc.errors()
        )
        raise ParamError(f"invalid generation parameters: {problems}") from None
