"""Drafts: the answer being written, its start and its server-side deadline.

There is at most one open draft per user and question.  Starting a question that
already has a draft resumes it (same deadline, same text), which is what makes a
refresh, leaving the page, or a server restart lose nothing but the last
unsynced seconds of typing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.engine import get_engine, writer
from storage.records import DraftRecord
from storage.tables import Draft
from storage.timing import deadline_for, utcnow


def clean_text(text: str) -> str:
    """Make text storable everywhere: NUL (refused by PostgreSQL) becomes U+FFFD.

    One character for one, so feedback spans (character offsets) stay valid.
    """
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def start_or_resume_draft(
    user_id: int,
    question_id: str,
    question_version: str,
    time_limit_minutes: float,
    *,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> DraftRecord:
    """The open draft for this user and question, or a new one whose clock starts ``now``."""
    engine = engine or get_engine()
    existing = get_open_draft(user_id, question_id, engine=engine)
    if existing is not None:
        return existing
    now = now or utcnow()
    try:
        with Session(writer(engine)) as session, session.begin():
            draft = Draft(
                user_id=user_id,
                question_id=question_id,
                question_version=question_version,
                text="",
                started_at=now,
                deadline=deadline_for(now, minutes=time_limit_minutes),
                updated_at=now,
            )
            session.add(draft)
            session.flush()
            return _record(draft)
    except IntegrityError:  # another tab started it at the same moment: resume that one
        existing = get_open_draft(user_id, question_id, engine=engine)
        if existing is None:
            raise
        return existing


def get_open_draft(user_id: int, question_id: str, *, engine: Engine | None = None) -> DraftRecord | None:
    with Session(engine or get_engine()) as session:
        draft = session.scalar(
            sa.select(Draft).where(Draft.user_id == user_id, Draft.question_id == question_id)
        )
        return _record(draft) if draft else None


def get_draft(user_id: int, draft_id: int, *, engine: Engine | None = None) -> DraftRecord | None:
    """A draft by id, only if it belongs to ``user_id`` and is still open."""
    with Session(engine or get_engine()) as session:
        draft = session.scalar(sa.select(Draft).where(Draft.id == draft_id, Draft.user_id == user_id))
        return _record(draft) if draft else None


def list_open_drafts(user_id: int, *, engine: Engine | None = None) -> list[DraftRecord]:
    """Unfinished answers, most recently touched first."""
    with Session(engine or get_engine()) as session:
        drafts = session.scalars(
            sa.select(Draft).where(Draft.user_id == user_id).order_by(Draft.updated_at.desc(), Draft.id.desc())
        )
        return [_record(d) for d in drafts]


def save_draft_text(
    user_id: int,
    draft_id: int,
    text: str,
    *,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> bool:
    """Autosave: replace the draft's text. False if the draft is closed or not this user's."""
    with Session(writer(engine or get_engine())) as session, session.begin():
        result = session.execute(
            sa.update(Draft)
            .where(Draft.id == draft_id, Draft.user_id == user_id)
            .values(text=clean_text(text), updated_at=now or utcnow())
        )
        return result.rowcount > 0


def discard_draft(user_id: int, draft_id: int, *, engine: Engine | None = None) -> bool:
    """Throw an unfinished answer away (an explicit choice of the aspirant)."""
    with Session(writer(engine or get_engine())) as session, session.begin():
        result = session.execute(sa.delete(Draft).where(Draft.id == draft_id, Draft.user_id == user_id))
        return result.rowcount > 0


def _record(draft: Draft) -> DraftRecord:
    return DraftRecord(
        id=draft.id,
        user_id=draft.user_id,
        question_id=draft.question_id,
        question_version=draft.question_version,
        text=draft.text,
        started_at=draft.started_at,
        deadline=draft.deadline,
        updated_at=draft.updated_at,
    )
