"""Eval sets over document collections: a row names a `collection` and, optionally, a `documents` folder.

The folder is relative to the eval file; `read_eval_set` makes it absolute. Before the run, `index_documents` adds
every file of that folder to the collection; the store hashes content, so a second run over unchanged files embeds
nothing. How search, qa and duplicates score their rows is in their task modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground.core.errors import InputError
from playground.runtime.evalspec import required

if TYPE_CHECKING:
    from playground.engines.pool import ModelPool

Row = dict[str, Any]


def resolve_documents(row: Row, base: Path) -> Row:
    """The row with its `documents` folder made absolute against the eval file's folder.

    The folder must lie in the eval file's folder: an uploaded eval set cannot have the server's files indexed.
    """
    folder = row.get("documents")
    if folder is None:
        return row
    where = (base / folder).resolve() if isinstance(folder, str) and folder.strip() else None
    if where is None or not where.is_relative_to(base.resolve()):
        raise InputError("`documents` is a folder of files to index, in the eval file's folder (a relative path)")
    return {**row, "documents": str(where)}


def index_documents(rows: Sequence[Row], config: Mapping[str, Any], pool: ModelPool) -> None:
    """Add the files of each row's `documents` folder to its `collection`, once per (collection, folder)."""
    from playground.documents.indexing import add_files

    wanted = {(required(r, "collection"), str(r["documents"])) for r in rows if r.get("documents") is not None}
    for collection, folder in sorted(wanted):
        path = Path(folder)
        if not path.is_dir():
            raise InputError(f"the documents folder {folder} of collection {collection!r} does not exist")
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise InputError(f"the documents folder {folder} holds no files")
        embedder = config.get("embedder")
        report = add_files(collection, files, embedder=embedder, base_url=config.get("base_url"), pool=pool)
        if report.failed:
            raise InputError(f"indexing {folder} into {collection!r} failed: " + "; ".join(report.lines()[:-1]))
