"""Files the app writes for a visitor to download (run records, batch and evaluation results), kept in one folder
per process and pruned, so a long-running public app does not fill its disk one request at a time."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

KEEP = 200  # the newest files kept; a visitor downloads theirs within moments of the run

_lock = threading.Lock()
_root: Path | None = None
_count = 0


def scratch_path(filename: str) -> Path:
    """A fresh path named `filename` for a download, in a folder of its own; the oldest folders beyond KEEP go."""
    global _root, _count
    with _lock:
        if _root is None or not _root.is_dir():
            _root = Path(tempfile.mkdtemp(prefix="nlp-playground-"))
        _count += 1
        folder = _root / f"{_count:08d}"
        folder.mkdir()
        old = sorted(_root.iterdir())[:-KEEP]
    for stale in old:
        shutil.rmtree(stale, ignore_errors=True)
    return folder / filename
