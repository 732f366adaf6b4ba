"""Adding files to a collection and listing collections: what the CLI's `index` and the app's Collections tab share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playground.core.errors import PlaygroundError
from playground.core.secrets import user_message
from playground.documents.readers import Document, read_documents
from playground.documents.store import DocumentStore, default_store
from playground.engines.catalogue import DEFAULT_EMBEDDER, resolve
from playground.engines.pool import POOL, ModelPool


@dataclass
class AddReport:
    """What happened to each file given: documents added, replaced or unchanged, and files that failed."""

    status: dict[str, str] = field(default_factory=dict)  # document name -> added / replaced / unchanged
    failed: dict[str, str] = field(default_factory=dict)  # file -> one-line reason

    def lines(self) -> list[str]:
        counts = {s: sum(1 for v in self.status.values() if v == s) for s in ("added", "replaced", "unchanged")}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing indexed"
        return [f"{file}: {reason}" for file, reason in self.failed.items()] + [summary]


def add_files(
    collection: str,
    files: Sequence[Path | tuple[Path, str]],
    *,
    embedder: str | None = None,
    base_url: str | None = None,
    store: DocumentStore | None = None,
    pool: ModelPool = POOL,
    progress: Callable[[int], None] | None = None,
) -> AddReport:
    """Read every file (a path, or a path with the name to show for it) and index what could be read.

    A file that cannot be read is reported in `failed` and the others are still indexed.
    """
    report = AddReport()
    documents: list[Document] = []
    for item in files:
        path, name = item if isinstance(item, tuple) else (item, item.name)
        try:
            documents += read_documents(Path(path), name)
        except PlaygroundError as exc:
            report.failed[name] = user_message(exc)
        except OSError as exc:
            report.failed[name] = f"cannot read the file ({exc.strerror or type(exc).__name__})"
    if documents:
        backend, _ = pool.get(resolve(embedder or DEFAULT_EMBEDDER, role="embedder", base_url=base_url))
        report.status = (store or default_store()).add(collection, documents, backend, progress)
    return report
