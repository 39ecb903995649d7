"""Accounts for multi-user mode: names, argon2 password hashes, roles, sessions and throttled logins.

Single-user mode never touches this module: its ``local`` user has no password
and cannot sign in.  In multi-user mode (``MAINS_MULTI_USER=1``):

* a password is kept only as an argon2id hash (argon2-cffi's ``PasswordHasher``,
  re-hashed on login when its parameters are out of date);
* the first account made with a password becomes a mentor (decided inside the
  write transaction, so two simultaneous sign-ups cannot both be "first");
  later sign-ups are aspirants; ``python -m storage create-mentor NAME`` makes more;
* a session is a random token (``secrets.token_urlsafe``) of which only the SHA-256
  is stored; it ends after ``MAINS_SESSION_IDLE_MINUTES`` without use or
  ``MAINS_SESSION_HOURS`` after sign-in, whichever comes first;
* failed sign-ins are stored (table ``login_failures``), so throttling holds
  across processes: after ``account_limit`` failures for one name (or
  ``client_limit`` from one client address) within ``window``, every further try,
  even with the right password, is refused for a lock period that doubles with
  each further failure, up to ``max_lock``.  A try is stored as a failure before
  its password is checked, so simultaneous tries cannot slip past the limit.

Every error is an ``AccountError`` whose message is one line, fit to show as is.

>>> normalise_name("  Asha.K ")
'asha.k'
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import secrets
import unicodedata
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.engine import get_engine, writer
from storage.tables import LoginFailure, LoginSession, User
from storage.timing import utcnow
from storage.users import LOCAL_USER

ASPIRANT, MENTOR = "aspirant", "mentor"
ROLES = (ASPIRANT, MENTOR)

NAME_MIN, NAME_MAX = 3, 32
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
RESERVED_NAMES = frozenset({LOCAL_USER, "admin", "root", "system"})
PASSWORD_MIN, PASSWORD_MAX = 8, 1024

#: how often (at most) a session's last use is written back; see ``touch_every``
TOUCH_EVERY = timedelta(seconds=60)

_hasher = PasswordHasher()  # argon2id with the library's current (RFC 9106) defaults


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name does not exist, so a wrong name costs as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


# --------------------------------------------------------------------------- errors


class AccountError(ValueError):
    """A problem the person can fix; the message is one line."""


class InvalidName(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class NameTaken(AccountError):
    pass


class UnknownAccount(AccountError):
    pass


class LoginFailed(AccountError):
    pass


class LoginThrottled(AccountError):
    """Too many failed sign-ins: no try is checked until ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: int, prefix: str = ""):
        self.retry_after = retry_after
        super().__init__(f"{prefix}Too many failed sign-ins: wait {_duration(retry_after)} before trying again.")


# --------------------------------------------------------------------------- settings


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in ("1", "true", "yes", "on")


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value > 0 or math.isinf(value):
        raise AccountError(f"{name} must be a positive number, not {raw!r}")
    return value


def multi_user_enabled() -> bool:
    """``MAINS_MULTI_USER`` is 1, true, yes or on (off by default: one aspirant, no login)."""
    return _env_flag("MAINS_MULTI_USER")


def signup_open() -> bool:
    """Anyone may create an aspirant account unless ``MAINS_SIGNUP=closed`` (then mentors create them)."""
    return os.environ.get("MAINS_SIGNUP", "open").strip().lower() not in ("closed", "0", "false", "no", "off")


def session_lifetime() -> timedelta:
    """Absolute session length: ``MAINS_SESSION_HOURS`` (default 12)."""
    return timedelta(hours=_env_number("MAINS_SESSION_HOURS", 12))


def session_idle_timeout() -> timedelta:
    """A session unused this long ends: ``MAINS_SESSION_IDLE_MINUTES`` (default 120)."""
    return timedelta(minutes=_env_number("MAINS_SESSION_IDLE_MINUTES", 120))


def touch_every() -> timedelta:
    """How often a session's last use is written back: every minute, or a quarter of a shorter idle limit.

    With a one-minute write, an idle limit of a minute or less ended sessions that were in use.
    """
    return min(TOUCH_EVERY, session_idle_timeout() / 4)


@dataclass(frozen=True)
class ThrottlePolicy:
    account_limit: int = 5  # failures for one name within the window before a lock
    client_limit: int = 30  # failures from one client address (an institute may share one address)
    window: timedelta = timedelta(hours=1)
    base_lock: timedelta = timedelta(seconds=30)
    max_lock: timedelta = timedelta(minutes=15)

    def lock_for(self, failures: int, limit: int) -> timedelta:
        """No lock below ``limit`` failures; then base_lock, doubling with each further failure."""
        if failures < limit:
            return timedelta(0)
        return min(self.base_lock * (2 ** min(failures - limit, 30)), self.max_lock)


