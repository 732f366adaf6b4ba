"""An in-memory, bounded cache of text embeddings keyed by (embedder, text hash), shared by every task.

A text embedded once in a process — for search, duplicates, clustering, keywords — is not embedded again by the
same embedder. NLP_PLAYGROUND_EMBEDDING_CACHE sets how many vectors are kept (least recently used go first; 0
turns the cache off).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

import numpy as np
from numpy.typing import NDArray

DEFAULT_SIZE = 20_000  # vectors: about 30 MB of 384-dimensional float32


class EmbeddingCache:
    """Vectors by (embedder key, text digest), least recently used dropped first."""

    def __init__(self, size: int | None = None) -> None:
        self.size = int(os.environ.get("NLP_PLAYGROUND_EMBEDDING_CACHE", DEFAULT_SIZE)) if size is None else size
        self._vectors: OrderedDict[tuple[Hashable, bytes], NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(
        self, owner: Hashable, texts: Sequence[str], compute: Callable[[list[str]], NDArray[np.float32]]
    ) -> NDArray[np.float32]:
        """The vectors of texts: cached ones looked up, the others computed in one call (each distinct text once)."""
        if self.size <= 0 or not texts:
            return compute(list(texts))
        keys = [(owner, hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest()) for t in texts]
        found: dict[tuple[Hashable, bytes], NDArray[np.float32]] = {}
        with self._lock:
            for key in keys:
                vector = self._vectors.get(key)
                if vector is not None:
                    self._vectors.move_to_end(key)
                    found[key] = vector
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            computed = compute([text_of[k] for k in missing])
            found.update(zip(missing, computed, strict=True))
            with self._lock:
                for key, vector in zip(missing, computed, strict=True):
                    self._vectors[key] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()
            self.hits = self.misses = 0


EMBEDDINGS = EmbeddingCache()
