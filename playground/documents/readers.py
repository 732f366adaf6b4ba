"""Files as documents: plain text, Markdown, HTML, PDF, DOCX and JSONL, each read to cleaned text or refused with a
one-line InputError that names the file and says what to do.
"""

from __future__ import annotations

import bisect
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from playground.core.errors import InputError, PlaygroundError
from playground.text.textio import clean_text, decode, json_line, jsonl_rows, read_file_bytes


@dataclass(frozen=True)
class Document:
    """One readable text; `name` is what citations show, offsets into `text` are what chunks and citations use."""

    name: str
    text: str
    pages: tuple[int, ...] = ()  # PDF only: the offset in `text` where each page starts, pages[0] == 0


SUPPORTED: tuple[str, ...] = (".txt", ".md", ".markdown", ".text", ".html", ".htm", ".pdf", ".docx", ".jsonl")


def read_documents(path: Path, name: str | None = None) -> list[Document]:
    """The documents in `path` (one, or one per row of a JSONL file), or InputError naming the file.

    `name` (an upload's original name) replaces the file's own name, and its suffix picks the reader.
    """
    path = Path(path)
    name = name or path.name
    suffix = Path(name).suffix.lower() if Path(name).suffix else path.suffix.lower()
    if suffix not in SUPPORTED:
        kind = suffix or "a file without a suffix"
        raise InputError(f"{name}: cannot read {kind}; use one of {', '.join(SUPPORTED)}")
    data = read_file_bytes(path, name)
    if suffix == ".jsonl":
        return _jsonl(decode(data), name)
    pages: tuple[int, ...] = ()
    if suffix == ".pdf":
        text, pages = _pdf(data, name)
    elif suffix == ".docx":
        text = _docx(data, name)
    elif suffix in (".html", ".htm"):
        text = html_text(decode(data))
    else:
        text = clean_text(decode(data))
    if not text.strip():
        raise InputError(f"{name} holds no text; upload a file with some text in it")
    return [Document(name, text, pages)]


def page_of(document: Document, offset: int) -> int | None:
    """The 1-based page holding character `offset` of the document's text, or None when it has no pages."""
    if not document.pages:
        return None
    return max(1, bisect.bisect_right(document.pages, offset))


def _jsonl(text: str, name: str) -> list[Document]:
    # jsonl_rows skips blank lines; pair every row it gives with the number of the line it came from.
    numbers = [n for n, line in enumerate(re.split("\r\n|\r|\n", text), 1) if line.strip()]
    documents = []
    for number, row in zip(numbers, jsonl_rows(text), strict=True):
        if isinstance(row, PlaygroundError):
            message = str(row).replace("of the task's inputs", 'with a "text" field')  # worded for batch rows
            raise InputError(f"{name}: {message}") from None
        body = row.get("text")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f'{name}: line {number} needs a non-empty string "text" field')
        key = row["id"]
        documents.append(Document(f"{name}#{key if isinstance(key, str) else json_line(key)}", body))
    if not documents:
        raise InputError(f'{name} holds no text; write one JSON object with a "text" field per line')
    return documents


def _pdf(data: bytes, name: str) -> tuple[str, tuple[int, ...]]:
    import pypdf
    from pypdf.errors import DependencyError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise InputError(f"{name} is password-protected; save an unprotected copy and upload that")
        texts = [clean_text(page.extract_text() or "").strip() for page in reader.pages]
    except InputError:
        raise
    except DependencyError:
        raise InputError(f"{name} is encrypted in a way that needs the `cryptography` package to open") from None
    except Exception as exc:  # a damaged file can make pypdf raise almost anything
        raise InputError(f"{name} is not a readable PDF ({type(exc).__name__}); export it again") from None
    if not any(texts):
        raise InputError(f"{name} has no text layer (a scan?); run OCR first")
    starts, offset = [], 0
    for page in texts:
        starts.append(offset)
        offset += len(page) + 2
    return "\n\n".join(texts), tuple(starts)


def _docx(data: bytes, name: str) -> str:
    import docx
    from docx.table import Table

    try:
        lines: list[str] = []
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    seen: set[int] = set()
                    for cell in row.cells:  # a merged cell shows up once per grid column it spans
                        if id(cell._tc) not in seen:
                            seen.add(id(cell._tc))
                            lines.append(cell.text)
            else:
                lines.append(block.text)
    except Exception as exc:  # not a zip, not a Word package, or a broken one
        raise InputError(f"{name} is not a valid .docx file ({type(exc).__name__}); save it again as .docx") from None
    return clean_text("\n".join(lines))


_SKIPPED = frozenset({"script", "style", "head", "template", "noscript", "title"})
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "hr", "form"}
    | {"section", "article", "header", "footer", "main", "nav", "aside", "figure", "address", "details", "fieldset"}
)
_LINES = frozenset({"div", "li", "tr", "dt", "dd", "caption", "figcaption", "summary", "option"})


class _TextParser(HTMLParser):
    """Collects the visible text of a page: a line break around line-like blocks, a blank line around paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []
        self.pre = 0
        self.breaks = 0  # line breaks owed before the next visible text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a page that never closes <head> still shows its body
            self.hidden = [t for t in self.hidden if t != "head"]
        elif tag in _SKIPPED:
            self.hidden.append(tag)
        self._block(tag)
        self.pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hidden:
            del self.hidden[len(self.hidden) - 1 - self.hidden[::-1].index(tag) :]
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag != "br":  # </br> is a typo for <br>, and one break is enough
            self._block(tag)
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if data.strip():
            self.parts.append("\n" * self.breaks if self.parts else "")
            self.breaks = 0
        self.parts.append(data)

    def _block(self, tag: str) -> None:
        if tag == "br":  # each <br> counts: two make a blank line
            self.breaks = min(2, self.breaks + 1)
        elif tag in _PARAGRAPHS:
            self.breaks = 2
        elif tag in _LINES:
            self.breaks = max(1, self.breaks)


def html_text(markup: str) -> str:
    """The visible text of an HTML page: no scripts, styles or head; blocks on their own lines; entities decoded."""
    parser = _TextParser()
    parser.feed(clean_text(markup))
    parser.close()
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return clean_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines))).strip()  # a &#x80; decodes to a control
