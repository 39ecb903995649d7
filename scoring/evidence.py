"""Evidence for rubric points: phrase matches (exact, stemmed, fuzzy), concept aliases, TF-IDF.

A point's *strength* (0..1) adds up what its phrases found in the answer's prose
sentences, plus a share of the best sentence's TF-IDF similarity to the point.
The strongest sentence is the one shown as having earned the point.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from scoring.feedback import PointResult, Status
from scoring.models import Concept, RubricPoint
from scoring.text import Sentence, normalise, stem, stem_tokens, words


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds for turning evidence into a status; all keyword-only knobs of ``Scorer``."""

    phrase_strength: float = 0.6  # one matched evidence phrase
    concept_strength: float = 1.0  # the point's named concept (e.g. "JWG")
    fuzzy_cutoff: float = 88.0  # rapidfuzz partial_ratio, 0..100
    fuzzy_min_chars: int = 7  # shorter phrases (acronyms) must match exactly
    fuzzy_factor: float = 0.85  # a fuzzy match counts this much of an exact one
    similarity_floor: float = 0.12  # TF-IDF cosine that counts as nothing
    similarity_ceiling: float = 0.45  # TF-IDF cosine that counts as full
    similarity_share: float = 0.5  # how much similarity can add to strength
    covered_at: float = 0.75
    partial_at: float = 0.3
    split_shared: bool = False  # a phrase that evidences k points of one rubric counts 1/k for each


@dataclass(frozen=True)
class Phrase:
    """One evidence phrase, prepared once when the bank loads."""

    text: str
    stems: str  # space-joined stems, padded: " suppli chain "
    norm: str  # normalised surface form for fuzzy matching
    strength_key: str  # "concept" or "phrase"
    share: float = 1.0  # 1/k when k of the rubric's points share this phrase (``split_shared``)
    source: str = ""  # what it is evidence of: a concept's names and aliases share one ("concept:act-east")


@dataclass(frozen=True)
class CompiledPoint:
    point: RubricPoint
    phrases: tuple[Phrase, ...]
    description: str  # label + hint + evidence: what TF-IDF compares sentences with


def compile_point(point: RubricPoint, concepts: dict[str, Concept]) -> CompiledPoint:
    """Prepare a point's phrases: its evidence plus every name and alias of its concepts."""
    phrases: dict[str, Phrase] = {}
    for ref in point.concepts:
        concept = concepts.get(ref)
        for text in concept.phrases if concept else ():
            _add_phrase(phrases, text, "concept", f"concept:{ref}")
    for text in point.evidence:
        _add_phrase(phrases, text, "phrase")
    description = " ".join([point.label, point.hint, *point.evidence, *(p.text for p in phrases.values())])
    return CompiledPoint(point, tuple(phrases.values()), description)


def split_shared(points: tuple[CompiledPoint, ...]) -> tuple[CompiledPoint, ...]:
    """Give each phrase a share of 1/k when k of these points use it (by stems)."""
    counts: dict[str, int] = {}
    for point in points:
        for phrase in point.phrases:
            counts[phrase.stems] = counts.get(phrase.stems, 0) + 1
    return tuple(
        replace(point, phrases=tuple(replace(p, share=1.0 / counts[p.stems]) for p in point.phrases))
        for point in points
    )


def _add_phrase(phrases: dict[str, Phrase], text: str, key: str, source: str = "") -> None:
    """Add a phrase unless one with the same stems is there; its source is the concept, else the phrase itself."""
    stems = " ".join(stem_tokens(text))
    if stems and stems not in phrases:
        phrases[stems] = Phrase(text, f" {stems} ", normalise(text), key, source=source or f"phrase:{stems}")


@dataclass(frozen=True)
class AnswerView:
    """The prose sentences of one answer, tokenised once for every point."""

    sentences: tuple[Sentence, ...]
    tokens: tuple[tuple[str, ...], ...]  # lower-cased words, one tuple per sentence
    stems: tuple[str, ...]  # padded stem strings, one per sentence
    norms: tuple[str, ...]  # normalised sentences, for fuzzy matching
    all_stems: str  # every sentence's stems, "|"-separated: one test rules a phrase out
    all_norms: str
    stem_starts: tuple[int, ...] = ()  # where each sentence's stems start in ``all_stems``

    @classmethod
    def of(cls, sentences: list[Sentence], tokens: list[tuple[str, ...]] | None = None) -> "AnswerView":
        """``tokens`` (each sentence's lower-cased words) may be passed when already computed."""
        if tokens is None:
            tokens = [tuple(w.lower() for w in words(s.text)) for s in sentences]
        tokens = tuple(tokens)
        stems = tuple(f" {' '.join(stem(w) for w in t)} " for t in tokens)
        norms = tuple(" ".join(t) for t in tokens)
        starts, offset = [], 0
        for text in stems:
            starts.append(offset)
            offset += len(text) + 1
        return cls(tuple(sentences), tokens, stems, norms, "|".join(stems), " | ".join(norms), tuple(starts))


