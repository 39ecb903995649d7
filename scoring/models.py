"""Typed, immutable content models: concepts, rubric points, rubrics and questions.

Everything here is validated by pydantic on load; an invalid file never becomes
a ``Question``.  The word and time limits follow UPSC conventions from the marks
unless a question gives its own.

>>> q = Question(id="q1", paper="GS2", topic="t", marks=10, directive="discuss",
...              text="Discuss X.", model_answer="X is y.")
>>> (q.word_limit, q.time_limit_minutes)
(150, 7)
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Paper = Literal["GS1", "GS2", "GS3", "GS4", "Essay"]

#: marks -> (word limit, minutes), from UPSC Mains practice.
DEFAULT_LIMITS: dict[int, tuple[int, int]] = {
    10: (150, 7),
    15: (250, 11),
    20: (250, 14),
    125: (1200, 90),
}

#: What each directive word asks of an answer, in one line (shown before writing).
DIRECTIVES: dict[str, str] = {
    "discuss": "Argue both for and against, then reach a view.",
    "examine": "Investigate the key facts and establish their implications.",
    "analyse": "Break the topic into its parts and show how they relate.",
    "critically examine": "Weigh merits and demerits, then give a reasoned judgement.",
    "critically analyse": "Break the topic into parts, weigh merits and demerits, then judge.",
    "evaluate": "Reach a judgement based on evidence.",
    "elucidate": "Give a detailed account, defining the key terms.",
    "explain": "Give a detailed account, defining the key terms.",
    "comment": "Give an overall opinion supported by reasons.",
    "describe": "Give a detailed account of the main features.",
    "assess": "Weigh the importance or success of something and judge it.",
    "justify": "Give reasons that support the statement.",
    "highlight": "Bring out the main points clearly.",
}

_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def check_safe_id(value: str) -> str:
    """Reject ids that could escape the bank folder or make awkward file names.

    >>> check_safe_id("ij-jwg")
    'ij-jwg'
    >>> check_safe_id("../etc")
    Traceback (most recent call last):
    ...
    ValueError: id '../etc' must be lower-case letters, digits, '-' or '_' (no '/', '..' or spaces), at most 80 characters
    """
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise ValueError(
            f"id {value!r} must be lower-case letters, digits, '-' or '_' "
            "(no '/', '..' or spaces), at most 80 characters"
        )
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Concept(_Frozen):
    """A shared idea with its aliases and acronyms, e.g. FOIP."""

    id: str
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()

    _id = field_validator("id")(check_safe_id)

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class RubricPoint(_Frozen):
    """Something an examiner would credit."""

    id: str
    label: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0, le=100)
    hint: str = ""
    evidence: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()

    _id = field_validator("id")(check_safe_id)

    @model_validator(mode="before")
    @classmethod
    def _single_concept(cls, data: object) -> object:
        """Accept ``concept: jwg`` as shorthand for ``concepts: [jwg]``."""
        if isinstance(data, dict) and "concept" in data:
            data = dict(data)
            single = data.pop("concept")
            data["concepts"] = [single, *data.get("concepts", [])]
        return data

    @model_validator(mode="after")
    def _has_evidence(self) -> "RubricPoint":
        if not self.evidence and not self.concepts:
            raise ValueError("a point needs evidence phrases or a concept reference")
        return self


class Band(_Frozen):
    """``min_points`` covered points earn ``marks`` (bands are checked best first)."""

    min_points: int = Field(ge=0)
    marks: float = Field(ge=0)


class Rubric(_Frozen):
    """How an answer to one question is marked."""

    question_id: str
    policy: Literal["weighted", "bands"] = "weighted"
    bands: tuple[Band, ...] = ()
    points: tuple[RubricPoint, ...] = Field(min_length=1)

    _id = field_validator("question_id")(check_safe_id)

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
        ids = [p.id for p in self.points]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate point ids: {', '.join(dupes)}")
        if self.policy == "bands" and not self.bands:
            raise ValueError("policy 'bands' needs at least one band")
        return self

    @property
    def total_weight(self) -> float:
        return sum(p.weight for p in self.points)


class Question(_Frozen):
    """A Mains question with its model answer (the rubric lives beside it)."""

    id: str
    paper: Paper
    topic: str = Field(min_length=1)
    marks: int = Field(gt=0, le=250)
    word_limit: int | None = Field(default=None, gt=0, le=5000)
    time_limit_minutes: int | None = Field(default=None, gt=0, le=240)
    directive: str = Field(min_length=1)
    text: str = Field(min_length=1)
    model_answer: str = Field(min_length=1)
    source: str = ""
    tags: tuple[str, ...] = ()

    _id = field_validator("id")(check_safe_id)

    @field_validator("directive")
    @classmethod
    def _known_directive(cls, value: str) -> str:
        value = " ".join(value.lower().split())
        if value not in DIRECTIVES:
            raise ValueError(f"unknown directive {value!r}; use one of: {', '.join(DIRECTIVES)}")
        return value

    @model_validator(mode="after")
    def _limits(self) -> "Question":
        words, minutes = DEFAULT_LIMITS.get(self.marks, _proportional_limits(self.marks))
        if self.word_limit is None:
            object.__setattr__(self, "word_limit", words)
        if self.time_limit_minutes is None:
            object.__setattr__(self, "time_limit_minutes", minutes)
        return self

    @property
    def directive_meaning(self) -> str:
        return DIRECTIVES[self.directive]


def _proportional_limits(marks: int) -> tuple[int, int]:
    """Limits for unusual marks: 15 words and 0.75 minute a mark, at least 50 words / 3 minutes."""
    return max(50, round(marks * 15)), max(3, round(marks * 0.75))


class Item(_Frozen):
    """A question together with its rubric: the unit that gets practised and scored."""

    question: Question
    rubric: Rubric

    @property
    def id(self) -> str:
        return self.question.id

    _version: str = PrivateAttr(default="")

    def model_post_init(self, context: object, /) -> None:
        payload = json.dumps(
            [self.question.model_dump(mode="json"), self.rubric.model_dump(mode="json")],
            sort_keys=True,
            ensure_ascii=False,
        )
        self._version = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def version(self) -> str:
        """A content hash: attempts store it so later edits never rewrite past feedback."""
        return self._version
