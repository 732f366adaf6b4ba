"""The document readers: each format gives back its text, PDF page offsets point at the right page, and every file
that cannot be read is refused with one InputError line that names it. Fixtures are written here; no model loads.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.errors import InputError
from playground.documents.readers import SUPPORTED, Document, page_of, read_documents
from tests.pdfmaker import pdf_bytes, write_pdf

PAGES = ["Alpha page opens the file.\nIt has two lines.", "Bravo holds the middle.", "Charlie keeps the secret word."]


def refused(path: Path, name: str | None = None) -> str:
    """The message of the InputError reading `path` raises; it must be one line naming the file."""
    with pytest.raises(InputError) as info:
        read_documents(path, name)
    message = str(info.value)
    assert "\n" not in message
    assert (name or path.name) in message
    return message


# --- plain text ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".md", ".markdown", ".text"])
def test_text_round_trips(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_text("# Title\r\n\r\nSome *text*\x00 here.\n", encoding="utf-8")
    [document] = read_documents(path)
    assert document == Document(f"notes{suffix}", "# Title\n\nSome *text* here.\n")
    assert page_of(document, 3) is None


def test_cp1252_text_decodes(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Café – naïve “quotes” €5".encode("cp1252"))
    assert read_documents(path)[0].text == "Café – naïve “quotes” €5"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_bom_text_decodes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes("\ufeffWide text, ünïcode ✓\r\nline two".encode(encoding))
    assert read_documents(path)[0].text == "Wide text, ünïcode ✓\nline two"


def test_name_argument_overrides_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    path.write_text("body", encoding="utf-8")
    [document] = read_documents(path, name="Report.MD")
    assert document.name == "Report.MD"
    assert document.text == "body"


# --- HTML ---------------------------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>Hidden title</title><style>p { color: red }</style>
<script>var secret = "<p>not text</p>";</script></head>
<body>
  <h1>Heading   one</h1>
  <p>First    paragraph
     runs on.</p><p>Second &amp; last &lt;p&gt; &eacute;t&#233; &#x2713;</p>
  <noscript>enable scripts</noscript><template><p>template text</p></template>
  <ul><li>apple</li><li>pear</li></ul>
  line<br>break
  <table><tr><td>a1</td><td>b1</td></tr><tr><td>a2</td><td>b2</td></tr></table>
  <div>one</div><div>two</div>
</body></html>
"""


def test_html_keeps_visible_text_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    text = read_documents(path)[0].text
    for hidden in ("Hidden title", "color", "secret", "not text", "enable scripts", "template text"):
        assert hidden not in text
    assert text == (
        "Heading one\n\nFirst paragraph runs on.\n\nSecond & last <p> été ✓\n\napple\npear\n\nline\nbreak\n\n"
        "a1 b1\na2 b2\n\none\ntwo"
    )


def test_html_without_closed_head_keeps_body(tmp_path: Path) -> None:
    path = tmp_path / "sloppy.htm"
    path.write_bytes(b"<html><head><title>t</title><body><p>Caf\xe9 body</p>")  # cp1252, no </head>
    assert read_documents(path)[0].text == "Café body"


def test_html_with_only_script_holds_no_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><script>alert(1)</script><p>  </p></html>", encoding="utf-8")
    assert "holds no text" in refused(path)


# --- PDF ----------------------------------------------------------------------------------------------------------


def test_pdf_maker_writes_a_strictly_valid_file() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(["x (y) \\ z", "second"])), strict=True)
    assert [page.extract_text().strip() for page in reader.pages] == ["x (y) \\ z", "second"]


def test_pdf_round_trips_with_page_offsets(tmp_path: Path) -> None:
    [document] = read_documents(write_pdf(tmp_path / "three.pdf", PAGES))
    assert document.name == "three.pdf"
    assert document.text == "\n\n".join(PAGES)
    assert document.pages[0] == 0
    assert len(document.pages) == 3
    for number, page in enumerate(PAGES, 1):
        start = document.pages[number - 1]
        assert document.text[start : start + len(page)] == page
    offset = document.text.index("secret word")
    assert page_of(document, offset) == 3
    assert page_of(document, document.text.index("middle")) == 2
    assert page_of(document, 0) == 1
    assert page_of(document, len(document.text)) == 3


