"""The database schema: users, drafts and attempts (never a copy of the bank); accounts' sessions and failed logins.

Questions and rubrics live in YAML files; rows here only name them by
``question_id`` and the ``question_version`` (a content hash) they were written
against, so editing a question later never rewrites past feedback.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (portable to SQLite); always read back timezone-aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    """Someone who practises: the local user of single-user mode, or an account (multi-user mode).

    The local user has no password and can never sign in; an account's password is
    kept only as an argon2 hash (``storage.accounts``).  ``role`` is ``aspirant`` or
    ``mentor``.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, default=None)
    role: Mapped[str] = mapped_column(sa.String(16), default="aspirant", server_default="aspirant")


class LoginSession(Base):
    """A signed-in browser session.  Only the SHA-256 of its random token is stored.

    It ends at ``expires_at`` (absolute) or after a spell without use (idle, measured
    from ``last_seen_at``), whichever comes first.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One failed sign-in, kept for a while so repeated failures are throttled across processes.

    ``account`` is the normalised name that was tried (it need not exist); ``client``
    is the client's address when known.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(120), index=True)
    client: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Draft(Base):
    """An answer being written: at most one open draft per user and question.

    The deadline lives here, on the server, so a refresh resumes the same clock.
    A draft is closed (deleted) in the same transaction that records its attempt.
    """

    __tablename__ = "drafts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "question_id", name="uq_draft_user_question"),
        {"sqlite_autoincrement": True},  # ids are never reused, so a stale tab cannot write into a newer draft
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(80))
    question_version: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attempt(Base):
    """A submitted answer with the feedback exactly as it was given (JSON)."""

    __tablename__ = "attempts"
    __table_args__ = (
        sa.Index("ix_attempts_user_submitted", "user_id", "submitted_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    question_version: Mapped[str] = mapped_column(sa.String(64))
    answer: Mapped[str] = mapped_column(sa.Text)
    feedback_json: Mapped[str] = mapped_column(sa.Text)
    marks: Mapped[float] = mapped_column(sa.Float)
    max_marks: Mapped[float] = mapped_column(sa.Float)
    words: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_limit_seconds: Mapped[int] = mapped_column(sa.Integer)
    time_taken_seconds: Mapped[int] = mapped_column(sa.Integer)
    overtime_seconds: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: the question as it was answered (``Question`` as JSON): the attempt keeps its text and model answer
    #: after the bank edits or deletes it (NULL for attempts recorded before revision 0003)
    question_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
