"""Users. Single-user mode has one local user (no password, cannot sign in); accounts are in ``storage.accounts``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.engine import get_engine, writer
from storage.tables import User
from storage.timing import utcnow

LOCAL_USER = "local"


def ensure_user(name: str, *, engine: Engine | None = None) -> int:
    """The id of the user called ``name``, creating the row if needed (safe under races)."""
    engine = engine or get_engine()
    with Session(engine) as session:
        found = session.scalar(sa.select(User.id).where(User.name == name))
        if found is not None:
            return found
    try:
        with Session(writer(engine)) as session, session.begin():
            user = User(name=name, created_at=utcnow())
            session.add(user)
            session.flush()
            return user.id
    except IntegrityError:  # created by another thread in between
        with Session(engine) as session:
            return session.scalar(sa.select(User.id).where(User.name == name))


def default_user_id(*, engine: Engine | None = None) -> int:
    """The local user of single-user mode."""
    return ensure_user(LOCAL_USER, engine=engine)
