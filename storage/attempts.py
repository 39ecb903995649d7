"""Attempts: submitted answers and the feedback they were given.

``submit_attempt`` records the attempt and closes its draft in one short
transaction, so an answer is never both lost from drafts and missing from
history.  The feedback is stored as the JSON it was given and read back as is.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scoring.feedback import Feedback
from scoring.models import Question
from storage.drafts import clean_text
from storage.engine import get_engine, writer
from storage.records import AttemptRecord
from storage.tables import Attempt, Draft
from storage.timing import elapsed_seconds, overtime_seconds, utcnow


class DraftNotFound(LookupError):
    """The draft was already submitted or discarded, or belongs to someone else."""


def submit_attempt(
    user_id: int,
    draft_id: int,
    answer: str,
    feedback: Feedback,
    *,
    question: Question | None = None,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> AttemptRecord:
    """Record ``answer`` with its ``feedback`` (and the ``question`` as answered) and close the draft, in one
    transaction.

    Time taken and overtime come from the draft's server-side start and deadline,
    measured at ``now`` (pass the same ``now`` used to decide the overtime flag).
    Raises ``DraftNotFound`` if the draft is no longer open for this user.
    """
    now = now or utcnow()
    answer = clean_text(answer)
    with Session(writer(engine or get_engine())) as session, session.begin():
        # FOR UPDATE: on PostgreSQL a second submit of the same draft (double click, two tabs)
        # waits here, then finds the draft gone; SQLite's BEGIN IMMEDIATE already serialises writers.
        draft = session.scalar(
            sa.select(Draft).where(Draft.id == draft_id, Draft.user_id == user_id).with_for_update())
        if draft is None:
            raise DraftNotFound(f"draft {draft_id} is not open")
        attempt = Attempt(
            user_id=user_id,
            question_id=draft.question_id,
            question_version=feedback.question_version or draft.question_version,
            answer=answer,
            feedback_json=feedback.model_dump_json(),
            marks=feedback.marks,
            max_marks=feedback.max_marks,
            words=feedback.length.words if feedback.length else len(answer.split()),
            started_at=draft.started_at,
            submitted_at=now,
            time_limit_seconds=round((draft.deadline - draft.started_at).total_seconds()),
            time_taken_seconds=elapsed_seconds(draft.started_at, now),
            overtime_seconds=overtime_seconds(draft.deadline, now),
            question_json=question.model_dump_json() if question is not None else None,
        )
        session.add(attempt)
        session.delete(draft)
        session.flush()
        return _record(attempt)


def get_attempt(user_id: int, attempt_id: int, *, engine: Engine | None = None) -> AttemptRecord | None:
    """One attempt, only if it is ``user_id``'s."""
    with Session(engine or get_engine()) as session:
        attempt = session.scalar(sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id))
        return _record(attempt) if attempt else None


def list_attempts(
    user_id: int,
    *,
    question_id: str | None = None,
    newest_first: bool = True,
    limit: int | None = None,
    engine: Engine | None = None,
) -> list[AttemptRecord]:
    """A user's attempts (optionally for one question), newest first by default."""
    order = (Attempt.submitted_at.desc(), Attempt.id.desc()) if newest_first else (
        Attempt.submitted_at.asc(), Attempt.id.asc())
    query = sa.select(Attempt).where(Attempt.user_id == user_id).order_by(*order)
    if question_id is not None:
        query = query.where(Attempt.question_id == question_id)
    if limit is not None:
        query = query.limit(limit)
    with Session(engine or get_engine()) as session:
        return [_record(a) for a in session.scalars(query)]


def count_attempts(user_id: int, *, engine: Engine | None = None) -> int:
    with Session(engine or get_engine()) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.user_id == user_id))


def attempted_question_ids(user_id: int, *, engine: Engine | None = None) -> set[str]:
    with Session(engine or get_engine()) as session:
        return set(session.scalars(sa.select(Attempt.question_id).where(Attempt.user_id == user_id).distinct()))


def _record(attempt: Attempt) -> AttemptRecord:
    return AttemptRecord(
        id=attempt.id,
        user_id=attempt.user_id,
        question_id=attempt.question_id,
        question_version=attempt.question_version,
        answer=attempt.answer,
        feedback_json=attempt.feedback_json,
        marks=attempt.marks,
        max_marks=attempt.max_marks,
        words=attempt.words,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        time_limit_seconds=attempt.time_limit_seconds,
        time_taken_seconds=attempt.time_taken_seconds,
        overtime_seconds=attempt.overtime_seconds,
        question_json=attempt.question_json,
    )