def test_pdf_blank_page_keeps_numbering(tmp_path: Path) -> None:
    [document] = read_documents(write_pdf(tmp_path / "gap.pdf", ["first", "", "third café"]))
    assert len(document.pages) == 3
    assert page_of(document, document.text.index("third")) == 3
    assert "café" in document.text


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    message = refused(write_pdf(tmp_path / "scan.pdf", ["", ""]))
    assert "no text layer" in message and "OCR" in message


def test_damaged_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    assert "not a readable PDF" in refused(path)
    path.write_bytes(pdf_bytes(PAGES)[:200])
    refused(path)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_bytes(PAGES)))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as out:
        writer.write(out)
    assert "password" in refused(path)


def test_pdf_encrypted_with_an_empty_password_opens(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_bytes(PAGES)))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "open.pdf"
    with path.open("wb") as out:
        writer.write(out)
    assert read_documents(path)[0].text == "\n\n".join(PAGES)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.lists(st.integers(-5, 400), max_size=30))
def test_page_of_is_monotonic(lengths: list[int], offsets: list[int]) -> None:
    starts, at = [], 0
    for length in lengths:
        starts.append(at)
        at += length + 2
    document = Document("d.pdf", "x" * at, tuple(starts))
    pages = [page_of(document, offset) for offset in sorted(offsets)]
    numbers = [page for page in pages if page is not None]
    assert len(numbers) == len(pages) and numbers == sorted(numbers)
    for offset, page in zip(sorted(offsets), numbers, strict=True):
        assert 1 <= page <= len(lengths)
        if offset >= 0:
            assert starts[page - 1] <= offset


# --- DOCX ---------------------------------------------------------------------------------------------------------


def test_docx_round_trips_paragraphs_and_tables(tmp_path: Path) -> None:
    made = docx.Document()
    made.add_paragraph("First paragraph.")
    table = made.add_table(rows=2, cols=2)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"cell {r}{c}"
    made.add_paragraph("Last — paragraph\u2028ü.")
    path = tmp_path / "memo.docx"
    made.save(str(path))
    [document] = read_documents(path)
    assert document.name == "memo.docx"
    assert document.text == "First paragraph.\ncell 00\ncell 01\ncell 10\ncell 11\nLast — paragraph\u2028ü."


def test_invalid_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"this is not a zip file")
    assert "not a valid .docx" in refused(path)


def test_empty_docx_holds_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    assert "holds no text" in refused(path)


# --- JSONL --------------------------------------------------------------------------------------------------------


def test_jsonl_rows_become_documents(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [{"id": "intro", "text": "Hello\r\nthere"}, {"text": "no id"}, {"id": 7, "text": "seven", "extra": 1}]
    path.write_text(json.dumps(rows[0]) + "\n\n" + "\n".join(json.dumps(r) for r in rows[1:]) + "\n", "utf-8")
    documents = read_documents(path, name="up.jsonl")
    assert [(d.name, d.text) for d in documents] == [
        ("up.jsonl#intro", "Hello\nthere"),
        ("up.jsonl#3", "no id"),  # the line number: line 2 is blank
        ("up.jsonl#7", "seven"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[1, 2]", 'line 2 must be a JSON object with a "text" field, not an array'),
        ("{not json", "line 2 is not valid JSON"),
        ('{"id": 1}', 'line 2 needs a non-empty string "text"'),
        ('{"text": 5}', 'line 2 needs a non-empty string "text"'),
        ('{"text": "  "}', 'line 2 needs a non-empty string "text"'),
    ],
)
def test_bad_jsonl_line_is_refused(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
    assert expected in refused(path)


def test_blank_jsonl_holds_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    assert "holds no text" in refused(path)


# --- other refusals -----------------------------------------------------------------------------------------------


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK")
    message = refused(path)
    assert all(suffix in message for suffix in SUPPORTED)


def test_empty_text_file_holds_no_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\xef\xbb\xbf \r\n\x00\t")
    assert "holds no text" in refused(path)


def test_missing_file_and_directory_are_refused(tmp_path: Path) -> None:
    assert "not found" in refused(tmp_path / "gone.txt")
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert "directory" in refused(folder)