THROTTLE = ThrottlePolicy()


def throttle_policy() -> ThrottlePolicy:
    """The policy in force: ``THROTTLE``, with ``MAINS_LOGIN_CLIENT_LIMIT`` failures per client address
    (0 switches the per-address limit off, for deployments where every client has the same address)."""
    raw = os.environ.get("MAINS_LOGIN_CLIENT_LIMIT", "").strip()
    if not raw:
        return THROTTLE
    if not raw.isdigit():
        raise AccountError(f"MAINS_LOGIN_CLIENT_LIMIT must be a whole number (0: no per-address limit), not {raw!r}")
    return dataclasses.replace(THROTTLE, client_limit=int(raw))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: str
    created_at: datetime

    @property
    def is_mentor(self) -> bool:
        return self.role == MENTOR


def _user_record(user: User) -> UserRecord:
    return UserRecord(id=user.id, name=user.name, role=user.role or ASPIRANT, created_at=user.created_at)


# --------------------------------------------------------------------------- names and passwords


def normalise_name(name: str) -> str:
    """The canonical form of a sign-in name (NFKC, trimmed, case-folded), validated.

    Raises ``InvalidName`` with what is wrong.
    """
    if not isinstance(name, str):
        raise InvalidName("the name must be text")
    canonical = unicodedata.normalize("NFKC", name).strip().casefold()
    if not canonical:
        raise InvalidName("enter a name")
    if not NAME_MIN <= len(canonical) <= NAME_MAX:
        raise InvalidName(f"a name has {NAME_MIN} to {NAME_MAX} characters (this one has {len(canonical)})")
    if not NAME_PATTERN.fullmatch(canonical):
        raise InvalidName("a name uses only letters a–z, digits, '.', '_' and '-', and starts with a letter or digit")
    if canonical in RESERVED_NAMES:
        raise InvalidName(f"the name {canonical!r} is reserved; choose another")
    return canonical


