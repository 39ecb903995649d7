"""Fixtures for the real-browser tests.

One ``streamlit run`` server per session, against a throwaway copy of the bank and a
throwaway SQLite database, driven by Debian's ``/usr/bin/chromium`` through Playwright.
With ``CI`` set these tests never skip: a missing chromium or app is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .harness import (
    APP_SCRIPT, CHROMIUM, StreamlitServer, copy_bank, in_ci, launch_chromium, open_app, serving,
)
from .fixture_bank import write_fixture_items

SHOT_DIR_ENV = "BROWSER_TEST_SHOTS"  # set to a folder to keep a screenshot of each failure


# The browser tests run in two xdist groups, one per worker, each test one after another within its
# group. These files start app servers of their own (several users, a short idle limit, a calibration, a
# server to kill); the rest share the session's one server. The split keeps the two groups near equal.
OWN_SERVER_FILES = frozenset({"test_accounts_browser.py", "test_calibration_browser.py", "test_crash_recovery.py"})


def browser_group(path: Path) -> str:
    """The xdist group of a browser test file: ``browser-own-servers`` or ``browser-shared-server``."""
    return "browser-own-servers" if path.name in OWN_SERVER_FILES else "browser-shared-server"


def pytest_collection_modifyitems(config, items):
    """Mark every test here ``browser`` and put it in its file's xdist group: with ``-n 2 --dist loadgroup``
    the two groups (the largest work units, so dealt first) start at once, one in each worker, and the
    other tests fill in around them."""
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if here in path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group(browser_group(path)))


def _unavailable(reason: str):
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_requirements():
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} not found (run scripts/setup.sh)")
    if not APP_SCRIPT.exists():
        _unavailable(f"{APP_SCRIPT.name} does not exist yet")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -r requirements-dev.txt)")


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory, browser_requirements) -> Path:
    """A copy of the repository's bank plus the tests' own fixture questions."""
    bank = copy_bank(tmp_path_factory.mktemp("bank"))
    write_fixture_items(bank)
    return bank


@pytest.fixture(scope="session")
def server(tmp_path_factory, bank_dir) -> StreamlitServer:
    work = tmp_path_factory.mktemp("server")
    with serving(StreamlitServer(bank_dir, work / "app.db", work / "logs")) as srv:
        yield srv


@pytest.fixture(scope="session")
def app_url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def playwright_instance(browser_requirements):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = launch_chromium(playwright_instance)
    yield b
    b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


class DialogGuard:
    """Records every JS dialog (alert/confirm/prompt) and dismisses it."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, dialog):
        self.seen.append(f"{dialog.type}: {dialog.message}")
        try:
            dialog.dismiss()
        except Exception:
            pass


@pytest.fixture
def page(context, request):
    pg = context.new_page()
    guard = DialogGuard()
    pg.on("dialog", guard)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    outside: list[str] = []
    pg.on("request", lambda req: outside.append(req.url) if leaves_the_machine(req.url) else None)
    pg.dialogs = guard.seen  # type: ignore[attr-defined]
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    shots = os.environ.get(SHOT_DIR_ENV)
    rep = getattr(request.node, "rep_call", None)
    if shots and rep is not None and rep.failed:
        Path(shots).mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(Path(shots) / f"{request.node.name}.png"), full_page=True)
        except Exception:
            pass
    # Any dialog at all is a failure: nothing in this app opens one on purpose.
    assert not guard.seen, f"a JavaScript dialog opened: {guard.seen}"
    # Offline and private: the page asks nothing of any other machine (no fonts, icons or analytics).
    assert not outside, f"the page requested from outside this machine: {sorted(set(outside))}"


def leaves_the_machine(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in ("127.0.0.1", "localhost", "::1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def app(page, app_url):
    """The app's first page, loaded and idle."""
    open_app(page, app_url)
    return page

