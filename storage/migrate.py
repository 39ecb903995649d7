"""Schema migrations on start: every database is brought to the newest Alembic revision.

``storage.get_engine()`` calls ``upgrade(engine)`` the first time a process uses a
URL.  The revisions live in ``migrations/versions/``; the Alembic configuration is
built here in code, so it does not matter which folder the app was started from.

Several processes may start at once against one database, so the upgrade runs
under a lock and re-reads the revision once it holds it:

- PostgreSQL: a session-level ``pg_advisory_lock`` around one transaction that
  runs every pending revision (PostgreSQL's DDL is transactional: all or nothing);
- SQLite: one ``BEGIN IMMEDIATE`` transaction (the database's write lock; other
  processes wait on the busy timeout).  Foreign keys are switched off for the
  upgrade and checked before commit, as SQLite's documentation prescribes for
  schema changes: a table that ``batch_alter_table`` rebuilds would otherwise
  cascade-delete the rows that refer to it.

A database made before migrations existed (by ``Base.metadata.create_all``: tables
present, no ``alembic_version``) is adopted: stamped at ``0001_initial``, then
upgraded, so its users, drafts and attempts are kept.

A database already at ``HEAD_REVISION`` costs one small query and never imports
Alembic (which keeps the app's cold start short).  A brand-new, empty database is
not migrated step by step either: it gets the current schema from ``storage.tables``
(``create_all``) and is stamped at ``HEAD_REVISION``, the way Alembic's documentation
("Building an Up to Date Database from Scratch") recommends.  The stamp is the one
row Alembic's own ``stamp`` writes, written here so that the first launch does not
wait for Alembic's import (about 0.3 s on this machine); tests check that such a
database has exactly the schema the migrations build and that later revisions apply.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
INITIAL_REVISION = "0001_initial"
#: the newest revision in migrations/versions (tests/test_migrations.py checks it is the head)
HEAD_REVISION = "0003_question_snapshot"
#: tables the first revision creates: finding them without ``alembic_version`` means a pre-migration database
LEGACY_TABLES = frozenset({"users", "drafts", "attempts"})
#: key of the PostgreSQL advisory lock taken around upgrades ("mains" as a number)
ADVISORY_LOCK_KEY = 0x6D61696E73


class MigrationError(RuntimeError):
    """The database could not be brought to the newest schema."""


def alembic_config(connection: Connection | None = None):
    """An Alembic ``Config`` pointing at ``migrations/``; with ``connection``, env.py migrates that one."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is stamped with (None: no ``alembic_version`` table or no row)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise MigrationError(f"the database has several Alembic heads: {sorted(rows)}")
    return rows[0] if rows else None


def upgrade(engine: Engine) -> None:
    """Bring ``engine``'s database to ``HEAD_REVISION`` (a no-op when it is there already)."""
    with engine.connect() as connection:
        at_head = current_revision(connection) == HEAD_REVISION
        connection.rollback()
    if at_head:
        return
    if engine.dialect.name == "postgresql":
        _upgrade_postgresql(engine)
    elif engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine)
    else:  # another backend: no lock we know of; one transaction where the backend allows it
        with engine.begin() as connection:
            _upgrade_locked(connection)


def _upgrade_postgresql(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()
        try:
            with connection.begin():
                _upgrade_locked(connection)
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()


def _upgrade_sqlite(engine: Engine) -> None:
    from storage.engine import writer

    with writer(engine).connect() as connection:
        raw = connection.connection.driver_connection  # autocommit mode: PRAGMA foreign_keys works only outside BEGIN
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():  # BEGIN IMMEDIATE (storage.engine's begin hook)
                _upgrade_locked(connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(f"the upgrade would leave rows with broken foreign keys: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


#: Alembic's version table, as ``alembic stamp`` creates it
_VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def create_at_head(connection: Connection) -> None:
    """An empty database: the current schema in one go, stamped at ``HEAD_REVISION``."""
    from storage.tables import Base

    Base.metadata.create_all(connection)
    _VERSION_TABLE.create(connection)
    connection.execute(_VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def _upgrade_locked(connection: Connection) -> None:
    """Run inside the lock and the transaction: re-read the revision, adopt if needed, upgrade."""
    current = current_revision(connection)
    if current == HEAD_REVISION:
        return  # another process upgraded while we waited for the lock
    if current is None and not sa.inspect(connection).get_table_names():
        create_at_head(connection)
        return
    from alembic import command

    config = alembic_config(connection)
    if current is None:
        present = set(sa.inspect(connection).get_table_names()) & LEGACY_TABLES
        if present == LEGACY_TABLES:
            command.stamp(config, INITIAL_REVISION)
        elif present:
            raise MigrationError(
                f"the database has only some of the app's tables ({', '.join(sorted(present))}) and no "
                "alembic_version; refusing to guess its schema")
    command.upgrade(config, "head")
    reached = current_revision(connection)
    if reached != HEAD_REVISION:
        raise MigrationError(f"upgrade ended at {reached!r}, expected {HEAD_REVISION!r} (update HEAD_REVISION?)")


__all__ = ["upgrade", "create_at_head", "current_revision", "alembic_config", "HEAD_REVISION", "INITIAL_REVISION", "MigrationError"]
