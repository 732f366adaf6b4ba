"""A minimal PDF writer for tests: one page per string, each line drawn in Helvetica so the file has a text layer.

The file is built from raw PDF syntax (a catalog, a page tree, a Type1 font, one content stream per page) with an
xref table of true byte offsets, so any conforming reader, pypdf included, opens it without repairing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def _pdf_string(line: str) -> bytes:
    """A literal string in WinAnsi bytes: parentheses and backslashes escaped, other non-ASCII bytes as octal."""
    out = bytearray(b"(")
    for byte in line.encode("cp1252", errors="replace"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _content(text: str) -> bytes:
    """Draw each line of `text` 14 points below the last one, starting at the top left of a Letter page."""
    ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
    for line in text.split("\n"):
        ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def pdf_bytes(pages: Sequence[str]) -> bytes:
    """A valid PDF with one page per string (an empty string makes a page with no text)."""
    count = len(pages)
    # Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream for each page.
    page_ids = [4 + 2 * i for i in range(count)]
    bodies: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, text in zip(page_ids, pages, strict=True):
        stream = _content(text) if text else b""
        bodies.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        bodies.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the binary comment marks the file as binary to transfers
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(bodies) + 1)
    out += b"0000000000 65535 f \n"  # each entry is exactly 20 bytes, its end-of-line included
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref_at)
    return bytes(out)


def write_pdf(path: Path, pages: Sequence[str]) -> Path:
    """Write `pdf_bytes(pages)` to `path` and return the path."""
    path.write_bytes(pdf_bytes(pages))
    return path
