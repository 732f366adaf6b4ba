"""Translation with the multilingual base model: sentence by sentence, each with a few-shot prompt.

With `candidates` above 1, each sentence's greedy translation is joined by sampled ones, and they are reranked as a
noisy channel would: by how likely the model finds the candidate after the source (forward) plus, weighted more, how
likely it finds the source after the candidate when asked to translate back (channel). A candidate that copies the
source (unless it is only names and numbers), or runs on to more than twice its length (a model stuck in a loop),
is left out. A server's model keeps its greedy translation: reranking needs whole-continuation scores, which a server
may give one token per request or not at all, and its weight was chosen for the embedded model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from playground.engines.base import Backend
from playground.engines.params import GenerationParams
from playground.metrics import scores
from playground.runtime.checks import Check
from playground.runtime.context import TaskContext
from playground.runtime.evalspec import EvalSpec, PublicSet, Technique, copied, references, row_text
from playground.runtime.inputs import quality_input
from playground.runtime.registry import Input, TaskSpec
from playground.runtime.runners import first_line, sampled_lines
from playground.text.sentences import sentence_spans, split_sentences

LANGUAGES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
ALIASES = {name.lower(): code for code, name in LANGUAGES.items()}
# Worked examples in the prompt (the last ones of prompts/translation.shots.jsonl, nearest the text): 5 beat the
# 2 used before by 3.4 to 5.7 chrF on the FLORES dev halves (first 50 sentences) of fr, de and es.
EXAMPLES = 5
# Reranked candidates, chosen on the FLORES dev halves (first 30 to 40 sentences of fr, es and de): 5 candidates and
# a channel weight of 4 beat the greedy translation by 2.5 chrF (fr) and 2.6 (es).
CANDIDATES = 5
SAMPLE_TEMPERATURE = 0.5  # the extra candidates are sampled, each with its own seed
CHANNEL_WEIGHT = 4.0
MAX_LENGTH_RATIO = 2.0  # a candidate longer than this many times the source (plus a margin) is a loop
LENGTH_MARGIN = 10  # characters: "Thanks!" may rightly become "Merci beaucoup !"
MIN_CONFIDENCE = 0.5  # below this the detector is guessing (e.g. a single word); English is assumed
UNTRANSLATED = 0.5  # a translated sentence the detector gives to the source language above this is flagged


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> tuple[str, float]:
    """Return the most likely supported language of text and the detector's confidence."""
    code, confidence = _identifier().classify(text)
    return str(code), float(confidence)


def still_source(output: str, sentence: str, source: str, target: str) -> bool:
    """Whether a translation of sentence is still in the source language, or a copy of the sentence.

    A sentence of only names and numbers ("Paris.", "Berlin, 2024.") may stay as it is. Otherwise the detector's
    probability of the source language must be over half and above the target's (short texts it cannot tell stay).
    """
    if not output.strip() or may_stay(sentence):
        return False
    return " ".join(output.split()) == " ".join(sentence.split()) or in_source_language(output, source, target)


def in_source_language(text: str, source: str, target: str) -> bool:
    """Whether the detector gives text to the source language: over half, and above the target."""
    probabilities = dict(_identifier().rank(text))
    return bool(probabilities[source] > max(UNTRANSLATED, probabilities[target]))


