"""Plain, immutable copies of rows handed to callers (no live ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scoring.feedback import Feedback
from scoring.models import Question


@dataclass(frozen=True)
class DraftRecord:
    id: int
    user_id: int
    question_id: str
    question_version: str
    text: str
    started_at: datetime
    deadline: datetime
    updated_at: datetime

    @property
    def time_limit_seconds(self) -> int:
        return round((self.deadline - self.started_at).total_seconds())


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    user_id: int
    question_id: str
    question_version: str
    answer: str
    feedback_json: str
    marks: float
    max_marks: float
    words: int
    started_at: datetime
    submitted_at: datetime
    time_limit_seconds: int
    time_taken_seconds: int
    overtime_seconds: int

    question_json: str | None = None  # the question as answered; None for attempts recorded before it was kept

    @cached_property
    def feedback(self) -> Feedback:
        """The feedback exactly as it was given (parsed from the stored JSON, never recomputed)."""
        return Feedback.model_validate_json(self.feedback_json)

    @cached_property
    def question(self) -> Question | None:
        """The question exactly as it was answered (its text, marks and model answer then), if it was kept."""
        return Question.model_validate_json(self.question_json) if self.question_json else None

    @property
    def percent(self) -> float:
        return 100.0 * self.marks / self.max_marks if self.max_marks else 0.0
