"""Uploads in awkward encodings and shapes read back as rows with the right ids."""

from __future__ import annotations

from pathlib import Path

from playground.text.textio import read_rows
from tests.hostile import upload_files


def test_upload_decoding_and_row_ids(tmp_path: Path) -> None:
    files = upload_files(tmp_path)
    rows = {name: read_rows(path) for name, (path, _) in files.items()}
    assert rows["bom_csv"][0] == {"id": "b1", "text": "Great food and kind staff."}  # no "\ufeffid" column
    assert rows["latin1_csv"][0]["text"] == "Café très bon, merci."
    assert rows["latin1_jsonl"][0]["text"] == "Crème brûlée exquise." and rows["latin1_jsonl"][1]["id"] == 2
    assert rows["utf16_csv"][1]["text"] == "\U0001f600 happy"
    for name, (_, expected) in files.items():
        assert len(rows[name]) == len(expected), name
