"""Rule-based grammar engines (Harper in process, LanguageTool over HTTP) and the merge of their edits with the LLM's.

Every engine's suggestions become `Edit`s with Python character offsets into the original text, so they can be merged
into one non-overlapping list and applied with `apply_edits`. Merge rules (see `merge_edits`):

- Two edits overlap when they share a character, or when both are insertions at the same point. A zero-width insertion
  at the boundary of another edit does not overlap it.
- Of two overlapping edits the one whose source comes first in `priority` is kept; within one source, the earlier
  start, then the shorter span.
- Identical edits (same start, end and replacement) from several engines collapse into one whose `source` joins the
  engines with "+" in priority order, e.g. "harper+llm"; its message and rule are those of the first engine.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from playground.core.errors import InputError, PlaygroundError, did_you_mean
from playground.text.edits import Edit, apply_edits, diff_edits

RULE_ENGINES = ("languagetool", "harper")
DEFAULT_PRIORITY = ("languagetool", "harper", "llm")
HARPER_DIALECTS = ("american", "british", "australian", "canadian", "indian")


class EngineError(PlaygroundError):
    """A grammar engine answered, but not with something usable (an HTTP error, malformed JSON)."""


class EngineUnavailable(EngineError):
    """A grammar engine cannot be reached or is not configured; the message says how to make it available."""


# --- Harper -----------------------------------------------------------------------------------------------------------

# A harper Linter is not thread-safe (a concurrent call raises RuntimeError) and the UI serves requests from threads,
# so every build and lint goes through this lock; a lint takes milliseconds, so it costs nothing noticeable.
_HARPER_LOCK = threading.Lock()


@functools.cache
def _harper_linter(dialect: str) -> Any:
    # Building a Linter loads the curated dictionary (about a second): one per dialect for the process lifetime.
    import harper  # imported here so the rest of the playground does not pay for the native module

    return harper.Linter(harper.Dialect[dialect.upper()])


def harper_edits(text: str, dialect: str = "american") -> list[Edit]:
    """Harper's suggestions for text as edits (first suggestion of each lint; lints without one are dropped)."""
    dialect = dialect.lower()
    if dialect not in HARPER_DIALECTS:
        raise InputError(
            f"Unknown Harper dialect {dialect!r}; choose one of {', '.join(HARPER_DIALECTS)}."
            + did_you_mean(dialect, HARPER_DIALECTS)
        )
    import harper

    with _HARPER_LOCK:
        linter = _harper_linter(dialect)
        # organized_lints gives the same (deduplicated) lints as lint(), keyed by the rule name we record as `rule`.
        # Plain text, not harper's default Markdown: user text with "*" or "#" is not markup.
        by_rule = linter.organized_lints(text, language=harper.Language.PLAINTEXT)
    edits: list[Edit] = []
    for rule, lints in by_rule.items():
        for lint in lints:
            if not lint.suggestions:
                continue
            suggestion = lint.suggestions[0]
            # harper-py spans are code point indices of the str (checked on non-ASCII text in the tests): no conversion.
            start, end = lint.span.start, lint.span.end
            if suggestion.kind == harper.SuggestionKind.INSERT_AFTER:
                # "However I" -> "However, I": an insertion after the flagged text, not a rewrite of it.
                start = end
            replacement = "" if suggestion.kind == harper.SuggestionKind.REMOVE else suggestion.replacement_text
            edits.append(
                Edit(
                    start=start,
                    end=end,
                    original=text[start:end],
                    replacement=replacement,
                    source="harper",
                    message=lint.message,
                    rule=rule,
                )
            )
    return sorted(edits, key=lambda e: (e["start"], e["end"]))


# --- LanguageTool -----------------------------------------------------------------------------------------------------

_AVAILABLE: dict[str, bool] = {}


def _base_url(url: str) -> str:
    # Accept "http://host:8081", "http://host:8081/" and "http://host:8081/v2": the endpoints are appended below.
    url = url.strip().rstrip("/")
    return url.removesuffix("/v2")


def languagetool_url() -> str | None:
    """The LanguageTool server: LANGUAGETOOL_URL, else a local one when LANGUAGETOOL_LOCAL=1, else None."""
    url = os.environ.get("LANGUAGETOOL_URL", "").strip()
    if url:
        return _base_url(url)
    if os.environ.get("LANGUAGETOOL_LOCAL", "").strip() == "1":
        return _local_server_url()
    return None


