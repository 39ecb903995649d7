"""The non-content parts of a mark: structure, directive fit and length.

Each is a small pure function from the answer's sentences to a typed report and a
0..1 score.  Cues are found anywhere they count, so that adding a sentence to an
answer never takes a cue away.
"""

from __future__ import annotations

import math
import re

from scoring.feedback import DirectiveReport, LengthReport, StructureReport
from scoring.models import DIRECTIVES
from scoring.text import Sentence

CONCLUSION_CUES = re.compile(
    r"\b(in conclusion|to conclude|to sum up|in sum|overall|thus|therefore|hence|"
    r"way forward|going forward|in the long run|ultimately|in short)\b",
    re.IGNORECASE,
)
WAY_FORWARD_CUES = re.compile(
    r"\b(way forward|going forward|should|must|needs? to|need for|ought to|imperative|"
    r"recommend\w*|it is essential|the way ahead|in future|future)\b",
    re.IGNORECASE,
)
CONTRAST_CUES = re.compile(
    r"\b(however|but|although|though|whereas|on the other hand|nevertheless|yet|"
    r"challenges?|concerns?|limitations?|criticism|drawbacks?|risks?|constraints?|hurdles?)\b",
    re.IGNORECASE,
)
SUPPORT_CUES = re.compile(
    r"\b(benefits?|advantages?|strengths?|opportunit\w+|enables?|helps?|boosts?|"
    r"strengthens?|gains?|positive|potential|promotes?)\b",
    re.IGNORECASE,
)
JUDGEMENT_CUES = re.compile(
    r"\b(in conclusion|on balance|overall|thus|therefore|hence|in my view|it is clear|"
    r"to conclude|ultimately|way forward|in sum)\b",
    re.IGNORECASE,
)
CAUSAL_CUES = re.compile(
    r"\b(because|due to|leads? to|results? in|implications?|impacts?|as a result|"
    r"consequently|thereby|since|so that|which means)\b",
    re.IGNORECASE,
)
DEFINITION_CUES = re.compile(
    r"\b(refers? to|is defined as|means|is a|are a|i\.e\.|known as|stands for|is an)\b",
    re.IGNORECASE,
)
EVIDENCE_CUES = re.compile(r"(\d|\b(for example|for instance|such as|e\.g\.|like the)\b)", re.IGNORECASE)

#: directive → what it needs: (requirement name, cue pattern or "points")
_NEEDS: dict[str, tuple[tuple[str, re.Pattern | str], ...]] = {
    "discuss": (("arguments for", SUPPORT_CUES), ("arguments against", CONTRAST_CUES), ("a view", JUDGEMENT_CUES)),
    "critically examine": (("merits", SUPPORT_CUES), ("demerits", CONTRAST_CUES), ("a reasoned judgement", JUDGEMENT_CUES)),
    "critically analyse": (("merits", SUPPORT_CUES), ("demerits", CONTRAST_CUES), ("a reasoned judgement", JUDGEMENT_CUES)),
    "evaluate": (("evidence", EVIDENCE_CUES), ("limits or risks", CONTRAST_CUES), ("a judgement", JUDGEMENT_CUES)),
    "assess": (("evidence", EVIDENCE_CUES), ("limits or risks", CONTRAST_CUES), ("a judgement", JUDGEMENT_CUES)),
    "examine": (("key facts", EVIDENCE_CUES), ("implications", CAUSAL_CUES)),
    "analyse": (("several parts", "points"), ("how they relate", CAUSAL_CUES)),
    "explain": (("key terms defined", DEFINITION_CUES), ("a detailed account", "points")),
    "elucidate": (("key terms defined", DEFINITION_CUES), ("a detailed account", "points")),
    "describe": (("main features", "points"), ("examples", EVIDENCE_CUES)),
    "comment": (("an overall opinion", JUDGEMENT_CUES), ("reasons", CAUSAL_CUES)),
    "justify": (("reasons", CAUSAL_CUES), ("evidence", EVIDENCE_CUES)),
    "highlight": (("the main points", "points"),),
}

MIN_BODY_POINTS = 3


def body_points(sentences: list[Sentence]) -> int:
    """Separate points the body makes: bullet lines, or paragraphs after the first."""
    bullets = sum(1 for s in sentences if s.is_bullet)
    paragraphs = len({s.paragraph for s in sentences})
    return max(bullets, paragraphs - 1 if paragraphs > 1 else 0, 0)


