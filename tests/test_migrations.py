"""Migrations: a database upgraded to head has exactly the app's schema, on SQLite and PostgreSQL;
a database made before migrations keeps its history; processes starting together do not race."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

import storage
from storage import migrate
from storage.engine import normalise_url
from storage.tables import Base
from tests.conftest import REPO_ROOT

T0 = datetime(2024, 12, 31, 18, 30, tzinfo=timezone.utc)


def _bare_engine(url: str) -> sa.Engine:
    """An engine without storage's migration-on-first-use (to look at, or prepare, the raw database)."""
    return sa.create_engine(normalise_url(url), poolclass=sa.pool.NullPool)


def _schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = _bare_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_head_revision_constant_is_the_head_of_the_scripts():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_heads() == [migrate.HEAD_REVISION]
    assert script.get_base() == migrate.INITIAL_REVISION


def test_a_database_upgraded_to_head_has_exactly_the_tables_of_the_code(any_database):
    from alembic import command

    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "head")  # every revision, step by step
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
    engine.dispose()
    assert _schema_differences(any_database) == []


def _alembic_version_row(url: str) -> list:
    engine = _bare_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    finally:
        engine.dispose()


def test_a_new_database_is_created_at_head_and_later_revisions_still_apply(any_database):
    """The fast path for an empty database: same schema as the migrations build, a stamp
    Alembic reads as head, and Alembic can walk down and up again from it."""
    from alembic import command

    storage.get_engine()  # an empty database: create_all + stamp, no migrations run
    storage.dispose_engines()
    assert _alembic_version_row(any_database) == [migrate.HEAD_REVISION]
    assert _schema_differences(any_database) == []
    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), migrate.INITIAL_REVISION)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.INITIAL_REVISION
        assert "login_sessions" not in sa.inspect(connection).get_table_names()
    engine.dispose()
    storage.get_engine()  # now a real upgrade from 0001 to head
    storage.dispose_engines()
    assert _alembic_version_row(any_database) == [migrate.HEAD_REVISION]
    assert _schema_differences(any_database) == []


def test_the_schema_comparison_does_notice_a_difference(any_database):
    """The check above is not vacuous: a column missing from the database is reported."""
    storage.get_engine()
    storage.dispose_engines()
    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_attempts_question_id")
    engine.dispose()
    differences = _schema_differences(any_database)
    assert any(d[0] == "add_index" and d[1].name == "ix_attempts_question_id" for d in differences), differences


def test_downgrade_to_base_and_upgrade_again(any_database):
    from alembic import command

    storage.get_engine()
    storage.dispose_engines()
    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    storage.get_engine()
    storage.dispose_engines()
    assert _schema_differences(any_database) == []


# The schema as ``Base.metadata.create_all`` made it before migrations existed (commit 7cadb59):
# frozen here, because storage/tables.py moves on.
LEGACY = sa.MetaData()
sa.Table(
    "users", LEGACY,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), unique=True, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Table(
    "drafts", LEGACY,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False),
    sa.Column("question_id", sa.String(80), nullable=False),
    sa.Column("question_version", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("deadline", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("user_id", "question_id", name="uq_draft_user_question"),
    sqlite_autoincrement=True,
)
sa.Table(
    "attempts", LEGACY,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question_id", sa.String(80), index=True, nullable=False),
    sa.Column("question_version", sa.String(64), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("feedback_json", sa.Text, nullable=False),
    sa.Column("marks", sa.Float, nullable=False),
    sa.Column("max_marks", sa.Float, nullable=False),
    sa.Column("words", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("time_limit_seconds", sa.Integer, nullable=False),
    sa.Column("time_taken_seconds", sa.Integer, nullable=False),
    sa.Column("overtime_seconds", sa.Integer, nullable=False),
    sa.Index("ix_attempts_user_submitted", "user_id", "submitted_at"),
    sqlite_autoincrement=True,
)


def test_a_database_made_before_migrations_is_adopted_and_keeps_its_history(any_database):
    from tests.test_storage import make_feedback

    feedback = make_feedback("ij-foip", 7.5)
    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        LEGACY.create_all(connection)
        naive = T0.replace(tzinfo=None)
        # ids from the database itself (a PostgreSQL sequence must move on as it did for real users)
        user_id = connection.execute(
            LEGACY.tables["users"].insert().values(name="local", created_at=naive)).inserted_primary_key[0]
        connection.execute(LEGACY.tables["attempts"].insert(), [{
            "user_id": user_id, "question_id": "ij-foip", "question_version": "abc", "answer": "My answer.",
            "feedback_json": feedback.model_dump_json(), "marks": 7.5, "max_marks": 10, "words": 120,
            "started_at": naive, "submitted_at": naive, "time_limit_seconds": 420, "time_taken_seconds": 300,
            "overtime_seconds": 0,
        }])
        connection.execute(LEGACY.tables["drafts"].insert(), [{
            "user_id": user_id, "question_id": "ij-minerals", "question_version": "def", "text": "half written",
            "started_at": naive, "deadline": naive, "updated_at": naive,
        }])
    engine.dispose()

    storage.get_engine()  # adopts (stamps 0001_initial) and upgrades to head
    user = storage.default_user_id()
    assert user == user_id
    [attempt] = storage.list_attempts(user)
    assert (attempt.answer, attempt.marks, attempt.submitted_at) == ("My answer.", 7.5, T0)
    assert attempt.feedback == feedback
    assert attempt.question is None  # recorded before attempts kept their question
    [draft] = storage.list_open_drafts(user)
    assert draft.text == "half written"
    assert storage.submit_attempt(user, draft.id, "done", make_feedback("ij-minerals")).id > attempt.id
    with storage.get_engine().connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD_REVISION
        if "role" in {c["name"] for c in sa.inspect(connection).get_columns("users")}:
            assert connection.execute(sa.text("SELECT role FROM users WHERE id = :id"),
                                      {"id": user_id}).scalar() == "aspirant"
    storage.dispose_engines()
    assert _schema_differences(any_database) == []


def test_a_database_with_only_some_tables_is_refused_not_guessed(any_database):
    engine = _bare_engine(any_database)
    with engine.begin() as connection:
        LEGACY.tables["users"].create(connection)
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match="only some of the app's tables"):
        storage.get_engine()


def test_processes_starting_together_all_upgrade_without_error(any_database):
    """Four app processes open one fresh database at the same moment: the lock lets one migrate, the rest wait."""
    code = textwrap.dedent(
        """
        import sys, time
        import storage
        start = float(sys.argv[1])
        while time.time() < start:
            time.sleep(0.005)
        storage.get_engine()
        print(storage.default_user_id())
        """
    )
    import time

    start = time.time() + 3.0  # every process has imported storage by then
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(start)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [process.communicate(timeout=90) + (process.returncode,) for process in processes]
    assert [r[2] for r in results] == [0, 0, 0, 0], [r[1][-2000:] for r in results]
    assert len({r[0].strip() for r in results}) == 1  # one local user, seen by all
    assert _schema_differences(any_database) == []