def translate(ctx: TaskContext, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Translate line by line and sentence by sentence, streaming the text as it grows."""
    target = inputs["target_lang"]
    source = inputs["source_lang"]
    result: dict[str, Any] = {"source_lang": source, "target_lang": target}
    if source == "auto":
        source, confidence = detect_language(inputs["text"])
        if confidence < MIN_CONFIDENCE:
            source = "en"
        result.update(source_lang=source, detected={"language": source, "confidence": round(confidence, 3)})
    if source == target:
        yield {"text": inputs["text"], **result}
        return
    params = ctx.with_params(stop=("\n",))
    ranking: list[dict[str, Any]] = []
    pieces = translated(
        ctx, ctx.llm, params, inputs["text"], source, target, inputs["examples"], inputs["candidates"], ranking
    )
    for text in pieces:
        yield {"text": text, **result}
    if ranking:
        yield {"text": text, **result, "candidates": ranking}


def translated(
    ctx: TaskContext,
    llm: Backend,
    params: GenerationParams,
    text: str,
    source: str,
    target: str,
    examples: int = EXAMPLES,
    candidates: int = 1,
    ranking: list[dict[str, Any]] | None = None,
) -> Iterator[str]:
    """The translation of text by llm as it grows, line by line and sentence by sentence; the last is complete.

    params must stop at a newline: a few-shot completion goes on to invent the next example. With candidates above
    1 each sentence is reranked (see the module's docstring), and its ranked candidates are appended to ranking.
    """

    def prompt_for(sentence: str, source: str, target: str, shots: int = examples) -> str:
        names = {"source_name": LANGUAGES[source], "target_name": LANGUAGES[target]}
        return ctx.render(
            "translation.j2", text=sentence, examples=shots, source_lang=source, target_lang=target, **names
        )

    def other_prompt(sentence: str, source: str, target: str) -> str:  # without the examples, or with them if none
        return prompt_for(sentence, source, target, 0 if examples else EXAMPLES)

    # In process only: a server may score a continuation one request per token (hundreds of requests a sentence),
    # or not at all, and the channel weight was chosen for the embedded model.
    reranks = candidates > 1 and llm.ref.engine != "openai"
    done: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        out_line: list[str] = []
        for sentence in split_sentences(line):
            prompt = prompt_for(sentence, source, target)
            piece = ""
            for token in llm.stream(prompt, params):
                piece += token
                yield "\n".join([*done, " ".join([*out_line, piece.strip()])]).strip()
            greedy = best = first_line(piece)
            entry: dict[str, Any] = {"line": number, "source": sentence, "options": []}
            if reranks:
                options = [best, *sampled_lines(llm, prompt, params, candidates - 1, SAMPLE_TEMPERATURE)]
                entry["options"] = reranked(llm, prompt, sentence, options, lambda o: prompt_for(o, target, source))
                best = entry["options"][0]["text"] if entry["options"] else best
            if still_source(best, sentence, source, target):
                # Cheap repairs first: the next candidates, the greedy translation, then another prompt.
                tries = repairs(llm, params, entry["options"], greedy, other_prompt(sentence, source, target))
                repair = next(((how, o) for how, o in tries if not still_source(o, sentence, source, target)), None)
                entry["repair"] = repair[0] if repair else "none found"
                best = repair[1] if repair else best
            if ranking is not None and (reranks or "repair" in entry):
                ranking.append({**entry, "chosen": best or sentence})
            out_line.append(best or sentence)
        done.append(" ".join(out_line))
    yield "\n".join(done).strip()


def repairs(
    llm: Backend, params: GenerationParams, options: list[dict[str, Any]], greedy: str, prompt: str
) -> Iterator[tuple[str, str]]:
    """What to try for a sentence left in the source language, cheapest first, each with how it was found: the
    next reranked candidates, the greedy translation, then the translation by another prompt (generated only if
    reached)."""
    for row in options[1:]:
        yield "next candidate", row["text"]
    yield "greedy", greedy
    yield "other prompt", first_line(llm.generate(prompt, params))


def may_stay(source: str) -> bool:
    """Whether a copy of the source can be its translation: every word a name or a number ("Paris.", "2024")."""
    return all(word[0].isupper() or word[0].isdigit() for word in re.findall(r"\w+", source))


def reranked(
    llm: Backend, prompt: str, sentence: str, options: list[str], back_prompt: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The usable candidates, best first, with their forward, channel and combined log-probabilities.

    Empty when none is usable: the first translation then stands. When every candidate is the same text, that one
    comes back unscored (the scores would choose nothing).
    """
    source = sentence.strip()
    longest = MAX_LENGTH_RATIO * len(source) + LENGTH_MARGIN
    usable = [o for o in dict.fromkeys(options) if o and len(o) <= longest and (o != source or may_stay(source))]
    if not usable:
        return []
    if len(usable) == 1:  # the candidates agree: nothing to choose between, so nothing is scored
        return [{"text": usable[0], "score": None, "note": "the only distinct candidate: not scored"}]
    forward = llm.score(prompt, [" " + option for option in usable])
    channel = [llm.score(back_prompt(option), [" " + source])[0] for option in usable]
    rows = [
        {"text": o, "score": round(f + CHANNEL_WEIGHT * c, 3), "forward": round(f, 3), "channel": round(c, 3)}
        for o, f, c in zip(usable, forward, channel, strict=True)
    ]
    return sorted(rows, key=lambda row: -row["score"])


def untranslated(ctx: TaskContext, inputs: dict[str, Any], output: dict[str, Any]) -> list[Check]:
    """An `untranslated` check on each sentence of the translation still in the source language, or copying it."""
    source, target, text = output.get("source_lang"), output.get("target_lang"), output["text"]
    if source == target or source not in LANGUAGES or target not in LANGUAGES:
        return []
    copies = {" ".join(s.split()) for s in split_sentences(inputs["text"])}
    checks = []
    for start, end in sentence_spans(text):
        piece = text[start:end]
        if may_stay(piece):
            continue
        if " ".join(piece.split()) in copies:
            checks.append(Check("untranslated", "this sentence copies the source", start, end))
        elif in_source_language(piece, source, target):
            checks.append(Check("untranslated", f"this sentence is still in {LANGUAGES[source]}", start, end))
    return checks


def left_in_source(pred: Any, refs: Any, row: dict[str, Any]) -> bool:
    """A real untranslated error: the translation is closer (chrF) to its source than to its references."""
    source = row_text(row, "source", "text")
    return scores.sentence_chrf(pred, [source], row) > scores.sentence_chrf(pred, refs, row)


MT_METRICS = ("chrf", "bleu", "flagged", "flag_precision", "flag_recall")
EVALUATION = EvalSpec(
    inputs=lambda row, rows: {
        "text": row_text(row, "source", "text"),
        "target_lang": row["target_lang"],
        "source_lang": row.get("source_lang", "auto"),
    },
    reference=references,
    prediction=lambda output: output["text"],
    score=scores.bleu_chrf,
    item_score=scores.sentence_chrf,
    best=100.0,
    error=left_in_source,
    baseline=copied("source", "text"),
    public_sets=tuple(PublicSet(f"mt-en-{lang}.jsonl", MT_METRICS, seeded=True) for lang in ("fr", "de", "es")),
    techniques=(
        # the shots alone, as measured when they became the default
        Technique("translation", {"examples": 5}, {"examples": 2}, {"candidates": 1}),
        Technique("translation", {"candidates": 5}, {"candidates": 1}),
    ),
)

SPEC = TaskSpec(
    evaluation=EVALUATION,
    name="translation",
    title="Translation",
    description="Translate between English, French, Spanish, German, Italian, Portuguese and Dutch "
    "with the multilingual Gemma model; the source language is detected when left on auto, and several "
    "translations of each sentence are reranked by how well they translate back.",
    inputs=(
        Input("text", "text", "Text", max_chars=5_000),
        Input(
            "target_lang",
            "choice",
            "Translate into",
            default="fr",
            required=False,
            choices=tuple(LANGUAGES),
            aliases=ALIASES,
        ),
        Input(
            "source_lang",
            "choice",
            "Source language",
            default="auto",
            required=False,
            choices=("auto", *LANGUAGES),
            aliases=ALIASES,
        ),
        Input(
            "examples",
            "integer",
            "Examples in the prompt",
            default=EXAMPLES,
            required=False,
            minimum=0,
            maximum=EXAMPLES,
            help="worked translations shown before the text; 2 is the shorter prompt used before, 0 none",
        ),
        Input(
            "candidates",
            "integer",
            "Candidates",
            default=None,
            required=False,
            minimum=1,
            maximum=8,
            help="translations of each sentence to rerank by forward and back-translation likelihood; 1 keeps the "
            "greedy one (fastest); empty: as many as the quality level says",
        ),
        quality_input(
            {
                "fast": "the greedy translation of each sentence (one pass)",
                "balanced": "3 candidates a sentence, decoded side by side and reranked",
                "best": f"{CANDIDATES} candidates a sentence, reranked by forward and back-translation likelihood",
            }
        ),
    ),
    qualities={"fast": {"candidates": 1}, "balanced": {"candidates": 3}, "best": {"candidates": CANDIDATES}},
    templates=("translation.j2",),
    template_extras=frozenset({"source_name", "target_name"}),
    run=translate,
    checked="text",
    checks=(untranslated,),
    default_model="gemma3-270m",
    helpers=("py3langid",),
    default_params={"max_new_tokens": 200},
    streams=True,
    order=20,
    group="Write",
    examples="translation.jsonl",
)
