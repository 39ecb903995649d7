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

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from scoring.text import STOPWORDS, split_paragraphs, words

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

#: A directive word where a sentence or clause begins (``critically`` may come first), as a question writes it.
_DIRECTIVE_WORD = re.compile(
    r"(?:^|(?<=[.!?:;,]))[\s(\[*•–—-]*\b((?:critically\s+)?(?:"
    + "|".join(sorted({w for d in DIRECTIVES for w in d.split()} - {"critically"} | {"analyze"}))
    + r"))\b",
    re.IGNORECASE | re.MULTILINE,
)
#: A quotation in a question (a statement to comment on): its words are not the question's directive.
_QUOTATION = re.compile(r"“[^”]*”|\"[^\"\n]*\"")


def directives_named(text: str) -> list[tuple[str, str]]:
    """The directives a question's text gives, as (directive, the words as written), the prompt's first.

    A directive counts where it begins a sentence or a clause, outside quotation marks; the
    last paragraph (the prompt, after any stimulus) is read first.

    >>> directives_named("“Critical minerals are the new pivot.” Examine how India can respond.")
    [('examine', 'Examine')]
    >>> directives_named("Trade lags the partnership. Critically examine the barriers.")
    [('critically examine', 'Critically examine')]
    >>> directives_named("In the light of the JWG, critically evaluate its scope; analyze its limits.")
    [('evaluate', 'critically evaluate'), ('analyse', 'analyze')]
    >>> directives_named("What explains the JWG's success?")
    []
    """
    unquoted = _QUOTATION.sub(lambda m: " " * len(m.group()), text)
    paragraphs = split_paragraphs(text)
    prompt_start = paragraphs[-1][0] if paragraphs else 0
    found = sorted(_DIRECTIVE_WORD.finditer(unquoted), key=lambda m: (m.start(1) < prompt_start, m.start(1)))
    named: dict[str, str] = {}
    for match in found:
        written = " ".join(match.group(1).split())
        key = written.lower().replace("analyze", "analyse")
        directive = key if key in DIRECTIVES else key.split()[-1]
        named.setdefault(directive, written)
    return list(named.items())


def directive_named(text: str) -> str | None:
    """The directive a question's text asks for, if it names one.

    >>> directive_named("Examine the significance of Open RAN."), directive_named("Why does it matter?")
    ('examine', None)
    """
    named = directives_named(text)
    return named[0][0] if named else None


def directive_mismatch(text: str, directive: str) -> str | None:
    """Why ``directive`` contradicts the question's own words, or None when it does not.

    >>> directive_mismatch("Examine the significance of Open RAN.", "discuss")
    "The question says 'Examine' but the directive chosen is 'discuss': choose 'examine' or reword the question"
    >>> directive_mismatch("Examine the significance of Open RAN.", "Examine") is None
    True
    """
    directive = " ".join(directive.lower().split())
    named = directives_named(text)
    if not named or directive not in DIRECTIVES or directive in dict(named):
        return None
    wanted, written = named[0]
    return (f"The question says '{written}' but the directive chosen is '{directive}': "
            f"choose '{wanted}' or reword the question")


_SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


def check_safe_id(value: str) -> str:
    """Reject ids that could escape the bank folder or make awkward file names.

    >>> check_safe_id("ij-jwg")
    'ij-jwg'
    >>> check_safe_id("../etc")
    Traceback (most recent call last):
    ...
    ValueError: id '../etc' must be lower-case letters, digits, '-' or '_' (no '/', '..' or spaces), at most 80 characters
    >>> check_safe_id("")
    Traceback (most recent call last):
    ...
    ValueError: required: fill it in
    """
    if value == "":
        raise ValueError("required: fill it in")
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise ValueError(
            f"id {value!r} must be lower-case letters, digits, '-' or '_' "
            "(no '/', '..' or spaces), at most 80 characters"
        )
    return value


#: Validation context for content written for the bank (its files, the Question bank form, imports):
#: ``Rubric.model_validate(data, context=BANK_RULES)``.  It adds what an aspirant relies on but a rubric
#: built in code (a benchmark's, a scorer test's) may leave out: every point has a hint.
BANK_RULES = {"bank": True}

HINT_REQUIRED = ("required: the hint is what an aspirant reads when this point is missed "
                 "(\"Add: <label>. <hint>\"); say in one sentence what to add")


def is_function_words(phrase: str) -> bool:
    """True when a phrase has no word to look for: only function words ("the", "of it") or punctuation.

    >>> is_function_words("the"), is_function_words("; - ;"), is_function_words("the JWG"), is_function_words("5G")
    (True, True, False, False)
    """
    return all(word.lower() in STOPWORDS for word in words(phrase))


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
    hint: str = Field(default="", validate_default=True)
    evidence: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()

    _id = field_validator("id")(check_safe_id)

    @field_validator("hint")
    @classmethod
    def _hint_in_the_bank(cls, value: str, info: ValidationInfo) -> str:
        if not value and (info.context or {}).get("bank"):
            raise ValueError(HINT_REQUIRED)
        return value

    @field_validator("evidence")
    @classmethod
    def _usable_evidence(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Empty phrases (stray separators) are dropped; a phrase of only function words would match any
        answer, so it is refused by name."""
        phrases = tuple(phrase for phrase in value if phrase)
        empty = [phrase for phrase in phrases if is_function_words(phrase)]
        if empty:
            point = info.data.get("id")
            of_point = f" of point {point!r}" if point else ""
            raise ValueError(f"evidence {', '.join(map(repr, empty))}{of_point} "
                             f"{'is' if len(empty) == 1 else 'are'} only function words or punctuation: "
                             "use words an answer making this point would contain")
        return phrases

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
            raise ValueError("add at least one evidence phrase (words an answer would use) or a concept id")
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

    @field_validator("points")
    @classmethod
    def _unique_ids(cls, points: tuple[RubricPoint, ...]) -> tuple[RubricPoint, ...]:
        """Named under ``points`` (not the whole file): two points with one id."""
        ids = [p.id for p in points]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"point id {', '.join(map(repr, dupes))} is used more than once: "
                             "give each point its own id")
        return points

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
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
