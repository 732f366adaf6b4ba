"""Clustering: embed the texts, choose k by silhouette when asked, k-means, then name each cluster.

Up to 10,000 texts: they are embedded in batches (a partial result reports progress), k is chosen on a sample of
at most 2,000 (silhouette is quadratic in the texts), k-means runs on mini-batches past 5,000 texts, and each
cluster is named from the members nearest its centroid.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import numpy as np

from playground.core.errors import InputError, PlaygroundError
from playground.metrics import load as load_metric
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import Baseline, EvalSpec, EvalTools, PublicSet, row_text
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import first_line

MAX_AUTO_K = 8
MAX_TEXTS = 10_000
SAME_TOPIC = 0.5  # cosine similarity above which two lone texts count as one cluster
SAMPLE = 2_000  # k is chosen on at most this many texts
EMBED_BATCH = 1_000  # texts embedded between two progress reports
MINIBATCH_FROM = 5_000  # texts from which mini-batch k-means replaces full k-means
TEXTS_HELP = "one text per line, or a .txt file (one per line) or .csv file (its text column)"
REPRESENTATIVES = 6  # members nearest the centroid, shown to the LLM for a name


def sample_rows(n: int, size: int = SAMPLE) -> np.ndarray:
    """Sorted row numbers of a seeded random sample of at most `size` of n rows (all of them when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size, replace=False))


def choose_k(vectors: np.ndarray) -> tuple[int, dict[int, float]]:
    """The k in 2..8 with the best silhouette score on a sample of the vectors, and every score tried."""
    from sklearn.metrics import silhouette_score

    vectors = vectors[sample_rows(len(vectors))]
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
    """Deterministic k-means labels; mini-batch k-means for many vectors."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if k == 1:
        return [0] * len(vectors)
    if len(vectors) >= MINIBATCH_FROM:
        model: KMeans | MiniBatchKMeans = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=2048, random_state=0)
    else:
        model = KMeans(n_clusters=k, n_init=10, random_state=0)
    return [int(x) for x in model.fit_predict(vectors)]


def representatives(vectors: np.ndarray, count: int = REPRESENTATIVES) -> list[int]:
    """Rows of the vectors nearest their centroid (by cosine), nearest first."""
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    return [int(i) for i in np.argsort(-(vectors @ centroid), kind="stable")[:count]]


def embed_in_batches(ctx: TaskContext, texts: list[str]) -> Generator[dict[str, Any], None, np.ndarray]:
    """Embed the texts, reporting progress after each batch when there is more than one; return the vectors."""
    batches = []
    for start in range(0, len(texts), EMBED_BATCH):
        batches.append(ctx.embedder.embed(texts[start : start + EMBED_BATCH]))
        done = min(start + EMBED_BATCH, len(texts))
        if len(texts) > EMBED_BATCH:
            yield {"progress": f"embedded {done:,} of {len(texts):,} texts"}
    return np.concatenate(batches)


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


def name_cluster(
    ctx: TaskContext, central: list[str], members: list[str], others: list[str], taken: set[str]
) -> tuple[str, str]:
    """Ask the LLM for a topic name from the central members; fall back to keywords, also when another cluster has
    that name."""
    sample = [m[:200] for m in central]
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
    vectors = yield from embed_in_batches(ctx, texts)
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
    labels = np.array(assignments)
    for cid in range(k):
        rows = np.flatnonzero(labels == cid)
        members = [texts[i] for i in rows]
        others = [texts[i] for i in np.flatnonzero(labels != cid)]
        central = [members[i] for i in representatives(vectors[rows])]
        name, named_by = name_cluster(ctx, central, members, others, {c["name"].lower() for c in clusters})
        clusters.append({"id": cid, "name": name, "named_by": named_by, "size": len(members),
                         "representatives": central, "members": members})  # fmt: skip
    yield {
        "clusters": clusters,
        "assignments": assignments,
        "points": project_2d(vectors),
        "k": k,
        "silhouette": {str(key): round(value, 4) for key, value in silhouettes.items()},
    }


def cluster_scores(
    preds: Sequence[Any], refs: Sequence[Any], rows: Sequence[dict[str, Any]], tools: EvalTools
) -> dict[str, float]:
    """The clusters against the labels (adjusted Rand index), their silhouette on the run's embedder, and k."""
    scores = dict(load_metric("clustering").compute(predictions=list(preds), references=list(refs)) or {})
    if len(set(preds)) > 1:
        vectors = tools.embed([row_text(row, "text") for row in rows])
        scores.update(load_metric("silhouette").compute(embeddings=vectors, labels=list(preds)) or {})
    return {**scores, "k": len(set(preds))}


# Scored on the whole set at once: one run over every text, with as many clusters as the set has labels.
EVALUATION = EvalSpec(
    set_inputs=lambda rows, config: {
        "texts": [row_text(row, "text") for row in rows],
        "n_clusters": len({str(row["label"]) for row in rows}),
    },
    inputs=lambda row, rows: {"text": row_text(row, "text")},
    reference=lambda row: str(row["label"]),
    prediction=lambda output: output["assignments"],
    score=cluster_scores,
    baseline=Baseline("one cluster", lambda rows, other: [0] * len(rows)),
    public_sets=(PublicSet("agnews-400.jsonl", ("adjusted_rand",)),),
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="clustering",
    title="Clustering",
    description="Group texts by meaning: sentence embeddings, k-means (k chosen by silhouette on auto), "
    "and a name for each group from the LLM, or its keywords.",
    inputs=(
        Input("texts", "texts", "Texts", max_chars=2_000, min_items=2, max_items=MAX_TEXTS, help=TEXTS_HELP),
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