def check_password(password: str, *, name: str | None = None) -> None:
    """Raise ``WeakPassword`` if ``password`` is too short, too long, or the name itself."""
    if not isinstance(password, str):
        raise WeakPassword("the password must be text")
    if len(password) < PASSWORD_MIN:
        raise WeakPassword(f"a password has at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise WeakPassword(f"a password has at most {PASSWORD_MAX} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")
    if name is not None and password.strip().casefold() == name:
        raise WeakPassword("the password cannot be the name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --------------------------------------------------------------------------- accounts


def create_account(
    name: str,
    password: str,
    role: str | None = None,
    *,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> UserRecord:
    """Make an account.  With ``role=None`` the first account becomes a mentor, later ones aspirants.

    Raises ``InvalidName``, ``WeakPassword``, ``NameTaken`` or ``AccountError`` (bad role).
    """
    name = normalise_name(name)
    check_password(password, name=name)
    if role is not None and role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    password_hash = hash_password(password)  # slow on purpose: outside the write transaction
    engine = engine or get_engine()
    try:
        with Session(writer(engine)) as session, session.begin():
            if engine.dialect.name == "postgresql":
                # SQLite's BEGIN IMMEDIATE already serialises writers; here, make "is this the
                # first account?" and the insert one step for concurrent sign-ups.
                session.execute(sa.text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
            if session.scalar(sa.select(User.id).where(User.name == name)) is not None:
                raise NameTaken(f"the name {name!r} is taken; choose another")
            if role is None:
                has_accounts = session.scalar(
                    sa.select(User.id).where(User.password_hash.is_not(None)).limit(1)) is not None
                role = ASPIRANT if has_accounts else MENTOR
            user = User(name=name, created_at=now or utcnow(), password_hash=password_hash, role=role)
            session.add(user)
            session.flush()
            return _user_record(user)
    except IntegrityError as exc:
        raise NameTaken(f"the name {name!r} is taken; choose another") from exc


def create_mentor(name: str, password: str, *, engine: Engine | None = None) -> UserRecord:
    return create_account(name, password, MENTOR, engine=engine)


def get_account(name_or_id: str | int, *, engine: Engine | None = None) -> UserRecord | None:
    """An account (a user with a password) by id or by name; None if there is none."""
    if isinstance(name_or_id, int):
        condition = User.id == name_or_id
    else:
        try:
            condition = User.name == normalise_name(name_or_id)
        except InvalidName:
            return None
    with Session(engine or get_engine()) as session:
        user = session.scalar(sa.select(User).where(condition, User.password_hash.is_not(None)))
        return _user_record(user) if user else None


def has_accounts(*, engine: Engine | None = None) -> bool:
    """Whether any account exists yet (the first one made becomes a mentor)."""
    with Session(engine or get_engine()) as session:
        return session.scalar(sa.select(User.id).where(User.password_hash.is_not(None)).limit(1)) is not None


def list_accounts(*, engine: Engine | None = None) -> list[UserRecord]:
    """Every account (the passwordless local user is not one), by name."""
    with Session(engine or get_engine()) as session:
        users = session.scalars(sa.select(User).where(User.password_hash.is_not(None)).order_by(User.name))
        return [_user_record(u) for u in users]


def _require_account(session: Session, name_or_id: str | int) -> User:
    if isinstance(name_or_id, int):
        user = session.get(User, name_or_id)
    else:
        user = session.scalar(sa.select(User).where(User.name == normalise_name(name_or_id)))
    if user is None or user.password_hash is None:
        raise UnknownAccount(f"no account called {name_or_id!r}")
    return user


def set_role(name_or_id: str | int, role: str, *, engine: Engine | None = None) -> UserRecord:
    """Make an account a mentor or an aspirant.  The last mentor cannot be made an aspirant."""
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    with Session(writer(engine or get_engine())) as session, session.begin():
        user = _require_account(session, name_or_id)
        if user.role == MENTOR and role != MENTOR:
            mentors = session.scalar(sa.select(sa.func.count()).select_from(User).where(
                User.role == MENTOR, User.password_hash.is_not(None)))
            if mentors <= 1:
                raise AccountError(f"{user.name!r} is the only mentor; make another mentor first")
        user.role = role
        session.flush()
        return _user_record(user)


def set_password(name_or_id: str | int, password: str, *, engine: Engine | None = None) -> UserRecord:
    """Replace an account's password and end all its sessions."""
    engine = engine or get_engine()
    with Session(engine) as session:
        name = _require_account(session, name_or_id).name
    check_password(password, name=name)
    password_hash = hash_password(password)
    with Session(writer(engine)) as session, session.begin():
        user = _require_account(session, name)
        user.password_hash = password_hash
        session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
        session.execute(sa.delete(LoginFailure).where(LoginFailure.account == name))
        session.flush()
        return _user_record(user)


# --------------------------------------------------------------------------- signing in


def authenticate(
    name: str,
    password: str,
    ip: str | None = None,
    *,
    now: datetime | None = None,
    engine: Engine | None = None,
    policy: ThrottlePolicy | None = None,
) -> UserRecord:
    """The account if ``password`` is right and no lock is in force.

    Raises ``LoginThrottled`` (with ``retry_after`` seconds) while locked, whatever the
    password, and ``LoginFailed`` for a wrong name or password (the same message for both).
    """
    now = now or utcnow()
    engine = engine or get_engine()
    policy = policy or throttle_policy()
    account = _failure_key(name)
    client = ip.strip()[:64] if isinstance(ip, str) and ip.strip() else None
    attempt = _record_attempt(engine, account, client, now, policy)
    with Session(engine) as session:
        wait = _lock_remaining(session, account, client, now, policy, besides=attempt)
        user = session.scalar(sa.select(User).where(User.name == account, User.password_hash.is_not(None)))
        stored = user.password_hash if user else None
        user_id = user.id if user else None
    if wait > 0:
        with Session(writer(engine)) as session, session.begin():  # a refused try is not a failure
            session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt))
        raise LoginThrottled(wait)
    if not isinstance(password, str) or not _verify(stored, password):
        with Session(engine) as session:  # the try's own record stays: it is the failure
            wait = _lock_remaining(session, account, client, now, policy)
        if wait > 0:
            raise LoginThrottled(wait, prefix="Wrong name or password. ")
        raise LoginFailed("Wrong name or password.")
    with Session(writer(engine)) as session, session.begin():
        session.execute(sa.delete(LoginFailure).where(LoginFailure.account == account))
        user = session.get(User, user_id)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.flush()
        return _user_record(user)


def _failure_key(name: str) -> str:
    """What failures are counted under: the normalised name, or a best effort for an invalid one."""
    try:
        return normalise_name(name)
    except InvalidName:
        text = name if isinstance(name, str) else ""
        text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
        text = "".join(c if c.isprintable() else "\ufffd" for c in text)  # NUL is refused by PostgreSQL
        return unicodedata.normalize("NFKC", text).strip().casefold()[:120]


def _record_attempt(engine: Engine, account: str, client: str | None, now: datetime,
                    policy: ThrottlePolicy) -> int:
    """Store a try as a failure before its password is checked; its row id.

    Recording first makes the limit hold for simultaneous tries: of two tries, at least
    one sees the other's record when it checks the lock, so no more than the allowed
    number of passwords is ever checked.  A right password deletes the record.
    """
    with Session(writer(engine)) as session, session.begin():
        attempt = LoginFailure(account=account, client=client, failed_at=now)
        session.add(attempt)
        session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < now - policy.window))
        session.flush()
        return attempt.id


