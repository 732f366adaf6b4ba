"""Hostile batches on the fake backend: strict JSON results whatever the ids, one line per row of an awkward upload,
and resuming after a torn or unfinished last line."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.service import batch
from playground.text.textio import read_rows
from tests.fakes import FakePool
from tests.hostile import UPLOADS, check_upload_results, result_lines, upload_files


def test_results_are_strict_json_even_for_a_nan_id(tmp_path: Path, fake_pool: FakePool) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": NaN, "text": "fine"}\n{"id": Infinity, "text": "also fine"}\n', encoding="utf-8")
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", read_rows(source), target, pool=fake_pool)
    assert len(result_lines(target)) == 2


@pytest.mark.parametrize("name", UPLOADS)
def test_upload_gives_one_line_per_row_on_a_fake_model(name: str, tmp_path: Path, fake_pool: FakePool) -> None:
    path, expected = upload_files(tmp_path)[name]
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", read_rows(path), target, pool=fake_pool)
    check_upload_results(result_lines(target), expected)


def test_resume_repairs_a_torn_last_line(tmp_path: Path, fake_pool: FakePool) -> None:
    rows = [{"id": f"r{i}", "text": f"Review number {i} was fine."} for i in range(6)]
    target = tmp_path / "out.jsonl"
    first, _ = batch.run_file("sentiment", rows[:3], target, pool=fake_pool)
    assert first.done == 3
    with target.open("ab") as sink:
        sink.write(b'{"id": "r3", "output": {"label": "pos' + "é".encode()[:1])  # torn mid-character too
    summary, _ = batch.run_file("sentiment", rows, target, resume=True, pool=fake_pool)
    assert (summary.skipped, summary.done, summary.failed) == (3, 3, 0)
    assert [r["id"] for r in result_lines(target)] == [f"r{i}" for i in range(6)]


def test_resume_reruns_a_last_line_that_lacks_its_newline(tmp_path: Path, fake_pool: FakePool) -> None:
    rows = [{"id": i, "text": "Fine."} for i in range(1, 4)]
    target = tmp_path / "out.jsonl"
    batch.run_file("sentiment", rows[:2], target, pool=fake_pool)
    target.write_bytes(target.read_bytes().rstrip(b"\n"))  # whole JSON, but the write of its newline never happened
    summary, _ = batch.run_file("sentiment", rows, target, resume=True, pool=fake_pool)
    assert (summary.skipped, summary.done) == (1, 2)
    assert [r["id"] for r in result_lines(target)] == [1, 2, 3]
