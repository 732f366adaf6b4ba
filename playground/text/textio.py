"""Where text enters and leaves: cleaning, `key=value` parsing, reading uploads and JSONL, writing JSON lines.

The CLI, the app and evaluation share these, so every entry point treats a BOM, a Latin-1 file, a lone surrogate
or a control character the same way: cleaned, or refused with a one-line error for that row.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from playground.core.errors import InputError, PlaygroundError, RowError

# C0 controls but tab, newline and carriage return; DEL and the C1 controls. NUL is among them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|\r|\n")

Row = dict[str, Any]


def clean_text(text: str) -> str:
    """Text a model and a UTF-8 file can take: lone surrogates become U+FFFD, control characters go, CRLF -> LF."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\ufeff", "")  # a byte-order mark inside text is noise


def clean_value(value: Any) -> Any:
    """clean_text applied to every string inside lists and dicts (keys too)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    if isinstance(value, Mapping):
        return {clean_text(str(k)): clean_value(v) for k, v in value.items()}
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    return value


def json_line(obj: Any) -> str:
    """One JSON line that any UTF-8 file can hold: no raw newline, lone surrogates escaped, NaN written as null."""
    try:
        text = json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        obj = _finite(obj)
        text = json.dumps(obj, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True, default=str)
    return text


def parse_param(text: str) -> tuple[str, Any]:
    """'k=v' -> (k, v), v read as JSON when it parses as JSON, else as the plain string."""
    if not isinstance(text, str):
        raise InputError(f"--param takes key=value, got {type(text).__name__}")
    key, sep, raw = text.partition("=")
    key = clean_text(key).strip()
    if not sep or not key:
        raise InputError(f"--param takes key=value, got {clean_text(text)!r}")
    try:
        return key, clean_value(json.loads(raw))
    except (ValueError, RecursionError):  # not JSON, a number past Python's digit limit, or nested too deeply
        return key, clean_text(raw)


def decode(data: bytes) -> str:
    """Bytes of a user's file as text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 is a superset of Latin-1's printable range and what most non-UTF-8 files are; the few bytes
        # it does not map become U+FFFD instead of failing the whole file.
        return data.decode("cp1252", errors="replace")


def read_file_bytes(path: Path | str, name: str | None = None) -> bytes:
    """A user's file as bytes, or InputError naming it (by `name`, e.g. an upload's original name, or its own)."""
    path = Path(path)
    name = name or path.name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found: {name}") from None
    except IsADirectoryError:
        raise InputError(f"{name} is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


def read_text_file(path: Path | str) -> str:
    """A user's text file, decoded as `decode` does, or InputError naming the file."""
    return decode(read_file_bytes(path))


def jsonl_rows(text: str) -> Iterator[Row | PlaygroundError]:
    """Each non-blank line's object with an `id` (its line number when it has none), or an error for that line."""
    # JSON's line breaks only: str.splitlines() would also split at U+2028 or U+0085 inside a string.
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_constant=_refuse_constant)
            if isinstance(item, dict):
                item = clean_value(item)
        except _NotJson as exc:
            yield RowError(f"line {number} holds {exc}, which JSON does not allow", number)
            continue
        except json.JSONDecodeError as exc:
            yield RowError(f"line {number} is not valid JSON: {exc.msg}", number)
            continue
        except (ValueError, RecursionError):  # a number past Python's digit limit, or nesting past its stack
            yield RowError(f"line {number} holds a value too large or too deeply nested to read", number)
            continue
        if not isinstance(item, dict):
            yield RowError(f"line {number} must be a JSON object of the task's inputs, not {_json_kind(item)}", number)
            continue
        item.setdefault("id", number)
        yield item


class _NotJson(ValueError):
    """A constant Python's json accepts but JSON does not (NaN, Infinity): results must stay valid JSON."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def csv_rows(text: str) -> Iterator[Row | PlaygroundError]:
    """Each data row of a CSV with a header, as a dict with an `id` (its row number when it has no id column)."""
    try:
        reader = csv.reader(io.StringIO(text))
        header = [clean_text(h).strip() for h in next(reader, [])]
    except csv.Error as exc:
        yield InputError(f"the CSV header cannot be read: {exc}")
        return
    if not any(header):
        return
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(f"row {number} of the CSV cannot be read: {exc}", number)
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            yield RowError(f"row {number} has {len(values)} fields but the header has {len(header)}", number)
            continue
        row: Row = {name: clean_text(value) for name, value in zip(header, values, strict=False) if name}
        if not row.get("id"):
            row["id"] = number
        yield row


def read_rows(path: Path | str) -> list[Row | PlaygroundError]:
    """Rows of a .jsonl/.json or .csv file (by extension), each with an `id`, or InputError for the whole file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv"):
        raise InputError(f"{path.name}: use a .csv file with a header row or a .jsonl file with one object per line")
    text = read_text_file(path)
    return list(csv_rows(text) if suffix == ".csv" else jsonl_rows(text))


def texts_from_file(path: Path | str | None) -> list[str]:
    """Lines of a .txt file, or the `text` column (else the first column) of a .csv, cleaned; blanks dropped."""
    if not path:
        return []
    content = read_text_file(path)
    if not str(path).lower().endswith(".csv"):
        return [t for t in (clean_text(line).strip() for line in content.splitlines()) if t]
    try:
        rows = list(csv.reader(io.StringIO(content)))
    except csv.Error as exc:
        raise InputError(f"{Path(path).name} is not a readable CSV file: {exc}") from None
    if not rows:
        return []
    header = [clean_text(h).strip().lower() for h in rows[0]]
    column = header.index("text") if "text" in header else 0
    body = rows[1:] if "text" in header else rows
    return [t for t in (clean_text(row[column]).strip() for row in body if len(row) > column) if t]


def normalise_id(value: Any) -> str:
    """A key under which ids from the input and from a results file compare equal (1 and "1" do not)."""
    return json_line(value)


def singular_words(text: str) -> list[str]:
    """The words of text, lower-cased, with a plural -s dropped ("heat pumps" -> heat, pump; "glass" stays)."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in text.lower().split()]


def same_words(a: str, b: str) -> bool:
    """True when b has a's words in a's order (case and punctuation aside): a copy, not a rewrite."""
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())
