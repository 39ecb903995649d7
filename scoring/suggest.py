"""Suggest rubric points from a model answer: one point per body sentence, its key terms as evidence.

Key terms are the sentence's content-word phrases, scored by how rare their words
are across the answer's sentences, so what is special to each sentence stands out.

>>> points = suggest_points("India and Japan set up a Joint Working Group on critical minerals. "
...                         "Toyota Tsusho built a rare-earth refinery in Andhra Pradesh.")
>>> [p.id for p in points]
['joint-working-group', 'rare-earth-refinery']
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Iterable

from scoring.models import RubricPoint
from scoring.text import STOPWORDS, WORD, is_prose, prompt_of, split_sentences, stem_tokens

_NUMBER = re.compile(r"\d")


#: generic words that end a key phrase, like function words do
WEAK_WORDS = frozenset(
    """show shows showed shown become becomes became make makes made create creates created give gives
    gave use uses used help helps helped need needs needed move moves moved new key major many
    several various important growing increasing one two three first second way like well set up""".split()
)
#: punctuation ends a phrase, and so does a possessive ("tRNA’s amino acids": "tRNA", "amino acids");
#: a point or comma inside a number ("$67.9 billion", "1,200 km") does not
_SPLIT = re.compile(r"(?<=[^\W_])['’][sS]\b|[;:!?()\[\]\"“”‘’]|(?<!\d)[,.]|[,.](?!\d)|\s[-–—]\s")
#: a phrase's words: a number with its decimal point or thousands commas is one word
_PHRASE_WORD = re.compile(r"\d+(?:[.,]\d+)+|" + WORD.pattern)


def candidate_phrases(sentence: str, *, max_words: int = 4) -> list[str]:
    """Runs of content words between function words and punctuation (RAKE's candidates).

    >>> candidate_phrases("The JWG on critical minerals was created to diversify sourcing.")
    ['jwg', 'critical minerals', 'diversify sourcing']
    >>> candidate_phrases("Japan pledged $67.9 billion of investment, in 2022.")
    ['japan pledged 67.9 billion', 'investment', '2022']
    """
    phrases = []
    for chunk in _SPLIT.split(sentence):
        run: list[str] = []
        for word in [w.lower() for w in _PHRASE_WORD.findall(chunk)] + [""]:
            if word and word not in STOPWORDS and word not in WEAK_WORDS:
                run.append(word)
                continue
            if run and len(run) <= max_words:
                phrases.append(" ".join(run))
            run = []
    return phrases


#: Zipf frequency (log10 of uses per billion words) of everyday English words: "much" 6.0, "other" 6.2
EVERYDAY_ZIPF = 6.0
#: how much each step of rarity below EVERYDAY_ZIPF in English at large adds to a word's distinctiveness
ENGLISH_RARITY_WEIGHT = 0.1


@lru_cache(maxsize=65536)
def english_rarity(word: str) -> float:
    """How far below everyday words a word's frequency in English at large is, on wordfreq's Zipf scale:
    0 for "much" and "other", 0.4 for "called", 2.4 for "vinegar", 4.7 for "anticodon", and 6 for a
    word wordfreq has never seen.

    >>> [round(english_rarity(w), 1) for w in ("much", "vinegar", "anticodon")]
    [0.0, 2.4, 4.7]
    """
    from wordfreq import zipf_frequency  # about 35 MB of English frequencies, loaded on first use

    return max(0.0, EVERYDAY_ZIPF - zipf_frequency(word, "en"))


def most_distinctive(candidates: list[list[str]], top: int, *, rare_in_english: bool = False) -> list[list[str]]:
    """Each text's ``top`` candidate phrases, most distinctive first.

    A phrase scores the sum over its words of their log inverse frequency among the
    texts, so longer phrases of words special to one text ("joint working group") beat
    common single words.  With ``rare_in_english`` each word's part is raised by how rare
    it is in English at large (``english_rarity``), so of two words only one text uses,
    "codons" comes before "called".  Ties go alphabetically.
    """
    frequency: dict[str, int] = {}
    for phrases in candidates:
        for word in {w for p in phrases for w in p.split()}:
            frequency[word] = frequency.get(word, 0) + 1
    total = len(candidates)

    def weight(word: str) -> float:
        return 1 + ENGLISH_RARITY_WEIGHT * english_rarity(word) if rare_in_english else 1.0

    def score(phrase: str) -> float:
        return sum(math.log(1 + total / frequency[w]) * weight(w) for w in phrase.split())

    return [sorted(dict.fromkeys(phrases), key=lambda p: (-score(p), p))[:top] for phrases in candidates]


def key_terms(sentences: list[str], *, top: int = 4) -> list[list[str]]:
    """For each sentence, its ``top`` most distinctive phrases (``most_distinctive``).

    Not weighted by rarity in English at large, which serves generated rubrics: in a
    UPSC model answer it put "toyota tsusho built" (a name wordfreq has never seen, and
    the verb after it) before "rare earth refinery".
    """
    return most_distinctive([candidate_phrases(s) for s in sentences], top)


def _slug(term: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")[:40] or "point"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def short_label(sentence: str, *, max_words: int = 12) -> str:
    """The sentence's first ``max_words`` words, ending at a comma or semicolon if one comes late
    enough, and marked with "…" when cut.

    >>> short_label("Japan pledged investment over ten years, mostly in semiconductors, clean energy "
    ...             "and critical minerals processing.")
    'Japan pledged investment over ten years, mostly in semiconductors…'
    >>> short_label("The JWG met in Delhi.")
    'The JWG met in Delhi.'
    """
    all_words = sentence.lstrip("-*• ").split()
    if len(all_words) <= max_words:
        return " ".join(all_words)
    kept = all_words[:max_words]
    for end in range(len(kept) - 1, max_words // 2 - 1, -1):  # a clause that ends in the second half
        if kept[end].endswith((",", ";", ":")):
            kept = kept[:end + 1]
            break
    return " ".join(kept).rstrip(",;:") + "…"


def without_question_words(phrases: list[str], question: str) -> list[str]:
    """Phrases made only of the question prompt's words say nothing: the aspirant copies them for free.

    >>> without_question_words(["critical minerals", "joint working group"], "Examine critical minerals.")
    ['joint working group']
    """
    asked = set(stem_tokens(prompt_of(question)))
    return [p for p in phrases if not set(stem_tokens(p)) <= asked]


def makes_a_known_point(sentence: str, evidence: Iterable[str]) -> bool:
    """Whether the sentence already has one of these evidence phrases (by stems, as the scorer matches them).

    >>> makes_a_known_point("The Kaladan Multimodal project links Mizoram to Sittwe.", ["Kaladan", "BBIN"])
    True
    >>> makes_a_known_point("The secretariat is underfunded.", ["Kaladan"])
    False
    """
    stems = f" {' '.join(stem_tokens(sentence))} "
    return any(f" {' '.join(phrase_stems)} " in stems
               for phrase_stems in (stem_tokens(phrase) for phrase in evidence) if phrase_stems)


def suggest_points(model_answer: str, *, question: str = "", top: int = 8,
                   terms_per_point: int = 4, known_evidence: Iterable[str] = ()) -> list[RubricPoint]:
    """Up to ``top`` suggested points from a model answer, heaviest (most specific) first.

    With the ``question``'s text, evidence made only of its words ("india", "japan" for
    a question about India–Japan relations) is left out. A sentence that has one of
    ``known_evidence`` (the evidence of points already in the rubric) makes a point already
    there, and suggests none: "Kaladan" written by hand is not suggested again as
    "kaladan multimodal project".
    """
    known = tuple(known_evidence)
    sentences = [s.text for s in split_sentences(model_answer)
                 if is_prose(s.text) and not makes_a_known_point(s.text, known)]
    terms = key_terms(sentences, top=terms_per_point + 2)
    taken: set[str] = set()
    points = []
    for sentence, found in zip(sentences, terms):
        evidence = without_question_words(found, question)[:terms_per_point]
        if not evidence:
            continue
        label = short_label(sentence)
        weight = 2.0 if _NUMBER.search(sentence) else 1.0
        points.append(RubricPoint(id=_slug(evidence[0], taken), label=label, weight=weight,
                                  hint=sentence.lstrip("-*• "), evidence=tuple(evidence)))
    points.sort(key=lambda p: -p.weight)
    return points[:top]
