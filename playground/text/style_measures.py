"""Measures of register that need no model: how formal, how simple, how concise a rewrite is against its input.

Each returns a number from 0 to 1 where higher means more of the style, so style transfer can rank its candidates
by them and the eval can count the rewrites that moved in the asked direction.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_VOWELS = re.compile(r"[aeiouy]+")
# Contractions; of the 's forms only those of pronouns and "let's" (a possessive, "the manager's", is formal).
_CONTRACTION = re.compile(
    r"\b\w+['’](?:t|re|m|ll|ve|d)\b|\b(?:it|that|he|she|what|there|here|who|let)['’]s\b", re.IGNORECASE
)
# Words and spellings that mark casual writing (chat, texting, speech).
CASUAL = frozenset(
    {
        "hey",
        "hi",
        "yeah",
        "yep",
        "nope",
        "ok",
        "okay",
        "gonna",
        "wanna",
        "gotta",
        "kinda",
        "sorta",
        "u",
        "ur",
        "thx",
        "pls",
        "plz",
        "asap",
        "lol",
        "btw",
        "cause",
        "cuz",
        "stuff",
        "guys",
        "awesome",
        "cool",
        "totally",
        "super",
        "dunno",
        "ya",
    }
)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate, right for most English words."""
    word = word.lower()
    count = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def reading_ease(text: str) -> float:
    """Flesch reading ease (higher is easier): 206.835 - 1.015 words per sentence - 84.6 syllables per word."""
    found = words(text)
    if not found:
        return 0.0
    sentences = max(len(re.findall(r"[.!?]+(?:\s|$)", text)), 1)
    per_word = sum(syllables(w) for w in found) / len(found)
    return 206.835 - 1.015 * len(found) / sentences - 84.6 * per_word


def casual_markers(text: str) -> int:
    """Contractions, casual words, exclamation marks, a lower-case start and a missing final stop."""
    stripped = text.strip()
    count = len(_CONTRACTION.findall(text)) + sum(w.lower() in CASUAL for w in words(text)) + text.count("!")
    if stripped[:1].islower():
        count += 1
    if stripped and stripped[-1] not in ".?!\"'”)":
        count += 1
    return count


def formality(text: str) -> float:
    """1 for text with no casual marker, falling towards 0 as markers crowd its words."""
    return 1.0 / (1.0 + 5.0 * casual_markers(text) / max(len(words(text)), 1))


def style_score(style: str, text: str, source: str) -> float | None:
    """How strongly text carries style, relative to source where the style is relative; None if not measured here.

    formal / informal: `formality` (and its complement); simple: reading ease mapped to 0..1; concise: the share
    of the source's words dropped (0 when the rewrite is longer).
    """
    if style == "formal":
        return formality(text)
    if style == "informal":
        return 1.0 - formality(text)
    if style == "simple":
        return min(max(reading_ease(text), 0.0), 100.0) / 100.0
    if style == "concise":
        return max(0.0, 1.0 - len(words(text)) / max(len(words(source)), 1))
    return None


def moved(style: str, text: str, source: str) -> bool | None:
    """Whether the rewrite is further in the style than its source (strictly); None for a style not measured."""
    after, before = style_score(style, text, source), style_score(style, source, source)
    if after is None or before is None:
        return None
    return bool(words(text)) and after > before + 1e-9  # an empty rewrite moved nowhere
