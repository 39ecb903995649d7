"""Accounts: password hashing, names, the first mentor, throttled sign-in, session expiry, the CLI.

Everything that touches the database runs on SQLite and on PostgreSQL (``any_database``).
Time is injected (``now=``), so expiry and lock periods are tested without waiting.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

import storage
from storage import accounts
from storage.tables import LoginFailure, LoginSession, User
from storage.timing import utcnow

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def stored_user(name: str) -> User:
    with Session(storage.get_engine()) as session:
        user = session.scalar(sa.select(User).where(User.name == name))
        session.expunge_all()
        return user


# ------------------------------------------------------------------ names and passwords (no database)


@pytest.mark.parametrize("raw, canonical", [
    ("asha", "asha"), ("  Asha.K ", "asha.k"), ("ASHA_99", "asha_99"), ("Ａｓｈａ", "asha"),  # full-width
    ("r-2.d_2", "r-2.d_2"),
])
def test_names_are_trimmed_case_folded_and_normalised(raw, canonical):
    assert accounts.normalise_name(raw) == canonical


@pytest.mark.parametrize("raw, says", [
    ("", "enter a name"), ("   ", "enter a name"), ("ab", "3 to 32 characters"), ("a" * 33, "3 to 32 characters"),
    ("asha k", "only letters"), ("asha@example", "only letters"), ("-asha", "starts with"), ("<b>x</b>", "only"),
    ("local", "reserved"), ("LOCAL", "reserved"), ("admin", "reserved"), ("āsha", "only letters"),
])
def test_bad_names_are_refused_with_a_one_line_reason(raw, says):
    with pytest.raises(accounts.InvalidName) as caught:
        accounts.normalise_name(raw)
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("password, says", [
    ("short", "at least 8"), ("        ", "only spaces"), ("x" * 1025, "at most 1024"), ("asha.k12", None),
])
def test_password_rules(password, says):
    if says is None:
        accounts.check_password(password, name="asha")
        return
    with pytest.raises(accounts.WeakPassword, match=says):
        accounts.check_password(password, name="asha")


def test_password_cannot_be_the_name():
    with pytest.raises(accounts.WeakPassword, match="cannot be the name"):
        accounts.check_password("Rajeshwari", name="rajeshwari")


# ------------------------------------------------------------------ accounts and hashes


@pytest.mark.real_password_hashing
def test_stored_password_is_an_argon2_hash_never_the_password(any_database):
    made = storage.create_account("asha", PASSWORD)
    user = stored_user("asha")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash and PASSWORD.encode().hex() not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    # the same password twice gives two different hashes (salted)
    storage.create_account("bala", PASSWORD)
    assert stored_user("bala").password_hash != user.password_hash
    # and the password appears nowhere in the database
    with Session(storage.get_engine()) as session:
        for table in (User, LoginSession, LoginFailure):
            for row in session.scalars(sa.select(table)):
                assert PASSWORD not in repr([getattr(row, c.key) for c in table.__table__.columns])
    assert storage.authenticate("asha", PASSWORD).id == made.id


def test_first_account_is_a_mentor_and_later_ones_aspirants(any_database):
    storage.default_user_id()  # the single-user local user does not count as an account
    assert storage.create_account("first", PASSWORD).role == "mentor"
    assert storage.create_account("second", PASSWORD).role == "aspirant"
    assert storage.create_account("third", PASSWORD, "mentor").role == "mentor"
    assert [u.name for u in storage.list_accounts()] == ["first", "second", "third"]


def test_simultaneous_first_sign_ups_make_exactly_one_mentor(any_database):
    engine = storage.get_engine()  # migrated once before the race

    def slow_insert(conn, cursor, statement, parameters, context, executemany):
        # widen the gap between "is there an account yet?" and the insert, so a race would show
        if statement.lstrip().upper().startswith("INSERT INTO USERS"):
            time.sleep(0.3)

    sa.event.listen(engine, "before_cursor_execute", slow_insert)
    try:
        _race_first_sign_ups()
    finally:
        sa.event.remove(engine, "before_cursor_execute", slow_insert)


def _race_first_sign_ups():
    names = [f"racer{i}" for i in range(6)]
    barrier = threading.Barrier(len(names))
    made, errors = [], []

    def sign_up(name):
        try:
            barrier.wait()
            made.append(accounts.create_account(name, PASSWORD))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(u.role for u in made) == ["aspirant"] * 5 + ["mentor"]


def test_names_are_unique_whatever_the_case(any_database):
    storage.create_account("Asha", PASSWORD)
    with pytest.raises(accounts.NameTaken, match="'asha' is taken"):
        storage.create_account(" ASHA ", "another password")
    storage.ensure_user("oldname")  # a passwordless row (e.g. made by an older version) also takes the name
    with pytest.raises(accounts.NameTaken):
        storage.create_account("oldname", PASSWORD)


def test_the_local_user_of_single_user_mode_cannot_sign_in(any_database):
    storage.default_user_id()
    storage.create_account("asha", PASSWORD)
    for password in ("", PASSWORD):
        with pytest.raises(accounts.LoginFailed):
            storage.authenticate("local", password)
    assert accounts.get_account("local") is None


def test_unknown_name_and_wrong_password_get_the_same_message(any_database):
    storage.create_account("asha", PASSWORD)
    with pytest.raises(accounts.LoginFailed) as wrong_password:
        storage.authenticate("asha", "not the password")
    with pytest.raises(accounts.LoginFailed) as unknown:
        storage.authenticate("nobody", PASSWORD)
    assert str(wrong_password.value) == str(unknown.value) == "Wrong name or password."


@pytest.mark.parametrize("name", ["as\x00ha", "\ud800asha", "a\u200bsha\n"])
def test_unstorable_sign_in_names_get_the_same_one_line_refusal(any_database, name):
    with pytest.raises(accounts.LoginFailed) as refused:
        storage.authenticate(name, PASSWORD)
    assert str(refused.value) == "Wrong name or password."


@pytest.mark.real_password_hashing
def test_outdated_hash_is_upgraded_on_sign_in(any_database):
    storage.create_account("asha", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with Session(storage.get_engine()) as session, session.begin():
        session.execute(sa.update(User).where(User.name == "asha").values(password_hash=weak))
    storage.authenticate("asha", PASSWORD)
    upgraded = stored_user("asha").password_hash
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)
    assert storage.authenticate("asha", PASSWORD).name == "asha"


def test_roles_change_but_the_last_mentor_stays(any_database):
    mentor = storage.create_account("mentor1", PASSWORD)
    aspirant = storage.create_account("asha", PASSWORD)
    with pytest.raises(accounts.AccountError, match="only mentor"):
        storage.set_role(mentor.id, "aspirant")
    with pytest.raises(accounts.AccountError, match="a role is one of"):
        storage.set_role("asha", "admin")
    with pytest.raises(accounts.UnknownAccount):
        storage.set_role("nobody", "mentor")
    assert storage.set_role("asha", "mentor").role == "mentor"
    assert storage.set_role(mentor.id, "aspirant").role == "aspirant"
    assert accounts.get_account(aspirant.id).is_mentor


# ------------------------------------------------------------------ throttling


def fail(name, n, *, now, ip=None):
    for i in range(n):
        with pytest.raises((accounts.LoginFailed, accounts.LoginThrottled)):
            storage.authenticate(name, f"wrong password {i}", ip, now=now + timedelta(seconds=i))


def test_repeated_failures_lock_the_account_even_for_the_right_password_until_the_lock_ends(any_database):
    storage.create_account("asha", PASSWORD)
    t0 = utcnow()
    policy = accounts.THROTTLE
    fail("asha", policy.account_limit - 1, now=t0)
    last = t0 + timedelta(seconds=policy.account_limit - 1)
    with pytest.raises(accounts.LoginThrottled) as caught:  # the failure that reaches the limit says so
        storage.authenticate("asha", "wrong again", now=last)
    assert caught.value.retry_after == 30 and "wait 30 seconds" in str(caught.value)
    # locked: the right password is refused too, with how long to wait
    with pytest.raises(accounts.LoginThrottled) as locked:
        storage.authenticate("asha", PASSWORD, now=last + timedelta(seconds=10))
    assert locked.value.retry_after == 20 and "wait 20 seconds before trying again" in str(locked.value)
    assert "\n" not in str(locked.value)
    assert accounts.lock_remaining("asha", now=last + timedelta(seconds=10)) == 20
    # once the lock is over, the right password works and the slate is wiped
    assert storage.authenticate("asha", PASSWORD, now=last + timedelta(seconds=30)).name == "asha"
    assert accounts.lock_remaining("asha", now=last + timedelta(seconds=30)) == 0


def test_the_lock_grows_with_each_further_failure_and_is_capped(any_database):
    storage.create_account("asha", PASSWORD)
    policy = accounts.THROTTLE
    now = utcnow()
    fail("asha", policy.account_limit, now=now)
    now += timedelta(seconds=policy.account_limit - 1)
    locks = []
    for _ in range(8):
        wait = accounts.lock_remaining("asha", now=now)
        locks.append(wait)
        now += timedelta(seconds=wait)  # wait it out, then fail once more
        with pytest.raises(accounts.LoginThrottled):
            storage.authenticate("asha", "still wrong", now=now)
    assert locks[:5] == [30, 60, 120, 240, 480]
    assert max(locks) == 900  # 15 minutes at most
    assert accounts.lock_remaining("asha", now=now + timedelta(hours=2)) == 0  # failures age out of the window


def test_unknown_names_are_throttled_like_real_ones(any_database):
    now = utcnow()
    fail("nobody", accounts.THROTTLE.account_limit, now=now)
    with pytest.raises(accounts.LoginThrottled):
        storage.authenticate("nobody", PASSWORD, now=now + timedelta(seconds=10))


def test_one_client_failing_on_many_names_is_throttled_per_client(any_database):
    storage.create_account("asha", PASSWORD)
    now = utcnow()
    policy = accounts.THROTTLE
    for i in range(policy.client_limit):  # one failure per name: no name reaches its own limit
        with pytest.raises((accounts.LoginFailed, accounts.LoginThrottled)):
            storage.authenticate(f"guess{i:03d}", "password1", "203.0.113.9", now=now)
    with pytest.raises(accounts.LoginThrottled):
        storage.authenticate("asha", PASSWORD, "203.0.113.9", now=now + timedelta(seconds=5))
    # the same person from another address is not held up by that client
    assert storage.authenticate("asha", PASSWORD, "198.51.100.7", now=now + timedelta(seconds=5)).name == "asha"


def test_per_address_limit_can_be_switched_off_for_a_shared_address(any_database, monkeypatch):
    monkeypatch.setenv("MAINS_LOGIN_CLIENT_LIMIT", "0")
    storage.create_account("asha", PASSWORD)
    now = utcnow()
    for i in range(accounts.THROTTLE.client_limit + 5):
        with pytest.raises(accounts.LoginFailed):  # never a lock: each name fails once
            storage.authenticate(f"guess{i:03d}", "password1", "10.0.0.1", now=now)
    assert storage.authenticate("asha", PASSWORD, "10.0.0.1", now=now).name == "asha"
    monkeypatch.setenv("MAINS_LOGIN_CLIENT_LIMIT", "lots")
    with pytest.raises(accounts.AccountError, match="MAINS_LOGIN_CLIENT_LIMIT must be a whole number"):
        storage.authenticate("asha", PASSWORD)


def test_simultaneous_tries_cannot_check_more_passwords_than_the_limit(any_database, monkeypatch):
    """One try left before the lock, eight wrong passwords at once: at most one is checked.

    Each password check is slowed down, so tries that looked for a lock before any of
    them stored its failure would all be checked (the old code: eight).  Each try stores
    itself before it counts the others, so of two simultaneous tries at least one sees
    the other: usually one is checked, and when all eight are stored before any counts,
    none is (all are refused, and refused tries leave no failure behind).
    """
    storage.create_account("asha", PASSWORD)
    now = utcnow()
    limit = accounts.THROTTLE.account_limit
    fail("asha", limit - 1, now=now - timedelta(seconds=limit))
    checked = []
    real_verify = accounts._verify

    def slow_verify(stored, password):
        checked.append(password)
        time.sleep(0.3)
        return real_verify(stored, password)

    monkeypatch.setattr(accounts, "_verify", slow_verify)
    barrier = threading.Barrier(8)
    outcomes = []

    def try_once(i):
        barrier.wait()
        try:
            storage.authenticate("asha", f"guess {i}", now=now)
        except accounts.AccountError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=try_once, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(checked) <= 1, checked
    assert sorted(outcomes) == ["LoginThrottled"] * 8  # a checked one reached the limit; the rest were refused
    with Session(storage.get_engine()) as session:  # refused tries are not stored as failures
        assert session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == limit - 1 + len(checked)


def test_failures_are_shared_between_processes(any_database, monkeypatch):
    """Five failures in another process lock the account here (they live in the database)."""
    storage.create_account("asha", PASSWORD)
    code = (
        "import storage\n"
        "for i in range(5):\n"
        "    try:\n"
        "        storage.authenticate('asha', f'wrong {i}')\n"
        "    except storage.AccountError as exc:\n"
        "        print(type(exc).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["LoginFailed"] * 4 + ["LoginThrottled"]
    with pytest.raises(accounts.LoginThrottled):
        storage.authenticate("asha", PASSWORD)


# ------------------------------------------------------------------ sessions


def test_session_token_is_random_and_stored_only_as_its_hash(any_database):
    user = storage.create_account("asha", PASSWORD)
    first, second = storage.start_session(user.id), storage.start_session(user.id)
    assert first != second and len(first) >= 40
    with Session(storage.get_engine()) as session:
        hashes = list(session.scalars(sa.select(LoginSession.token_hash)))
    assert len(hashes) == 2 and first not in hashes and second not in hashes
    assert all(len(h) == 64 for h in hashes)
    assert storage.resolve_session(first).id == user.id
    assert storage.resolve_session(first[:-1] + ("A" if first[-1] != "A" else "B")) is None
    assert storage.resolve_session("") is None and storage.resolve_session(None) is None


def test_session_ends_after_idle_time_but_use_keeps_it_alive(any_database, monkeypatch):
    monkeypatch.setenv("MAINS_SESSION_IDLE_MINUTES", "30")
    user = storage.create_account("asha", PASSWORD)
    t0 = utcnow()
    token = storage.start_session(user.id, now=t0)
    for minutes in (20, 40, 60, 80):  # used every 20 minutes: still alive after 80
        assert storage.resolve_session(token, now=t0 + timedelta(minutes=minutes)) is not None
    assert storage.resolve_session(token, now=t0 + timedelta(minutes=80 + 30)) is None  # 30 idle minutes
    assert storage.resolve_session(token, now=t0 + timedelta(minutes=81)) is None  # deleted, not just refused
    with Session(storage.get_engine()) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0


def test_a_short_idle_limit_still_keeps_a_session_in_use_alive(any_database, monkeypatch):
    monkeypatch.setenv("MAINS_SESSION_IDLE_MINUTES", "0.5")  # 30 s: last use is written every 7.5 s
    assert accounts.touch_every() == timedelta(seconds=7.5)
    user = storage.create_account("asha", PASSWORD)
    t0 = utcnow()
    token = storage.start_session(user.id, now=t0)
    for seconds in range(10, 130, 10):  # used every 10 s for two minutes (a one-minute write ended it at 30 s)
        assert storage.resolve_session(token, now=t0 + timedelta(seconds=seconds)) is not None, seconds
    assert storage.resolve_session(token, now=t0 + timedelta(seconds=120 + 31)) is None


def test_session_ends_at_its_absolute_end_however_busy(any_database, monkeypatch):
    monkeypatch.setenv("MAINS_SESSION_HOURS", "2")
    monkeypatch.setenv("MAINS_SESSION_IDLE_MINUTES", "30")
    user = storage.create_account("asha", PASSWORD)
    t0 = utcnow()
    token = storage.start_session(user.id, now=t0)
    for minutes in range(10, 120, 10):
        assert storage.resolve_session(token, now=t0 + timedelta(minutes=minutes)) is not None
    assert storage.resolve_session(token, now=t0 + timedelta(hours=2)) is None


def test_default_session_limits_and_bad_settings(monkeypatch):
    monkeypatch.delenv("MAINS_SESSION_HOURS", raising=False)
    monkeypatch.delenv("MAINS_SESSION_IDLE_MINUTES", raising=False)
    assert accounts.session_lifetime() == timedelta(hours=12)
    assert accounts.session_idle_timeout() == timedelta(hours=2)
    for bad in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv("MAINS_SESSION_HOURS", bad)
        with pytest.raises(accounts.AccountError, match="MAINS_SESSION_HOURS must be a positive number"):
            accounts.session_lifetime()


def test_sign_out_and_password_change_end_sessions(any_database):
    user = storage.create_account("asha", PASSWORD)
    token, other = storage.start_session(user.id), storage.start_session(user.id)
    storage.end_session(token)
    assert storage.resolve_session(token) is None and storage.resolve_session(other) is not None
    storage.set_password("asha", "a new long password")
    assert storage.resolve_session(other) is None
    with pytest.raises(accounts.LoginFailed):
        storage.authenticate("asha", PASSWORD)
    assert storage.authenticate("asha", "a new long password").id == user.id


def test_role_change_shows_in_the_session_at_once(any_database):
    storage.create_account("mentor1", PASSWORD)
    user = storage.create_account("asha", PASSWORD)
    token = storage.start_session(user.id)
    assert storage.resolve_session(token).role == "aspirant"
    storage.set_role("asha", "mentor")
    assert storage.resolve_session(token).role == "mentor"


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("no", False), ("1", True),
                                             ("true", True), ("YES", True), ("on", True)])
def test_multi_user_mode_is_off_unless_switched_on(monkeypatch, value, expected):
    monkeypatch.setenv("MAINS_MULTI_USER", value)
    assert accounts.multi_user_enabled() is expected


def test_sign_up_is_open_unless_closed(monkeypatch):
    monkeypatch.delenv("MAINS_SIGNUP", raising=False)
    assert accounts.signup_open()
    monkeypatch.setenv("MAINS_SIGNUP", "closed")
    assert not accounts.signup_open()


# ------------------------------------------------------------------ command line


def cli(*args, stdin: str | None = None):
    """``python -m storage`` in its own process, as an administrator runs it."""
    return subprocess.run([sys.executable, "-m", "storage", *args], cwd=REPO_ROOT, env=dict(os.environ),
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_here(capsys, monkeypatch):
    """The same command's ``main`` in this process (a second apiece faster than a new one): exit code and output."""
    from storage.__main__ import main

    def run(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return run


def test_cli_create_mentor_reads_the_password_from_stdin_never_argv(any_database):
    out = cli("create-mentor", "Guru", "--password-stdin", stdin=PASSWORD + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "created mentor 'guru'"
    made = accounts.get_account("guru")
    assert made.role == "mentor"
    assert storage.authenticate("guru", PASSWORD).id == made.id
    assert stored_user("guru").password_hash.startswith("$argon2id$")
    # no terminal and no --password-stdin: refused, nothing made
    out = cli("create-mentor", "guru2", stdin="")
    assert out.returncode == 2 and "--password-stdin" in out.stderr and accounts.get_account("guru2") is None
    # there is no option to give the password on the command line at all
    out = cli("create-mentor", "guru3", "--password", PASSWORD)
    assert out.returncode != 0 and accounts.get_account("guru3") is None


def test_cli_errors_are_one_line_with_exit_code_2(any_database, cli_here):
    storage.create_account("asha", PASSWORD)
    for args, stdin, says in [
        (("create-mentor", "asha", "--password-stdin"), PASSWORD + "\n", "taken; use set-role"),
        (("create-mentor", "x", "--password-stdin"), PASSWORD + "\n", "3 to 32 characters"),
        (("create-mentor", "newmentor", "--password-stdin"), "short\n", "at least 8"),
        (("set-role", "nobody", "mentor"), None, "no account called"),
        (("set-role", "asha", "aspirant"), None, "only mentor"),
    ]:
        out = cli_here(*args, stdin=stdin)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1 and says in out.stderr, out.stderr


def test_cli_set_role_set_password_and_list_users(any_database, cli_here):
    storage.create_account("mentor1", PASSWORD)
    out = cli_here("create-user", "Asha", "--password-stdin", stdin=PASSWORD + "\n")
    assert out.returncode == 0 and "created aspirant 'asha'" in out.stdout
    assert cli_here("set-role", "asha", "mentor").stdout.strip() == "'asha' is now a mentor"
    out = cli_here("set-password", "asha", "--password-stdin", stdin="a brand new password\n")
    assert out.returncode == 0, out.stderr
    assert storage.authenticate("asha", "a brand new password").name == "asha"
    listing = cli_here("list-users").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listing] == [["asha", "mentor"], ["mentor1", "mentor"]]