def structure(sentences: list[Sentence], word_total: int) -> tuple[StructureReport, float]:
    """Introduction, body in points, conclusion and a way forward (anywhere after the introduction)."""
    paragraphs = sorted({s.paragraph for s in sentences})
    first = [s for s in sentences if s.paragraph == paragraphs[0]] if paragraphs else []
    last = [s for s in sentences if s.paragraph == paragraphs[-1]] if len(paragraphs) > 1 else []
    first_words = sum(len(s.text.split()) for s in first)
    introduction = (len(paragraphs) > 1 and bool(first) and not first[0].is_bullet
                    and first_words <= max(60, 0.35 * word_total))
    body = body_points(sentences) >= MIN_BODY_POINTS or (len(paragraphs) >= 3)
    conclusion = bool(last) and any(CONCLUSION_CUES.search(s.text) for s in last)
    way_forward = any(WAY_FORWARD_CUES.search(s.text) for s in sentences if s.paragraph != paragraphs[0])
    notes = _structure_notes(introduction, body, conclusion, way_forward)
    score = 0.25 * introduction + 0.3 * body + 0.25 * conclusion + 0.2 * way_forward
    return StructureReport(
        introduction=introduction, body=body, conclusion=conclusion, way_forward=way_forward,
        paragraphs=len(paragraphs), notes=notes,
    ), score


#: the parts of an answer's structure, what each is called, and the note when it is missing
STRUCTURE_PARTS: dict[str, tuple[str, str]] = {
    "introduction": ("introduction",
                     "Open with a short introduction in its own paragraph: a fact, a definition or the context."),
    "body": ("body", f"Make the body at least {MIN_BODY_POINTS} separate points (paragraphs or bullets), each 3–4 lines."),
    "conclusion": ("conclusion", "End with a concluding paragraph (for example 'Thus…' or 'In conclusion…')."),
    "way_forward": ("way forward", "Close with a way forward: what should be done next."),
}


def _structure_notes(introduction: bool, body: bool, conclusion: bool, way_forward: bool) -> tuple[str, ...]:
    present = {"introduction": introduction, "body": body, "conclusion": conclusion, "way_forward": way_forward}
    return tuple(note for part, (_, note) in STRUCTURE_PARTS.items() if not present[part])


def missing_parts(report: StructureReport) -> list[str]:
    """The parts (``STRUCTURE_PARTS`` keys) the answer lacks."""
    return [part for part in STRUCTURE_PARTS if not getattr(report, part)]


def directive_fit(directive: str, sentences: list[Sentence]) -> tuple[DirectiveReport, float]:
    """Does the answer do what its directive word asks?"""
    needs = _NEEDS.get(directive, ())
    found, missing = [], []
    for name, cue in needs:
        met = body_points(sentences) >= MIN_BODY_POINTS if cue == "points" else any(
            cue.search(s.text) for s in sentences)
        (found if met else missing).append(name)
    score = len(found) / len(needs) if needs else 1.0
    report = DirectiveReport(
        directive=directive, asks=DIRECTIVES.get(directive, ""), fits=not missing,
        found=tuple(found), missing=tuple(missing),
    )
    return report, score


#: an answer is marked up to this many times its word limit (375 words of a 250-word answer): in the
#: exam the booklet gives each question a fixed space, and the question's minutes hold no more by hand
MARKED_UP_TO = 1.5
#: An answer under this share of its word limit cannot develop its points (3–4 lines each), so its marks
#: are capped in proportion: at 136 of a 250-word limit, at most 15 × 136 / 200 = 10 of 15.
DEVELOPED_AT = 0.8


def marked_word_limit(word_limit: int, factor: float = MARKED_UP_TO) -> int:
    """Words after this many are not marked (the answer box warns as they are typed).

    >>> marked_word_limit(250), marked_word_limit(150)
    (375, 225)
    """
    return math.ceil(factor * word_limit - 1e-9)


def length(words: int, limit: int) -> tuple[LengthReport, float]:
    """Use of the word limit: under 60% loses in proportion, over 110% loses gently.

    >>> length(240, 250)[1], length(75, 250)[1]
    (1.0, 0.5)
    """
    ratio = words / limit if limit else 0.0
    if words == 0:
        return LengthReport(words=0, limit=limit, ratio=0.0, status="empty"), 0.0
    if ratio < 0.6:
        status, score = "short", ratio / 0.6
    elif ratio <= 1.1:
        status, score = "good", 1.0
    else:
        status, score = "over", max(0.5, 1.0 - (ratio - 1.1) * 0.5)
    return LengthReport(words=words, limit=limit, ratio=round(ratio, 3), status=status), round(score, 4)
