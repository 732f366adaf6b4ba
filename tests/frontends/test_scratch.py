"""Download files the app writes are kept to the newest few, so a long-running app does not fill its disk."""

from __future__ import annotations

import pytest

from playground.frontends.ui import scratch


def test_only_the_newest_files_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scratch, "KEEP", 3)
    monkeypatch.setattr(scratch, "_root", None)
    paths = []
    for number in range(6):
        path = scratch.scratch_path("run.json")
        path.write_text(str(number))
        paths.append(path)
    assert len({p.parent for p in paths}) == 6  # a folder each: two visitors' files never collide
    assert [p.exists() for p in paths] == [False, False, False, True, True, True]
    assert paths[-1].read_text() == "5"