@functools.cache
def _local_server_url() -> str | None:
    """Start a local LanguageTool with language-tool-python (Java; the first start downloads LanguageTool)."""
    # Opt-in only: nothing may download by default. The started server lives as long as this process.
    try:
        import language_tool_python

        tool = language_tool_python.LanguageTool("en-US")
    except Exception:  # no Java, no network for the download, or a failed start: the engine is unavailable
        return None
    _LOCAL_SERVERS.append(tool)
    return _base_url(str(tool.url))


_LOCAL_SERVERS: list[Any] = []


def languagetool_available(url: str, timeout: float = 1.5) -> bool:
    """Whether a LanguageTool server answers at url; probed once per URL per process, within `timeout` seconds."""
    url = _base_url(url)
    if url in _AVAILABLE:
        return _AVAILABLE[url]
    answered: list[bool] = []

    def probe() -> None:
        try:
            with urllib.request.urlopen(f"{url}/v2/languages", timeout=timeout) as response:
                answered.append(response.status == 200)
        except (OSError, ValueError):  # refused, timed out, HTTP error, or not a URL at all
            answered.append(False)

    # urlopen's timeout bounds each socket operation but not name resolution or a server that trickles bytes,
    # so the probe runs in a daemon thread and we stop waiting at the deadline whatever it is doing.
    thread = threading.Thread(target=probe, name="languagetool-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    _AVAILABLE[url] = bool(answered) and answered[0]
    return _AVAILABLE[url]


def _utf16_to_char(text: str) -> Callable[[int], int]:
    # LanguageTool is Java: offsets count UTF-16 code units, so each astral character (emoji) counts twice.
    if all(ord(ch) <= 0xFFFF for ch in text):
        table = None
    else:
        table = []
        for i, ch in enumerate(text):
            table.append(i)
            if ord(ch) > 0xFFFF:
                table.append(i)  # an offset between the two halves of a surrogate pair falls back to the character
        table.append(len(text))
    limit = len(table) - 1 if table is not None else len(text)

    def convert(offset: int) -> int:
        if not 0 <= offset <= limit:
            raise EngineError(f"LanguageTool returned offset {offset} outside a text of {limit} UTF-16 code units.")
        return table[offset] if table is not None else offset

    return convert


def edits_from_languagetool(text: str, payload: dict[str, Any]) -> list[Edit]:
    """Convert a LanguageTool /v2/check JSON response for text into edits (first replacement of each match)."""
    to_char = _utf16_to_char(text)
    edits: list[Edit] = []
    for match in payload.get("matches", []):
        replacements = match.get("replacements") or []
        if not replacements:  # a remark without a fix (e.g. a style hint) cannot be applied
            continue
        start = to_char(match["offset"])
        end = to_char(match["offset"] + match["length"])
        edits.append(
            Edit(
                start=start,
                end=end,
                original=text[start:end],
                replacement=replacements[0]["value"],
                source="languagetool",
                message=match.get("message") or match.get("shortMessage", ""),
                rule=match.get("rule", {}).get("id", ""),
            )
        )
    return sorted(edits, key=lambda e: (e["start"], e["end"]))


def languagetool_edits(text: str, language: str = "en-US", url: str | None = None, timeout: float = 20.0) -> list[Edit]:
    """LanguageTool's suggestions for text, from the server at url (default: LANGUAGETOOL_URL)."""
    url = _base_url(url) if url else languagetool_url()
    if url is None:
        raise EngineUnavailable(
            "LanguageTool is not configured: set LANGUAGETOOL_URL to a server, e.g. http://localhost:8081."
        )
    data = urllib.parse.urlencode({"text": text, "language": language}).encode()
    request = urllib.request.Request(f"{url}/v2/check", data=data, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # reached, but refused the request (e.g. an unknown language code)
        detail = exc.read().decode("utf-8", "replace").strip()[:200]
        raise EngineError(f"LanguageTool at {url} answered HTTP {exc.code}: {detail or exc.reason}") from exc
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EngineUnavailable(f"LanguageTool at {url} cannot be reached ({reason}); is the server running?") from exc
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise EngineError(f"LanguageTool at {url} did not answer with JSON; is it a LanguageTool server?") from exc
    return edits_from_languagetool(text, payload)


# --- Merge ------------------------------------------------------------------------------------------------------------


def _overlap(a: Edit, b: Edit) -> bool:
    if a["start"] == a["end"] == b["start"] == b["end"]:
        return True  # two insertions at one point: applying both would depend on an arbitrary order
    return a["start"] < b["end"] and b["start"] < a["end"]


def merge_edits(edit_lists: list[list[Edit]], priority: Sequence[str]) -> list[Edit]:
    """Merge several engines' edits into one non-overlapping list sorted by start (rules in the module docstring)."""

    def rank(source: str) -> int:
        # Sources missing from priority come after every listed one.
        return min(priority.index(s) if s in priority else len(priority) for s in source.split("+"))

    # Collapse identical edits first, so agreement between engines is recorded rather than resolved as a conflict.
    merged: dict[tuple[int, int, str], Edit] = {}
    for edits in edit_lists:
        for edit in edits:
            key = (edit["start"], edit["end"], edit["replacement"])
            if key not in merged:
                merged[key] = Edit(**edit)  # a copy: callers keep their lists untouched
                continue
            kept = merged[key]
            sources = set(kept["source"].split("+")) | set(edit["source"].split("+"))
            if rank(edit["source"]) < rank(kept["source"]):  # the best-ranked engine explains the edit
                for field in ("message", "rule"):
                    if field in edit:
                        kept[field] = edit[field]
            kept["source"] = "+".join(sorted(sources, key=lambda s: (rank(s), s)))

    # Greedy in rank order: an edit is kept unless it overlaps one already kept, which outranks it by construction.
    # The full key (end, replacement) makes the outcome independent of the input order.
    candidates = sorted(
        merged.values(),
        key=lambda e: (rank(e["source"]), e["start"], e["end"] - e["start"], e["end"], e["replacement"]),
    )
    kept_edits: list[Edit] = []
    for edit in candidates:
        if not any(_overlap(edit, other) for other in kept_edits):
            kept_edits.append(edit)
    return sorted(kept_edits, key=lambda e: (e["start"], e["end"]))


# --- Glue -------------------------------------------------------------------------------------------------------------


def edit_words(edit: Edit) -> int:
    """How many words an edit touches: the longer of what it removes and what it puts in."""
    return max(len(edit["original"].split()), len(edit["replacement"].split()))


def correct(
    text: str,
    engines: Sequence[str] = ("harper",),
    llm_corrected: str | None = None,
    priority: Sequence[str] = DEFAULT_PRIORITY,
    language: str = "en-US",
    dialect: str = "american",
    llm_edit_words: int = 0,
) -> dict[str, Any]:
    """Run the chosen rule engines (plus the LLM's rewrite, if given), merge their edits and apply them.

    `language` is LanguageTool's language code; `dialect` is Harper's English dialect. With `llm_edit_words` above 0
    the LLM's edits touching more words than that are left out (listed under `left_out`); 0 keeps them all.
    """
    unknown = [name for name in engines if name not in RULE_ENGINES]
    if unknown:
        raise InputError(
            f"Unknown grammar engine {unknown[0]!r}; choose from {', '.join(RULE_ENGINES)}."
            + did_you_mean(unknown[0], RULE_ENGINES)
        )
    status: dict[str, str] = {}
    edit_lists: list[list[Edit]] = []
    for name in dict.fromkeys(engines):  # each engine once, in the order asked
        try:
            if name == "languagetool":
                url = languagetool_url()
                if url is None:
                    status[name] = "unavailable: set LANGUAGETOOL_URL (or LANGUAGETOOL_LOCAL=1 to start one)"
                    continue
                if not languagetool_available(url):
                    status[name] = f"unavailable: no LanguageTool server answers at {url}"
                    continue
                edit_lists.append(languagetool_edits(text, language=language, url=url))
            else:
                edit_lists.append(harper_edits(text, dialect=dialect))
            status[name] = "ran"
        except EngineUnavailable as exc:  # e.g. the server went away after the probe
            status[name] = f"unavailable: {exc}"
        except Exception as exc:  # one engine's failure must not cost the user the others' corrections
            status[name] = f"failed: {exc}"
    left_out: list[Edit] = []
    if llm_corrected is not None:
        llm_edits = diff_edits(text, llm_corrected, "llm")
        if llm_edit_words > 0:
            left_out = [e for e in llm_edits if edit_words(e) > llm_edit_words]
            llm_edits = [e for e in llm_edits if edit_words(e) <= llm_edit_words]
        edit_lists.append(llm_edits)
        status["llm"] = "ran"
    edits = merge_edits(edit_lists, priority)
    result = {"corrected": apply_edits(text, edits), "edits": edits, "engines": status}
    return result | ({"left_out": left_out} if left_out else {})
