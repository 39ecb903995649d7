"""Run the real app under ``streamlit run`` and drive it with Debian's chromium.

Shared by the browser tests (``conftest.py``) and ``benchmarks/browser_bench.py``.
Nothing here imports the app: the server is a subprocess, exactly as a user runs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_SCRIPT = REPO_ROOT / "streamlit_app.py"
CHROMIUM = Path(os.environ.get("MAINS_CHROMIUM", "/usr/bin/chromium"))

#: Flags that work on this kind of machine (closed network, no GPU, root user).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

IDLE_SELECTOR = "[data-testid='stApp'][data-test-script-state='notRunning']"
SKELETON = "[data-testid='stMain'] [data-testid='stSkeleton']"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_bank(dest: Path) -> Path:
    """Copy ``questions/`` and ``rubric/`` into ``dest`` (a throwaway bank)."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in ("questions", "rubric"):
        src = REPO_ROOT / folder
        target = dest / folder
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".*", "__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True)
    return dest


class StreamlitServer:
    """``python -m streamlit run streamlit_app.py`` on a fixed port, in its own process group.

    ``start()`` waits for ``/_stcore/health``; ``kill()`` sends a signal to the whole
    group (SIGKILL by default, like a crash); ``restart()`` starts again on the same
    port and database, which is what the crash-recovery test needs.
    """

    def __init__(self, bank_dir: Path, db_path: Path, log_dir: Path, *,
                 port: int | None = None, app: Path = APP_SCRIPT, extra_env: dict | None = None):
        self.bank_dir = Path(bank_dir)
        self.db_path = Path(db_path)
        self.log_dir = Path(log_dir)
        self.port = port or free_port()
        self.app = Path(app)
        self.extra_env = dict(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._log_paths: tuple[Path, Path] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "MAINS_BANK_DIR": str(self.bank_dir),
            "DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        })
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", str(self.app),
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
        ]

    def start(self, timeout: float = 60.0) -> str:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        out = self.log_dir / f"streamlit-{self.port}-{self.starts}.out"
        err = self.log_dir / f"streamlit-{self.port}-{self.starts}.err"
        self._log_paths = (out, err)
        with open(out, "wb") as fout, open(err, "wb") as ferr:
            self.proc = subprocess.Popen(
                self.command(), cwd=str(REPO_ROOT), env=self.env(),
                stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr,
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self.url

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.url}/_stcore/health"
        last = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.proc.returncode} before it was healthy\n"
                    + self.logs())
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.status == 200:
                        return
                    last = f"HTTP {resp.status}"
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                last = str(exc)
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"streamlit not healthy at {health} after {timeout:.0f}s ({last})\n"
                           + self.logs())

    def logs(self, limit: int = 6000) -> str:
        if not self._log_paths:
            return ""
        parts = []
        for path in self._log_paths:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            parts.append(f"--- {path.name} ---\n{text[-limit:]}")
        return "\n".join(parts)

    def stderr(self) -> str:
        if not self._log_paths:
            return ""
        try:
            return self._log_paths[1].read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        self.proc = None

    def stop(self) -> None:
        """A clean stop (SIGTERM to the group, SIGKILL if it lingers)."""
        self.kill(signal.SIGTERM)

    def restart(self, sig: int = signal.SIGKILL, timeout: float = 60.0) -> str:
        self.kill(sig)
        # the port is released when the process dies; retry briefly if the OS lags
        return self.start(timeout)


# --------------------------------------------------------------------- browser

def launch_chromium(playwright, **kwargs):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, **kwargs)


def wait_idle(page, timeout: float = 30.0, settle: float = 0.3) -> None:
    """Wait until the script has finished running and stays finished for ``settle`` s.

    Streamlit marks the app root with ``data-test-script-state``: ``initial`` before the
    first run, ``running`` during one, ``notRunning`` after.  A click may not have
    started its rerun yet when we first look, so require a quiet spell, not one sample.
    """
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(0.1, deadline - time.monotonic())
        page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=remaining * 1000)
        page.wait_for_timeout(settle * 1000)
        # lazily loaded widgets show a skeleton until their code chunk arrives
        if page.locator(IDLE_SELECTOR).count() == 1 and page.locator(SKELETON).count() == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the Streamlit script did not settle")


@contextmanager
def serving(srv: "StreamlitServer", timeout: float = 60) -> Iterator["StreamlitServer"]:
    """Start ``srv`` for a fixture (a start that fails fails the test, plainly) and stop it afterwards."""
    try:
        srv.start(timeout=timeout)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield srv
    finally:
        srv.stop()


def open_app(page, url: str, path: str = "", timeout: float = 45.0) -> None:
    target = url.rstrip("/") + "/" + path.lstrip("/") if path else url
    page.goto(target, wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    wait_idle(page, timeout=timeout)


def full_screenshot(page, path, *, width: int | None = None, max_height: int = 6000) -> None:
    """A screenshot of the whole app, not just the viewport.

    Streamlit scrolls inside its main container, so Playwright's ``full_page`` stops at
    the window's height; grow the window to the content's height for the shot instead.
    """
    size = page.viewport_size or {"width": 1280, "height": 900}
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "\"[data-testid='stMain'], [data-testid='stMain'] *\")]"
        ".slice(0, 50).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": width or size["width"],
                            "height": min(max_height, max(size["height"], int(height) + 40))})
    page.wait_for_timeout(600)  # charts re-layout for the new size
    wait_idle(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
