"""A bounded store of model states after shared prompt prefixes, one per loaded model.

A task sends many prompts that begin the same way: translation's worked examples come before every sentence and
every sampled candidate, style transfer's before each of its candidates. The engine evaluates such a prefix as its own
batch and keeps the state it leaves (the prefix's keys and values), so the next prompt with that prefix starts from
there. NLP_PLAYGROUND_PREFIX_CACHE sets the bound in megabytes (0 turns the store off: every prefix is evaluated
again, still as its own batch, so outputs are the same either way).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MB = 64  # about 16 translation prefixes of the multilingual model (4 MB each)
MAX_ENTRIES = 32


@dataclass(frozen=True)
class PrefixState:
    tokens: tuple[int, ...]
    state: bytes


class PrefixCache:
    """States by their prefix's tokens, least recently used dropped first; bounded in entries and in bytes."""

    def __init__(self, max_bytes: int | None = None, max_entries: int = MAX_ENTRIES) -> None:
        if max_bytes is None:
            max_bytes = int(float(os.environ.get("NLP_PLAYGROUND_PREFIX_CACHE", DEFAULT_MB)) * 2**20)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._states: OrderedDict[bytes, PrefixState] = OrderedDict()
        self._lock = threading.Lock()
        self.size = 0  # bytes held
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(tokens: Sequence[int]) -> bytes:
        return hashlib.blake2b(",".join(map(str, tokens)).encode(), digest_size=16).digest()

    def get(self, tokens: Sequence[int]) -> bytes | None:
        """The state kept after exactly these tokens, or None."""
        key = self._key(tokens)
        with self._lock:
            entry = self._states.get(key)
            if entry is None or entry.tokens != tuple(tokens):
                self.misses += 1
                return None
            self._states.move_to_end(key)
            self.hits += 1
            return entry.state

    def put(self, tokens: Sequence[int], state: bytes) -> None:
        """Keep a state, dropping the least recent until the bounds hold; one larger than the bound is not kept."""
        if not self.max_bytes or len(state) > self.max_bytes:
            return
        key = self._key(tokens)
        with self._lock:
            old = self._states.pop(key, None)
            self.size -= len(old.state) if old else 0
            self._states[key] = PrefixState(tuple(tokens), state)
            self.size += len(state)
            while self.size > self.max_bytes or len(self._states) > self.max_entries:
                _, dropped = self._states.popitem(last=False)
                self.size -= len(dropped.state)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._states)
