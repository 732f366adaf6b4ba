"""Clustering: embed the texts, choose k by silhouette when asked, k-means, then name each cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from playground.context import TaskContext
from playground.errors import InputError, PlaygroundError
from playground.registry import Input, TaskSpec
from playground.taskkit import first_line

MAX_AUTO_K = 8
SAME_TOPIC = 0.5  # cosine similarity above which two lone texts count as one cluster


def choose_k(vectors: np.ndarray) -> tuple[int, dict[int, float]]:
    """The k in 2..8 with the best silhouette score, and every score tried."""
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 3:  # silhouette needs 2 <= k <= n - 1
        return (1 if n == 1 or float(vectors[0] @ vectors[1]) >= SAME_TOPIC else 2), {}
    scores = {}
    for k in range(2, min(MAX_AUTO_K, n - 1) + 1):
        labels = kmeans(vectors, k)
        if len(set(labels)) > 1:
            scores[k] = float(silhouette_score(vectors, labels, metric="cosine"))
    if not scores:
        return 1, {}
    return max(scores, key=lambda k: scores[k]), scores


def kmeans(vectors: np.ndarray, k: int) -> list[int]:
    """Deterministic k-means labels."""
    from sklearn.cluster import KMeans

    if k == 1:
        return [0] * len(vectors)
    return [int(x) for x in KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors)]


def keywords(members: list[str], others: list[str], top: int = 3) -> str:
    """The words that set these texts apart from the rest, by TF-IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        tfidf = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        matrix = tfidf.fit_transform([" ".join(members), " ".join(others) or " "])
    except ValueError:  # only stop words
        return "misc"
    row = matrix[0].toarray()[0]
    terms = tfidf.get_feature_names_out()
    best = [terms[i] for i in np.argsort(-row, kind="stable")[:top] if row[i] > 0]
    return ", ".join(best) or "misc"


def clean_name(text: str) -> str:
    """A short title from the model's answer, or '' when it gave nothing usable."""
    name = re.sub(r"[\"*#:.]+", "", first_line(text)).strip()
    words = name.split()
    if not words or len(words) > 5:
        return ""
    return " ".join(words)


def name_cluster(ctx: TaskContext, members: list[str], others: list[str], taken: set[str]) -> tuple[str, str]:
    """Ask the LLM for a topic name; fall back to keywords, also when another cluster has that name."""
    sample = [m[:200] for m in members[:6]]
    try:
        answer = ctx.llm.generate(
            ctx.render("cluster_name.j2", texts=sample), ctx.with_params(stop=("\n",), max_new_tokens=12)
        )
    except PlaygroundError:
        answer = ""
    name = clean_name(answer)
    if name and name.lower() not in taken:
        return name, "llm"
    return keywords(members, others), "keywords"


def project_2d(vectors: np.ndarray) -> list[list[float]]:
    """Principal-component coordinates for a scatter plot."""
    if len(vectors) < 3:
        return [[float(i), 0.0] for i in range(len(vectors))]
    from sklearn.decomposition import PCA

    points = PCA(n_components=2, random_state=0).fit_transform(vectors)
    return [[round(float(x), 4), round(float(y), 4)] for x, y in points]


def cluster(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    texts: list[str] = inputs["texts"]
    vectors = ctx.embedder.embed(texts)
    requested = inputs["n_clusters"]
    if requested == "auto":
        k, silhouettes = choose_k(vectors)
    else:
        if requested > len(texts):
            raise InputError(f"n_clusters is {requested} but there are only {len(texts)} texts")
        k, silhouettes = requested, {}
    assignments = kmeans(vectors, k)
    # Number clusters by first appearance so the output reads in the order of the input. Identical texts can leave
    # k-means with fewer distinct groups than asked for: k is what it found, never an empty cluster.
    order = list(dict.fromkeys(assignments))
    assignments = [order.index(a) for a in assignments]
    k = len(order)
    clusters: list[dict[str, Any]] = []
    for cid in range(k):
        members = [t for t, a in zip(texts, assignments, strict=True) if a == cid]
        others = [t for t, a in zip(texts, assignments, strict=True) if a != cid]
        name, named_by = name_cluster(ctx, members, others, {c["name"].lower() for c in clusters})
        clusters.append({"id": cid, "name": name, "named_by": named_by, "size": len(members), "members": members})
    yield {
        "clusters": clusters,
        "assignments": assignments,
        "points": project_2d(vectors),
        "k": k,
        "silhouette": {str(key): round(value, 4) for key, value in silhouettes.items()},
    }


SPEC = TaskSpec(
    name="clustering",
    title="Clustering",
    description="Group texts by meaning: sentence embeddings, k-means (k chosen by silhouette on auto), "
    "and a name for each group from the LLM, or its keywords.",
    inputs=(
        Input("texts", "texts", "Texts", max_chars=2_000, min_items=2, max_items=200, help="one text per line"),
        Input("n_clusters", "count", "Number of clusters", default="auto", required=False, max_items=20),
    ),
    templates=("cluster_name.j2",),
    run=cluster,
    embedder="minilm-l6-v2",
    display="clusters",
    default_params={"max_new_tokens": 12},
    order=80,
    group="Analyse",
    examples="clustering.jsonl",
)
