"""The sentence-transformers engine, for clustering, similarity and extractive summaries."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from playground.core.errors import ModelError
from playground.engines.base import Backend, Prompt
from playground.engines.cache import EMBEDDINGS
from playground.engines.catalogue import ModelRef
from playground.engines.params import GenerationParams

try:
    from sentence_transformers import SentenceTransformer
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ModelError("the embedder needs sentence-transformers: pip install nlp-playground") from exc

from playground.core.logs import quiet_transformers

quiet_transformers()  # a load is timed and reported; no bars or warnings on stderr unless asked for

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class SentenceTransformerBackend(Backend):
    """Embeds texts; it cannot generate."""

    def __init__(self, ref: ModelRef) -> None:
        self.ref = ref
        source = str(ref.preset.locate()) if ref.preset else ref.source
        try:
            self.model = SentenceTransformer(source, device="cpu")
        except OSError as exc:
            raise ModelError(f"cannot load embedder {ref.name!r}: {exc}") from None
        self.context_length = int(self.model.max_seq_length or 256)
        self._lock = threading.Lock()

    def stream(self, prompt: Prompt, params: GenerationParams) -> Iterator[str]:
        raise ModelError(f"{self.ref.name} is an embedding model; it cannot generate text")

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return EMBEDDINGS.embed(self.ref.key, texts, self._encode)

    def _encode(self, texts: list[str]) -> NDArray[np.float32]:
        with self._lock:
            return self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])
