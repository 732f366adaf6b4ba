"""Generation parameters, validated once at the edge of the engine."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ParamError, did_you_mean

MAX_NEW_TOKENS_CAP = 1024


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
