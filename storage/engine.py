"""Where the database is and how to talk to it safely from many threads.

``DATABASE_URL`` picks the database; by default it is the SQLite file
``data/mains.db`` beside the code (the folder is created).  A ``postgresql://``
(or ``postgres://``) URL is served by psycopg 3 (``postgresql+psycopg``).  The
first use of a URL in a process brings its schema to the newest Alembic revision
(``storage.migrate``), under a lock, so processes starting together do not race.

For SQLite every connection gets WAL journalling and a busy timeout, and write transactions
start with ``BEGIN IMMEDIATE`` so that two writers queue on the timeout instead
of failing with "database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

#: how long a SQLite writer waits for the lock before giving up (milliseconds)
BUSY_TIMEOUT_MS = 30_000
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "mains.db"
#: connections kept per process for a server database (PostgreSQL); see docs/DEPLOY.md for sizing
POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
MAX_OVERFLOW = int(os.environ.get("DATABASE_MAX_OVERFLOW", "20"))

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url() -> str:
    """``$DATABASE_URL``, or the default SQLite file ``data/mains.db``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url or f"sqlite:///{DEFAULT_DB_PATH}"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy 2.0 would pick psycopg2)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process, its schema migrated to the newest revision on first use."""
    from storage import migrate

    url = url or database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            try:
                migrate.upgrade(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
        return engine


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at BEGIN (SQLite)."""
    return engine.execution_options(storage_begin="immediate")


def dispose_engines() -> None:
    """Close every pooled connection (tests switch databases between cases)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create_engine(url: str) -> Engine:
    url = normalise_url(url)
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return sa.create_engine(
            url,
            pool_pre_ping=True,  # a server restart or an idle timeout drops connections: test before use
            pool_size=POOL_SIZE,
            max_overflow=MAX_OVERFLOW,
            pool_timeout=60,
        )
    database = sa_url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        pool_size=10,
        max_overflow=30,
        pool_timeout=60,
    )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
            except Exception:  # another connection is switching it at this instant
                pass
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        mode = connection.get_execution_options().get("storage_begin")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "immediate" else "BEGIN")


def journal_mode(engine: Engine) -> str:
    """The SQLite journal mode in force ('wal'), or the backend name for other databases."""
    if engine.dialect.name != "sqlite":
        return engine.dialect.name
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()


__all__ = ["database_url", "normalise_url", "get_engine", "writer", "dispose_engines", "journal_mode", "OperationalError"]
