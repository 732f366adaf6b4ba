"""A topic library for zero-shot classification: topics with example texts written for this project, lent to the
labels that name them.

The embedder alone knows a label by its name ("This text is about Sci/Tech."), and a story about a chip maker's new
processor sits about as close to "Business" as to "Sci/Tech". When each of the user's labels names one or more of the
library's topics, the text is compared with those topics' examples instead: a label scores the mean cosine of the
text's few nearest examples among its topics. A topic goes to the label whose name is closest to the topic's (by the
embedder's cosine between the two names), if that cosine is high and near the label's best match. When some label
matches no topic the library abstains, so label sets it does not cover (sentiment, spam) are left to the other voters.
The thresholds were chosen with the embedded embedder (MiniLM); the classification task uses the library only there.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from playground.components.exemplars import exemplars, kept
from playground.engines.base import Backend

LIBRARY = "topics"  # assets/exemplars/topics.jsonl: text, label (the topic)
# Chosen on the AG News dev half (see docs/techniques.md): a label takes a topic whose name's cosine to
# the label's is at least MATCH_MIN and within MATCH_MARGIN of the label's best topic, and scores the mean cosine of
# the text's NEIGHBOURS nearest examples among its topics.
MATCH_MIN = 0.5
MATCH_MARGIN = 0.15
NEIGHBOURS = 3

NAMES = None  # the key of the topics' names among each embedder's vectors (a topic's own key is its name)


@functools.cache
def library() -> Mapping[str, tuple[str, ...]]:
    """Each topic of the library and its example texts (read-only)."""
    topics: dict[str, list[str]] = {}
    for row in exemplars(LIBRARY):
        topics.setdefault(row["label"], []).append(row["text"])
    return MappingProxyType({topic: tuple(texts) for topic, texts in topics.items()})


def matched_topics(embedder: Backend, labels: Sequence[str]) -> dict[str, list[str]] | None:
    """The library's topics that each label names, or None when some label names none."""
    topics = sorted(library())
    cosines = np.asarray(embedder.embed(list(labels))) @ embedded(embedder, NAMES, topics).T  # label x topic
    best = cosines.max(axis=1)
    matches: dict[str, list[str]] = {label: [] for label in labels}
    for column, topic in enumerate(topics):
        row = int(np.argmax(cosines[:, column]))
        if cosines[row, column] >= max(MATCH_MIN, best[row] - MATCH_MARGIN):
            matches[labels[row]].append(topic)
    return matches if all(matches.values()) else None


def embedded(embedder: Backend, key: str | None, texts: Sequence[str]) -> np.ndarray:
    """The vectors of texts, embedded once per loaded embedder under key (a topic's examples: about a second)."""
    owner = getattr(embedder, "inner", embedder)  # a metered wrapper: key on the shared model it wraps
    return kept(owner, ("topic vectors", key), lambda: np.asarray(embedder.embed(list(texts))))


def topic_scores(embedder: Backend, text: str, matches: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Each label's score: the mean cosine of text to its NEIGHBOURS nearest examples among the label's topics."""
    vector = np.asarray(embedder.embed([text]))[0]
    scores = {}
    for label, topics in matches.items():
        cosines = np.sort(np.concatenate([embedded(embedder, t, library()[t]) for t in topics]) @ vector)
        scores[label] = float(cosines[-NEIGHBOURS:].mean())
    return scores
