"""Alembic environment: the app's metadata, and the database the app would use.

Called two ways:

- by the app (``storage.migrate.upgrade``), which passes an open connection in
  ``config.attributes["connection"]`` inside a transaction it holds under a lock;
- by the ``alembic`` command line (``alembic.ini``), which connects to
  ``storage.engine.database_url()`` (``DATABASE_URL`` or the default SQLite file).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from storage.tables import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Revisions are frozen: the app's UTCDateTime is written as the plain DateTime it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure(**kwargs) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True, render_item=render_item, **kwargs)


def run_offline() -> None:
    from storage.engine import database_url, normalise_url

    url = normalise_url(database_url())
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    from storage.engine import database_url, normalise_url

    engine = sa.create_engine(normalise_url(database_url()), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