def _lock_remaining(session: Session, account: str, client: str | None, now: datetime,
                    policy: ThrottlePolicy, besides: int | None = None) -> int:
    """Whole seconds until a try is checked again (0: not locked), counting every failure but ``besides``."""
    since = now - policy.window
    wait = 0.0
    for column, value, limit in ((LoginFailure.account, account, policy.account_limit),
                                 (LoginFailure.client, client, policy.client_limit)):
        if value is None or limit <= 0:
            continue
        counted = [column == value, LoginFailure.failed_at > since]
        if besides is not None:
            counted.append(LoginFailure.id != besides)
        count, last = session.execute(
            sa.select(sa.func.count(), sa.func.max(LoginFailure.failed_at)).where(*counted)
        ).one()
        if last is None:
            continue
        lock = policy.lock_for(count, limit)
        wait = max(wait, (last + lock - now).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def lock_remaining(name: str, ip: str | None = None, *, now: datetime | None = None,
                   engine: Engine | None = None, policy: ThrottlePolicy | None = None) -> int:
    """Seconds before ``name`` (from ``ip``) may try to sign in again; 0 if it may now."""
    client = ip.strip()[:64] if isinstance(ip, str) and ip.strip() else None
    with Session(engine or get_engine()) as session:
        return _lock_remaining(session, _failure_key(name), client, now or utcnow(), policy or throttle_policy())


# --------------------------------------------------------------------------- sessions


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(user_id: int, *, now: datetime | None = None, engine: Engine | None = None) -> str:
    """A new session for ``user_id``; returns its token (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with Session(writer(engine or get_engine())) as session, session.begin():
        session.execute(sa.delete(LoginSession).where(LoginSession.expires_at <= now))  # tidy old ones
        session.add(LoginSession(user_id=user_id, token_hash=_token_hash(token), created_at=now,
                                 last_seen_at=now, expires_at=now + session_lifetime()))
    return token


def resolve_session(token: str | None, *, now: datetime | None = None,
                    engine: Engine | None = None) -> UserRecord | None:
    """The signed-in account for ``token``, or None (unknown, ended, idle too long or past its end).

    An expired session is deleted.  Each use moves the idle deadline on.
    """
    if not isinstance(token, str) or not token:
        return None
    now = now or utcnow()
    engine = engine or get_engine()
    digest = _token_hash(token)
    with Session(engine) as session:
        row = session.execute(
            sa.select(LoginSession, User).join(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == digest)
        ).first()
        if row is None:
            return None
        login, user = row
        expired = (now >= login.expires_at or now - login.last_seen_at >= session_idle_timeout()
                   or user.password_hash is None)
        record = _user_record(user)
        stale = now - login.last_seen_at >= touch_every()
    if expired:
        end_session(token, engine=engine)
        return None
    if stale:
        with Session(writer(engine)) as session, session.begin():
            session.execute(sa.update(LoginSession).where(LoginSession.token_hash == digest)
                            .values(last_seen_at=now))
    return record


def end_session(token: str | None, *, engine: Engine | None = None) -> None:
    """Sign out: the token stops working at once."""
    if not isinstance(token, str) or not token:
        return
    with Session(writer(engine or get_engine())) as session, session.begin():
        session.execute(sa.delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def _duration(seconds: int) -> str:
    """``45 seconds``, ``2 minutes``, ``2 minutes 5 seconds``."""
    seconds = max(1, int(seconds))
    minutes, secs = divmod(seconds, 60)
    if not minutes:
        return f"{secs} second{'s' * (secs != 1)}"
    text = f"{minutes} minute{'s' * (minutes != 1)}"
    return f"{text} {secs} second{'s' * (secs != 1)}" if secs else text
