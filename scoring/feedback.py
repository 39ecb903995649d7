"""The one result type everything shows: ``Feedback`` and its parts.

The app, the command line and the history page all render a ``Feedback``; it is
serialisable to JSON (``Feedback.model_dump_json()``) and back
(``Feedback.model_validate_json``), so a stored attempt looks exactly as given.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from scoring.text import without_bullet

Status = Literal["covered", "partial", "missed"]
FlagCode = Literal[
    "empty", "too_long_to_score", "off_topic", "keyword_list", "over_length",
    "under_length", "copied_question", "overtime", "no_prose", "not_english", "not_marked", "short_capped",
]

#: a rubric point about what should be done next ("Way forward: JWG timelines…", "Overall view and way forward")
WAY_FORWARD_POINT = re.compile(r"\bway[ -]forward\b", re.IGNORECASE)

#: credit a rubric point earns for each status
CREDIT: dict[str, float] = {"covered": 1.0, "partial": 0.5, "missed": 0.0}


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class PointResult(_Result):
    """One rubric point: did the answer earn it, and with which sentence."""

    id: str
    label: str
    weight: float
    status: Status
    strength: float  # 0..1, the evidence found
    hint: str = ""
    evidence: str | None = None  # the sentence that earned it
    span: tuple[int, int] | None = None  # its character span in the answer
    matched_terms: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    after_marking: bool = False  # the answer makes (or completes) it only after the words that were marked

    @property
    def credit(self) -> float:
        return CREDIT[self.status]


class Component(_Result):
    """One part of the mark: content, relevance, structure, directive or length."""

    name: str
    score: float  # 0..1
    weight: float  # share of the maximum marks
    marks: float  # score * weight * max marks, before rounding
    note: str


class Flag(_Result):
    code: FlagCode
    message: str


class Cap(_Result):
    """A rule that limits the marks whatever the evidence: an answer off the question, or too short to develop
    its points. ``flag`` is what the feedback says when the cap lowers the marks (None: another flag says it
    anyway, as the off-topic one does)."""

    code: Literal["off_topic", "short"]
    marks: float  # the most the answer can earn under this rule
    flag: Flag | None = None


class StructureReport(_Result):
    introduction: bool
    body: bool
    conclusion: bool
    way_forward: bool
    paragraphs: int
    notes: tuple[str, ...] = ()


class DirectiveReport(_Result):
    directive: str
    asks: str
    fits: bool
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


class LengthReport(_Result):
    words: int
    limit: int
    ratio: float
    status: Literal["empty", "short", "good", "over"]
    #: far over the limit, only the answer up to here was marked: words, and the character offset in the answer
    marked_words: int | None = None
    marked_until: int | None = None


class Feedback(_Result):
    """Marks out of the maximum, in half marks, and why."""

    question_id: str
    question_version: str = ""
    marks: float
    max_marks: float
    components: tuple[Component, ...] = ()
    points: tuple[PointResult, ...] = ()
    suggestions: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    structure: StructureReport | None = None
    directive: DirectiveReport | None = None
    length: LengthReport | None = None
    message: str = ""
    scorer: str = ""
    caps: tuple[Cap, ...] = ()  # rules that limit the marks, whichever marks are given (the scorer's or calibrated)
    calibrated: bool = False
    scorer_marks: float | None = None  # when ``marks`` are calibrated: the scorer's own, which the components explain

    @property
    def percent(self) -> float:
        return 100.0 * self.marks / self.max_marks if self.max_marks else 0.0

    def marked_text(self, answer: str) -> str:
        """The part of ``answer`` the marks are for: all of it, unless it ran far past the word limit."""
        until = self.length.marked_until if self.length is not None else None
        return answer if until is None else answer[:until]

    def evidence_quote(self, point: PointResult) -> str:
        """The point's evidence as quoted: without a list marker, and with "…" when its sentence runs on past
        the end of marking.

        >>> length = LengthReport(words=400, limit=250, ratio=1.6, status="over", marked_words=375, marked_until=20)
        >>> cut = PointResult(id="a", label="A", weight=1, status="partial", strength=0.5,
        ...                   evidence="The JWG meets yearly", span=(0, 20))
        >>> Feedback(question_id="q", marks=1, max_marks=15, length=length).evidence_quote(cut)
        'The JWG meets yearly…'
        """
        evidence = without_bullet(point.evidence or "")  # "- Concentrated supply…" is quoted from its words
        until = self.length.marked_until if self.length is not None else None
        cut = (until is not None and point.span is not None and point.span[1] >= until
               and not evidence.rstrip().endswith((".", "!", "?", "…", "।")))
        return evidence.rstrip() + "…" if cut else evidence

    def way_forward_short_of_rubric(self) -> tuple[PointResult, ...]:
        """The rubric's way-forward points the answer misses or only partly makes, although its structure has a
        way forward (a "should", "must" or "way forward" after the introduction): the form is there, not the content.

        >>> wf = PointResult(id="wf", label="Way forward: JWG timelines", weight=1, status="missed", strength=0)
        >>> form = StructureReport(introduction=True, body=True, conclusion=True, way_forward=True, paragraphs=4)
        >>> [p.id for p in Feedback(question_id="q", marks=5, max_marks=10, points=(wf,), structure=form)
        ...  .way_forward_short_of_rubric()]
        ['wf']
        >>> Feedback(question_id="q", marks=5, max_marks=10, points=(wf.model_copy(update={"status": "covered"}),),
        ...          structure=form).way_forward_short_of_rubric()
        ()
        """
        if self.structure is None or not self.structure.way_forward:
            return ()
        return tuple(p for p in self.points if p.status != "covered" and WAY_FORWARD_POINT.search(p.label))

    def capped(self, marks: float) -> "Feedback":
        """A copy with ``marks`` held under the caps: each cap that lowers them says so with its flag, and a cap
        flag whose cap no longer lowers them is dropped (a calibration can give less than the cap).

        >>> short = Flag(code="short_capped", message="Marks capped at 6 of 15: …")
        >>> feedback = Feedback(question_id="q", marks=6, max_marks=15, flags=(short,), message=short.message,
        ...                     caps=(Cap(code="short", marks=6, flag=short),))
        >>> feedback.capped(9).marks, feedback.capped(9).message
        (6.0, 'Marks capped at 6 of 15: …')
        >>> feedback.capped(4).marks, feedback.capped(4).flags, feedback.capped(4).message
        (4, (), '')
        """
        own = {cap.flag for cap in self.caps if cap.flag is not None}
        flags = tuple(flag for flag in self.flags if flag not in own)
        for cap in self.caps:
            if marks > cap.marks:
                marks = cap.marks
                if cap.flag is not None:
                    flags = (*flags, cap.flag)
        return self.model_copy(update={"marks": marks, "flags": flags, "message": headline(flags)})

    def flag_codes(self) -> set[str]:
        return {f.code for f in self.flags}

    def with_flag(self, flag: Flag) -> "Feedback":
        """A copy with one more flag (e.g. overtime, which only the app knows)."""
        return self.model_copy(update={"flags": (*self.flags, flag)})


def headline(flags: tuple[Flag, ...]) -> str:
    """The most serious flag's message: a keyword list, then off topic, then words past marking, then a short
    answer's cap."""
    for code in ("keyword_list", "off_topic", "not_marked", "short_capped"):
        for flag in flags:
            if flag.code == code:
                return flag.message
    return ""
