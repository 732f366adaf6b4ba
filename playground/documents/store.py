"""Collections of documents in Qdrant: on disk in local mode by default, a Qdrant server when QDRANT_URL is set.

Each chunk is a point: its embedding, and a payload with the document name, its span, its text, the content hash
of its document and the embedder that made the vector. Keyword search (BM25, `bm25s`) runs beside the vectors and
the two rankings are fused by reciprocal rank fusion: a small embedder misses names, codes and numbers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.core.errors import InputError, ModelError
from playground.core.resources import data_home
from playground.documents.chunks import MAX_CHARS, OVERLAP, Chunk, chunk_document
from playground.documents.readers import Document

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

    from playground.engines.base import Backend

PREFIX = "playground-"  # on a shared Qdrant server, the collections this project made
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
RRF_K = 60  # the usual constant of reciprocal rank fusion: later ranks still count, the top ones most
EMBED_BATCH = 64


def check_name(name: Any) -> str:
    """A collection name: letters, digits, '.', '_' and '-', at most 64 characters."""
    if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
        raise InputError("a collection name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name.strip()


def content_hash(document: Document) -> str:
    """What decides whether a re-added document is unchanged: its text, and how documents are cut into chunks."""
    cut = f"{MAX_CHARS}/{OVERLAP}/{'pages' if document.pages else 'text'}\x00"
    return hashlib.sha256((cut + document.text).encode("utf-8")).hexdigest()


def _point(collection: str, document: Document, chunk: Chunk, digest: str, embedder: str, vector: Any) -> Any:
    """A chunk as a Qdrant point: a stable id (so re-adding replaces), its vector and everything a hit shows."""
    from qdrant_client import models

    payload = {"doc": chunk.doc, "index": chunk.index, "text": chunk.text, "start": chunk.start, "end": chunk.end,
               "page": chunk.page, "sha256": digest, "embedder": embedder}  # fmt: skip
    point_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{collection}\x00{chunk.doc}\x00{chunk.index}"))
    return models.PointStruct(id=point_id, vector=[float(x) for x in vector], payload=payload)


@dataclass(frozen=True)
class FileInfo:
    doc: str
    chunks: int
    chars: int
    sha256: str


@dataclass
class Index:
    """What keyword search needs of a collection, rebuilt when the collection changes."""

    chunks: list[Chunk]
    retriever: Any  # None when no chunk has a word that is not a stop word
    key: tuple[FileInfo, ...]  # the collection's documents and content hashes when it was built


@dataclass
class DocumentStore:
    """Named collections of chunked, embedded documents."""

    url: str | None = None
    path: Path = field(default_factory=lambda: data_home() / "qdrant")
    _server: QdrantClient | None = field(default=None, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)
    _open: QdrantClient | None = field(default=None, init=False)  # the local client of the call in progress
    _indexes: dict[str, Index] = field(default_factory=dict, init=False)

    @classmethod
    def from_env(cls) -> DocumentStore:
        return cls(url=os.environ.get("QDRANT_URL") or None)

    @contextlib.contextmanager
    def client(self) -> Iterator[QdrantClient]:
        """The Qdrant client, one call at a time; in local mode the folder is opened for the call only.

        Qdrant's local mode lets one process at a time open its folder, so the app and `nlp-playground index` take
        turns instead of one locking the other out for as long as it runs. Calls nested in one `with store.client()`
        (a search's several lookups) share the folder opened once.
        """
        from qdrant_client import QdrantClient

        with self._lock:
            if self._open is not None:  # nested in a call of this thread: the folder is open already
                yield self._open
                return
            if self.url:
                if self._server is None:
                    self._server = QdrantClient(url=self.url, api_key=os.environ.get("QDRANT_API_KEY") or None)
                yield self._server
                return
            self.path.mkdir(parents=True, exist_ok=True)
            deadline = time.monotonic() + 15
            while True:
                try:
                    local = QdrantClient(path=str(self.path))
                    break
                except RuntimeError:  # another process has the folder open
                    if time.monotonic() > deadline:
                        raise ModelError(
                            f"the document store {self.path} is in use by another process; wait for it, or run a "
                            "Qdrant server and set QDRANT_URL to share collections between processes"
                        ) from None
                    time.sleep(0.2)
            self._open = local
            try:
                yield local
            finally:
                self._open = None
                local.close()

    def names(self) -> list[str]:
        with self.client() as qdrant:
            return self.names_of(qdrant)

    def _require(self, qdrant: QdrantClient, name: str) -> str:
        full = PREFIX + check_name(name)
        if not qdrant.collection_exists(full):
            known = ", ".join(self.names_of(qdrant)) or "none yet"
            raise InputError(f"no collection {name!r} (collections: {known}); add files with: nlp-playground index add")
        return full

    @staticmethod
    def names_of(qdrant: QdrantClient) -> list[str]:
        return sorted(c.name[len(PREFIX) :] for c in qdrant.get_collections().collections if c.name.startswith(PREFIX))

    def _payloads(self, qdrant: QdrantClient, full: str, fields: list[str] | bool = True) -> list[dict[str, Any]]:
        payloads: list[dict[str, Any]] = []
        offset: Any = None
        while True:
            points, offset = qdrant.scroll(full, limit=1000, offset=offset, with_payload=fields, with_vectors=False)
            payloads += [dict(p.payload or {}) for p in points]
            if offset is None:
                return payloads

    def files(self, name: str) -> list[FileInfo]:
        """The documents of a collection with their chunk counts, sizes and content hashes."""
        with self.client() as qdrant:
            rows = self._payloads(qdrant, self._require(qdrant, name), ["doc", "sha256", "end"])
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = found.setdefault(row["doc"], {"chunks": 0, "chars": 0, "sha256": row.get("sha256", "")})
            entry["chunks"] += 1
            entry["chars"] = max(entry["chars"], int(row.get("end", 0)))
        return [FileInfo(doc, e["chunks"], e["chars"], e["sha256"]) for doc, e in sorted(found.items())]

    def embedder_of(self, name: str) -> str | None:
        """The embedder a collection was built with (its vectors only compare with that one's)."""
        with self.client() as qdrant:
            return self._embedder_in(qdrant, self._require(qdrant, name))

    def add(
        self,
        name: str,
        documents: Iterable[Document],
        embedder: Backend,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, str]:
        """Index documents; a changed document replaces its chunks, an unchanged one is skipped.

        Returns each document's status: "added", "replaced" or "unchanged". `progress` gets chunk counts embedded.
        """
        from qdrant_client import models

        name = check_name(name)
        full = PREFIX + name
        status: dict[str, str] = {}
        with self.client() as qdrant:
            exists = qdrant.collection_exists(full)
            used = self._embedder_in(qdrant, full) if exists else None
            if used and used != embedder.ref.name:
                raise InputError(
                    f"collection {name!r} was built with the embedder {used!r}; add to it with that embedder, "
                    "or make a new collection"
                )
            if exists and used is None:  # emptied by remove: its vector size may be another embedder's
                qdrant.delete_collection(full)
            if not exists or used is None:
                size = len(embedder.embed(["size"])[0])
                config = models.VectorParams(size=size, distance=models.Distance.COSINE)
                qdrant.create_collection(full, vectors_config=config)
            known = {row["doc"]: row.get("sha256") for row in self._payloads(qdrant, full, ["doc", "sha256"])}
            for document in documents:
                digest = content_hash(document)
                if known.get(document.name) == digest:
                    status[document.name] = "unchanged"
                    continue
                if document.name in known:
                    self._delete_docs(qdrant, full, [document.name])
                chunks = chunk_document(document)
                for start in range(0, len(chunks), EMBED_BATCH):
                    batch = chunks[start : start + EMBED_BATCH]
                    vectors = embedder.embed([c.text for c in batch])
                    points = [
                        _point(name, document, c, digest, embedder.ref.name, v)
                        for c, v in zip(batch, vectors, strict=True)
                    ]
                    qdrant.upsert(full, points=points)
                    if progress is not None:
                        progress(len(batch))
                status[document.name] = "replaced" if document.name in known else "added"
                known[document.name] = digest
        self._indexes.pop(name, None)
        return status

    @staticmethod
    def _embedder_in(qdrant: QdrantClient, full: str) -> str | None:
        points, _ = qdrant.scroll(full, limit=1, with_payload=["embedder"])
        return str(points[0].payload.get("embedder")) if points and points[0].payload else None

    @staticmethod
    def _delete_docs(qdrant: QdrantClient, full: str, docs: Sequence[str]) -> None:
        from qdrant_client import models

        match = models.FieldCondition(key="doc", match=models.MatchAny(any=list(docs)))
        qdrant.delete(full, points_selector=models.FilterSelector(filter=models.Filter(must=[match])))

    def remove(self, name: str, docs: Sequence[str] = ()) -> list[str]:
        """Remove documents from a collection, or the whole collection when none are named; returns what went."""
        with self.client() as qdrant:
            full = self._require(qdrant, name)
            if not docs:
                qdrant.delete_collection(full)
                removed = [name]
            else:
                present = {row["doc"] for row in self._payloads(qdrant, full, ["doc"])}
                missing = [d for d in docs if d not in present]
                if missing:
                    raise InputError(f"collection {name!r} has no document {missing[0]!r}")
                self._delete_docs(qdrant, full, docs)
                removed = list(docs)
        self._indexes.pop(check_name(name), None)
        return removed

    def count(self, name: str) -> int:
        """How many chunks a collection holds."""
        with self.client() as qdrant:
            return int(qdrant.count(self._require(qdrant, name), exact=True).count)

    def nearest(self, name: str, vector: Sequence[float], limit: int) -> list[tuple[dict[str, Any], float]]:
        """The chunks nearest to a vector (cosine), best first, as (payload, similarity)."""
        with self.client() as qdrant:
            found = qdrant.query_points(self._require(qdrant, name), query=[float(x) for x in vector], limit=limit,
                                        with_payload=True)  # fmt: skip
        return [(dict(p.payload or {}), float(p.score)) for p in found.points]

    def chunks(self, name: str) -> list[Chunk]:
        """Every chunk of a collection, in document and chunk order."""
        with self.client() as qdrant:
            rows = self._payloads(qdrant, self._require(qdrant, name), ["doc", "index", "text", "start", "end", "page"])
        chunks = [Chunk(r["doc"], int(r["index"]), r["text"], int(r["start"]), int(r["end"]), r.get("page"))
                  for r in rows]  # fmt: skip
        return sorted(chunks, key=lambda c: (c.doc, c.index))


_stores: dict[tuple[str | None, str], DocumentStore] = {}
_stores_lock = threading.Lock()


def default_store() -> DocumentStore:
    """The store the environment names (QDRANT_URL, else NLP_PLAYGROUND_DATA's local folder), one per place."""
    store = DocumentStore.from_env()
    with _stores_lock:
        return _stores.setdefault((store.url, str(store.path)), store)
