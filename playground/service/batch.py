"""Batch files: one result line per input row, written and flushed as it is made, resumable after a kill."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from playground.core.errors import InputError, PlaygroundError, RowError
from playground.service import api
from playground.text.textio import Row, json_line, normalise_id


@dataclass
class BatchSummary:
    """How a batch file went: rows run now, rows that failed, rows skipped because an earlier run did them."""

    done: int = 0
    failed: int = 0
    skipped: int = 0

    def line(self) -> str:
        """Every row of the file, then what became of them: "4 rows: 2 answered, 2 errors"."""
        total = self.done + self.failed + self.skipped
        parts = [f"{self.done} answered", f"{self.failed} error{'' if self.failed == 1 else 's'}"]
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        return f"{total} row{'' if total == 1 else 's'}: {', '.join(parts)}"


def finished_ids(target: Path) -> set[str]:
    """The ids already in a results file; a torn last line (the process died mid-write) is cut off first."""
    if not target.exists():
        return set()
    data = target.read_bytes()
    keep = data.rfind(b"\n") + 1  # whatever follows the last newline is a partial line
    ids: set[str] = set()
    for number, raw in enumerate(data[:keep].splitlines(), 1):
        try:
            line = json.loads(raw)
        except (ValueError, RecursionError):
            line = None
        if not isinstance(line, dict) or "id" not in line:
            raise InputError(f"line {number} of {target.name} is not a result line; choose another --output")
        ids.add(normalise_id(line["id"]))
    if keep < len(data):
        with target.open("r+b") as handle:
            handle.truncate(keep)
    return ids


def pending_rows(
    rows: Iterable[Row | PlaygroundError], done: set[str], summary: BatchSummary
) -> Iterator[Row | PlaygroundError]:
    """The rows whose id is not done yet; a row repeating an earlier row's id becomes an error row."""
    seen = set(done)
    for number, row in enumerate(rows, 1):
        if isinstance(row, PlaygroundError):
            row_id = getattr(row, "row_id", None)
            key = normalise_id(number if row_id is None else row_id)
        else:
            row_id = row.get("id", number)
            key = normalise_id(row_id)
        if key in done:
            summary.skipped += 1
            continue
        if key in seen and not isinstance(row, PlaygroundError):
            yield RowError(f"id {row_id!r} appears twice in the input; this row was not run", row_id)
            continue
        seen.add(key)
        yield row


def write_line(sink: TextIO, obj: Mapping[str, Any]) -> None:
    """Write one JSON line in a single call and push it to the disk, so a kill leaves whole lines only."""
    sink.write(json_line(obj) + "\n")
    sink.flush()
    os.fsync(sink.fileno())


def run_file(
    task: str,
    rows: Iterable[Row | PlaygroundError],
    target: Path,
    *,
    resume: bool = False,
    progress: Callable[[Iterator[api.BatchItem], int], Iterable[api.BatchItem]] = lambda items, total: items,
    **common: Any,
) -> tuple[BatchSummary, list[api.BatchItem]]:
    """Run a task over rows, writing a results line for each; with resume, skip the ids the file already has.

    Returns the summary and the failed items (for a report).
    """
    summary = BatchSummary()
    done = finished_ids(target) if resume else set()
    pending = list(pending_rows(rows, done, summary))
    failures: list[api.BatchItem] = []
    with target.open("a" if resume else "w", encoding="utf-8") as sink:
        for item in progress(api.run_batch(task, pending, **common), len(pending)):
            if item.error is None:
                summary.done += 1
            else:
                summary.failed += 1
                failures.append(item)
            write_line(sink, item.to_dict())
    return summary, failures
