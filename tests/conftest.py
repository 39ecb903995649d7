"""Shared fixtures: a throwaway database and a throwaway copy of the question bank.

``database_url`` is a fresh SQLite file.  ``any_database`` runs a test twice, on a
fresh SQLite file (id ``sqlite``) and on a fresh PostgreSQL database (id
``postgresql``) made on the server named by ``TEST_POSTGRES_URL`` (a URL whose user
may create databases; ``scripts/start_postgres.sh`` starts one and prints it).
Without ``TEST_POSTGRES_URL`` the PostgreSQL case is skipped, except under CI
(``CI`` set to true/1/yes), where it fails: CI must run every case.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread_beside_other_workers():
    """With several test workers, the tests' own calls fit gradient boosting on one OpenMP thread each.

    Two workers each fitting on two threads put four busy threads on this project's two cores, and
    OpenMP's waiting threads then made such tests ten times slower.  The limit holds for the test
    thread only: the app's script threads (AppTest) and servers keep their own, so the Calibration
    page's limit is still what its test measures.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"), torch_on_a_share_of_the_cores(workers):
        yield


@contextmanager
def torch_on_a_share_of_the_cores(workers: int):
    """A fine-tune runs torch on every core (``scoring.finetune.every_core``), which lifts the limit above; with
    several workers it gets its share instead (the fine-tune tests took 10 to 20 times as long on two threads
    beside another worker as alone). Tests that count the cores patch ``cores`` themselves, over this."""
    from scoring import finetune

    every = finetune.cores
    finetune.cores = lambda: max(1, every() // workers)
    try:
        yield
    finally:
        finetune.cores = every


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """The tests' own sign-ups and sign-ins hash with argon2-cffi's ``profiles.CHEAPEST`` ("only for testing").

    A real argon2id check takes about 0.2 s here, and the throttling tests alone make hundreds.  What
    is under test is who may sign in, not the hash's cost.  A test marked ``real_password_hashing``
    keeps the app's own hasher (those that check what is stored), as do the app servers the browser
    tests start and the command-line tests' subprocesses.
    """
    if request.node.get_closest_marker("real_password_hashing"):
        yield
        return
    from argon2 import PasswordHasher, profiles

    from storage import accounts

    accounts._dummy_hash.cache_clear()
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    accounts._dummy_hash.cache_clear()  # the next test may hash for real


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite file for one test, exported as ``DATABASE_URL``."""
    import storage

    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    storage.dispose_engines()


@pytest.fixture(scope="session")
def postgres_server():
    """An admin engine on the ``TEST_POSTGRES_URL`` server (None without it), checked once per session."""
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if not url:
        yield None
        return
    import sqlalchemy as sa
    from storage.engine import normalise_url

    engine = sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - said plainly, below
        pytest.fail(f"TEST_POSTGRES_URL is set but the server does not answer: {exc}", pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request, tmp_path, monkeypatch) -> str:
    """A fresh, empty database (no tables yet) on SQLite and on PostgreSQL, exported as ``DATABASE_URL``.

    The PostgreSQL case gets its own database per test (CREATE DATABASE, dropped
    afterwards): measured here at about 0.06 s to create, 0.07 s to migrate and
    0.015 s to drop, so no shared template is needed and tests never see each
    other's rows.
    """
    import storage

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        storage.dispose_engines()
        return

    admin = request.getfixturevalue("postgres_server")
    if admin is None:
        message = ("TEST_POSTGRES_URL is not set: the PostgreSQL case needs a server "
                   "(export TEST_POSTGRES_URL=\"$(bash scripts/start_postgres.sh)\")")
        if running_in_ci():
            pytest.fail(f"CI must not skip: {message}", pytrace=False)
        pytest.skip(message)
    name = f"mains_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    import sqlalchemy as sa

    # the URL as a user would write it (postgresql://…), so storage's driver mapping is exercised too
    url = sa.make_url(os.environ["TEST_POSTGRES_URL"].strip()).set(database=name).render_as_string(
        hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield url
    finally:
        storage.dispose_engines()
        _drop_database(admin, name)


def _drop_database(admin, name: str, attempts: int = 20) -> None:
    """Drop a test database, waiting out a server process still in it: FORCE may not end one of another role
    (an autovacuum worker: "must be a member of the role whose process is being terminated"), which soon ends."""
    import time

    import sqlalchemy as sa

    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def bank_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's ``questions/`` and ``rubric/``, exported as ``MAINS_BANK_DIR``."""
    root = tmp_path / "bank"
    for folder in ("questions", "rubric"):
        src = REPO_ROOT / folder
        if src.is_dir():
            shutil.copytree(src, root / folder, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        else:
            (root / folder).mkdir(parents=True)
    monkeypatch.setenv("MAINS_BANK_DIR", str(root))
    return root


#: A question the app tests own, so they never depend on the shipped bank's content.
SAMPLE_QUESTION = {
    "id": "test-gst-council",
    "paper": "GS2",
    "topic": "Federalism",
    "marks": 10,
    "directive": "examine",
    "text": "Examine the role of the GST Council in cooperative federalism in India.",
    "model_answer": (
        "The GST Council is a constitutional body under Article 279A, added by the 101st Constitution "
        "Amendment Act of 2016.\n\nThe Union holds one third of the votes and the states together hold "
        "two thirds, and a decision needs three fourths of the votes, so neither side can act alone. "
        "This shared decision making is an example of cooperative federalism.\n\nHowever, states have "
        "given up much of their power to tax, and delays in compensation have strained trust.\n\n"
        "The way forward is a standing mechanism to settle disputes and a predictable compensation framework."
    ),
    "source": "Constitution of India, Article 279A",
}
SAMPLE_RUBRIC = {
    "points": [
        {"id": "article-279a", "label": "Constitutional basis in Article 279A", "weight": 2,
         "hint": "Name Article 279A and the 101st Constitution Amendment Act, 2016.",
         "evidence": ["Article 279A", "101st Amendment", "101st Constitution Amendment", "constitutional body"]},
        {"id": "voting", "label": "Shared voting: one third Union, two thirds states", "weight": 3,
         "hint": "Explain the voting: one third for the Union, two thirds for the states, three fourths to decide.",
         "evidence": ["one third of the votes", "two thirds", "three fourths", "weighted votes"]},
        {"id": "fiscal-autonomy", "label": "States' loss of fiscal autonomy", "weight": 2,
         "hint": "Note that states gave up much of their power to tax and depend on compensation.",
         "evidence": ["fiscal autonomy", "power to tax", "compensation"]},
    ]
}


@pytest.fixture
def sample_item(bank_dir):
    """``SAMPLE_QUESTION`` saved into the temporary bank; returns the loaded ``Item``."""
    from scoring.bank import load_bank, write_atomic
    import yaml

    write_atomic(bank_dir / "questions" / f"{SAMPLE_QUESTION['id']}.yaml", yaml.safe_dump(SAMPLE_QUESTION))
    write_atomic(bank_dir / "rubric" / f"{SAMPLE_QUESTION['id']}.yaml", yaml.safe_dump(SAMPLE_RUBRIC))
    return load_bank(bank_dir)[SAMPLE_QUESTION["id"]]


@pytest.fixture
def app(database_url, bank_dir):
    """An AppTest of the whole app (router and pages) against the temporary bank and database."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=60)