def phrase_hits(phrase: Phrase, view: AnswerView, settings: MatchSettings) -> dict[int, float]:
    """Sentence index → match quality (1 exact, ``fuzzy_factor`` fuzzy) for one phrase."""
    position = view.all_stems.find(phrase.stems)
    if position >= 0:
        hits = {}
        while position >= 0:  # a phrase never spans the "|" between sentences; found left to right, in order
            hits[bisect_right(view.stem_starts, position) - 1] = 1.0
            position = view.all_stems.find(phrase.stems, position + 1)
        return hits
    if len(phrase.norm) < settings.fuzzy_min_chars or not fuzz.partial_ratio(
            phrase.norm, view.all_norms, score_cutoff=settings.fuzzy_cutoff):
        return {}
    hits = {}
    for i, sentence in enumerate(view.norms):
        score = fuzz.partial_ratio(phrase.norm, sentence, score_cutoff=settings.fuzzy_cutoff)
        if score and _whole_words(phrase.norm, sentence):
            hits[i] = settings.fuzzy_factor
    return hits


def _whole_words(phrase: str, sentence: str) -> bool:
    """Guard fuzzy matches against a phrase hiding inside longer words ("quad" in "quadratic")."""
    alignment = fuzz.partial_ratio_alignment(phrase, sentence)
    start, end = alignment.dest_start, alignment.dest_end
    left_ok = start == 0 or not sentence[start - 1].isalnum() or not sentence[start].isalnum()
    right_ok = end >= len(sentence) or not sentence[end].isalnum() or not sentence[end - 1].isalnum()
    return left_ok and right_ok


def similarity_strength(cosine: float, settings: MatchSettings) -> float:
    """Map a TF-IDF cosine onto 0..1 between the floor and the ceiling.

    >>> similarity_strength(0.45, MatchSettings()), similarity_strength(0.05, MatchSettings())
    (1.0, 0.0)
    """
    return similarity_strengths([float(cosine)], settings)[0]


def similarity_strengths(cosines: list[float], settings: MatchSettings) -> list[float]:
    """``similarity_strength`` of each cosine (one call per point, not per sentence)."""
    floor, span = settings.similarity_floor, settings.similarity_ceiling - settings.similarity_floor
    return [min(1.0, max(0.0, (cosine - floor) / span)) for cosine in cosines]


def status_for(strength: float, settings: MatchSettings) -> Status:
    if strength >= settings.covered_at:
        return "covered"
    if strength >= settings.partial_at:
        return "partial"
    return "missed"


def judge_point(
    compiled: CompiledPoint,
    view: AnswerView,
    answer: str,
    similarities,
    settings: MatchSettings,
) -> PointResult:
    """Decide one point from its phrase hits and its TF-IDF similarity to each sentence.

    ``similarities`` holds the point's TF-IDF cosine with each sentence (array or list).
    """
    per_sentence: list[dict[str, float]] = [{} for _ in view.sentences]  # sentence → source → best match
    found: dict[str, float] = {}
    for phrase in compiled.phrases:
        weight = settings.concept_strength if phrase.strength_key == "concept" else settings.phrase_strength
        weight *= phrase.share
        for index, quality in phrase_hits(phrase, view, settings).items():
            value = weight * quality  # each the best of what was found (``_keep_best``, inlined: it runs per hit)
            sources = per_sentence[index]
            before = sources.get(phrase.source, 0.0)
            sources[phrase.source] = value if value > before else before
            before = found.get(phrase.text, 0.0)
            found[phrase.text] = value if value > before else before
    evidence = min(1.0, _by_source(compiled.phrases, found))
    values = similarities.tolist() if hasattr(similarities, "tolist") else list(similarities)
    sims = similarity_strengths(values, settings)
    strength = min(1.0, evidence + settings.similarity_share * (max(sims) if sims else 0.0))
    status = status_for(strength, settings)
    share = settings.similarity_share
    return _result(compiled.point, status, strength, view, answer,
                   [sum(sources.values()) + share * sim for sources, sim in zip(per_sentence, sims)], found)


def _keep_best(best: dict[str, float], key: str, value: float) -> None:
    best[key] = max(best.get(key, 0.0), value)


def _by_source(phrases: tuple[Phrase, ...], found: dict[str, float]) -> float:
    """What the found phrases add up to, a concept once however many of its names the answer uses: "Act East"
    and "Act East policy" in "the Act East policies" are one mention, not two."""
    best: dict[str, float] = {}
    for phrase in phrases:
        if phrase.text in found:
            _keep_best(best, phrase.source, found[phrase.text])
    return sum(best.values())


def _result(point, status, strength, view, answer, sentence_scores, found) -> PointResult:
    base = dict(
        id=point.id, label=point.label, weight=point.weight, status=status,
        strength=round(strength, 3), hint=point.hint, concepts=point.concepts,
    )
    if status == "missed" or not len(view.sentences):
        return PointResult(**base)
    best = view.sentences[max(range(len(sentence_scores)), key=sentence_scores.__getitem__)]
    return PointResult(
        **base,
        evidence=answer[best.start:best.end],
        span=(best.start, best.end),
        matched_terms=tuple(sorted(found, key=lambda t: -found[t])),
    )
