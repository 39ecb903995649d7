"""Load script (not a test): 50 aspirants against one app process, on SQLite and PostgreSQL.

    python3 benchmarks/load.py [--mode app|storage|app,storage] [--aspirants 50] [--attempts 4]
                               [--databases sqlite,postgresql] [--ramp 50]

For each database it makes a fresh database (a temporary SQLite file, or a new database
on the PostgreSQL server named by ``--postgres-url`` / ``TEST_POSTGRES_URL``; without
either it runs ``scripts/start_postgres.sh``) and a temporary copy of the question bank,
and starts ONE app process, ``streamlit run streamlit_app.py`` on a free loopback port,
with that ``DATABASE_URL``.  Then, by ``--mode``:

``app`` (the default): the aspirants are sessions of that app process.
    The app runs with ``MAINS_MULTI_USER=1`` (sign-up open; a mentor account exists
    already, so every sign-up is an aspirant).  One headless Chromium (Debian's
    ``/usr/bin/chromium``, ``tests/browser/harness.launch_chromium``) holds one browser
    context per aspirant, all driven concurrently from one Python thread with
    Playwright's async API.  Sign-ups start ``--ramp`` / ``--aspirants`` seconds apart.
    Each aspirant: signs up as ``aspirant-NN``; for each of ``--attempts`` different
    questions opens it (the first by ``/?q=<id>`` inside the signed-in session, the
    others with "Practise another question" and the picker's search and list), presses
    Start, writes the answer in ``--autosaves`` growing bursts with 0.5–1.5 s pauses, each
    time waiting for the app's debounced autosave to report the new word count, clicks
    Submit and times, in the page, the click to the frame in which the marks can be
    painted (as ``benchmarks/browser_bench.py`` does).  Afterwards the database is read:
    each account's attempts must be exactly the ones its page saw submitted, with
    exactly the text typed, and no draft left open for a submitted question.
    "Lost" = submitted (marks seen) but not found.  "Errors" = any exception or timeout
    in a page (that page stops there), with samples.

``storage``: the database alone under contention.
    The aspirants are threads of this script making the storage and scoring calls the
    Practice page makes, in its order, against the same database as the app process
    (Start, autosaves, Submit, feedback read back), with ``--browsers`` real Chromium
    sessions through the app (single-user mode) at the same time.

Prints a table and writes ``benchmarks/results/load.json`` and ``load.md`` (the tables
docs/DEPLOY.md quotes); a mode not run this time keeps its earlier figures there, dated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "load.json"


# ------------------------------------------------------------------ a fresh database


def postgres_admin_url(args) -> str:
    url = args.postgres_url or os.environ.get("TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    return subprocess.run(["bash", str(ROOT / "scripts" / "start_postgres.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()


def fresh_database(kind: str, args, work: Path):
    """(url, cleanup): an empty SQLite file, or a new database on the PostgreSQL server."""
    import sqlalchemy as sa

    from storage.engine import normalise_url

    if kind == "sqlite":
        return f"sqlite:///{work / 'load.db'}", lambda: None
    if kind != "postgresql":
        raise ValueError(f"unknown database {kind!r} (sqlite or postgresql)")
    admin_url = postgres_admin_url(args)
    admin = sa.create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"mains_load_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def cleanup() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False), cleanup


# ------------------------------------------------------------------ storage mode: simulated aspirants


@dataclass
class AspirantLog:
    name: str
    user_id: int = 0
    submitted: list[tuple[int, str, str]] = field(default_factory=list)  # (attempt id, question id, answer)
    feedback_s: list[float] = field(default_factory=list)
    autosave_s: list[float] = field(default_factory=list)
    autosaves: int = 0
    errors: list[str] = field(default_factory=list)


def answer_for(item, rng: random.Random) -> str:
    """A plausible answer: the model answer's paragraphs and sentences, some dropped, some reordered, a line of one's own."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", item.question.model_answer.strip()):
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(block.split())) if s]
        keep = [s for s in sentences if rng.random() > 0.25]
        if len(keep) > 3 and rng.random() < 0.5:
            i = rng.randrange(1, len(keep) - 1)
            keep[i], keep[i + 1] = keep[i + 1], keep[i]
        if keep:
            paragraphs.append(" ".join(keep))
    paragraphs = paragraphs or [" ".join(item.question.model_answer.split()[:40])]
    paragraphs.append(f"In my view this matters for India's interests ({rng.randrange(10**6)}).")
    return "\n\n".join(paragraphs)


def typing_steps(text: str, steps: int) -> list[str]:
    """The answer as it stands at each autosave: growing prefixes, ending with the whole text."""
    words = text.split(" ")
    cuts = sorted({max(1, round(len(words) * (k + 1) / steps)) for k in range(steps)})
    return [" ".join(words[:c]) for c in cuts]


def run_aspirant(log: AspirantLog, items: list, scorer, args, rng: random.Random, progress, stop_at: float) -> None:
    import storage
    from scoring.feedback import Flag
    from storage.timing import format_clock, overtime_seconds, utcnow

    try:
        log.user_id = storage.ensure_user(log.name)
        for _ in range(args.attempts):
            if time.monotonic() > stop_at:
                log.errors.append("stopped: --max-seconds reached before all attempts")
                return
            item = rng.choice(items)
            try:
                # Start
                draft = storage.start_or_resume_draft(log.user_id, item.id, item.version,
                                                      item.question.time_limit_minutes)
                text = answer_for(item, rng)
                # typing, with the writing fragment's autosave after each burst
                for partial in typing_steps(text, args.autosaves):
                    time.sleep(rng.uniform(0.5, 1.5) * args.pause)
                    t0 = time.perf_counter()
                    current = storage.get_draft(log.user_id, draft.id)
                    if current is None:
                        raise RuntimeError(f"draft {draft.id} vanished while writing")
                    if not storage.save_draft_text(log.user_id, draft.id, partial):
                        raise RuntimeError(f"autosave of draft {draft.id} was refused")
                    log.autosave_s.append(time.perf_counter() - t0)
                    log.autosaves += 1
                time.sleep(rng.uniform(0.2, 1.0) * args.pause)
                # Submit (practice.submit), then the feedback screen (practice.show_feedback)
                t0 = time.perf_counter()
                now = utcnow()
                storage.save_draft_text(log.user_id, draft.id, text, now=now)
                feedback = scorer.score(item, text)
                over = overtime_seconds(draft.deadline, now)
                if over > 0:
                    feedback = feedback.with_flag(Flag(code="overtime", message=f"{format_clock(over)} over"))
                attempt = storage.submit_attempt(log.user_id, draft.id, text, feedback, now=now)
                shown = storage.get_attempt(log.user_id, attempt.id)
                if shown is None or shown.feedback.marks != feedback.marks:
                    raise RuntimeError(f"attempt {attempt.id} did not read back as stored")
                log.feedback_s.append(time.perf_counter() - t0)
                log.submitted.append((attempt.id, item.id, text))
            except Exception as exc:  # noqa: BLE001 - counted and reported
                log.errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            finally:
                progress.update(1)
    except Exception as exc:  # noqa: BLE001
        log.errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])


def verify(logs: list[AspirantLog]) -> dict:
    """What the database holds, compared with what each aspirant was told was submitted."""
    import storage

    found = lost = duplicated = wrong_text = open_left = 0
    for log in logs:
        if not log.user_id:
            continue
        stored = storage.list_attempts(log.user_id, newest_first=False)
        by_id = {a.id: a for a in stored}
        for attempt_id, question_id, text in log.submitted:
            a = by_id.get(attempt_id)
            if a is None:
                lost += 1
            elif a.answer != text or a.question_id != question_id:
                wrong_text += 1
            else:
                found += 1
        duplicated += len(stored) - len(log.submitted) if len(stored) > len(log.submitted) else 0
        submitted_questions = {q for _, q, _ in log.submitted}
        open_left += sum(1 for d in storage.list_open_drafts(log.user_id) if d.question_id in submitted_questions)
    return {"found": found, "lost": lost, "extra_rows": duplicated, "wrong_text": wrong_text,
            "open_drafts_left_for_submitted": open_left}


# ------------------------------------------------------------------ real browsers


def run_browser(index: int, server_url: str, item, stop: threading.Event, out: dict, lock: threading.Lock) -> None:
    from playwright.sync_api import sync_playwright

    from benchmarks.browser_bench import submit_once
    from tests.browser.harness import launch_chromium

    class _Server:  # what submit_once needs of a server
        url = server_url

    times: list[float] = []
    errors: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                while not stop.is_set():
                    try:
                        result = submit_once(page, _Server, item)
                        times.append(result["submit_to_marks_s"])
                    except Exception as exc:  # noqa: BLE001
                        errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
                        if len(errors) > 5:
                            break
                context.close()
            finally:
                browser.close()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    with lock:
        out[index] = {"question_id": item.id, "submit_to_marks_s": times, "errors": errors}


# ------------------------------------------------------------------ one database


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_storage(kind: str, args, work: Path) -> dict:
    from tqdm import tqdm

    import storage
    from scoring.bank import load_bank
    from scoring.scorer import Scorer
    from tests.browser.harness import StreamlitServer, copy_bank

    bank_dir = copy_bank(work / f"bank-{kind}")
    url, cleanup = fresh_database(kind, args, work)
    os.environ["DATABASE_URL"] = url
    os.environ["MAINS_BANK_DIR"] = str(bank_dir)
    server = StreamlitServer(bank_dir, work / "unused.db", work / f"logs-{kind}", extra_env={
        "DATABASE_URL": url, "MAINS_CALIBRATION": str(work / "no-calibration.mcal")})
    result: dict = {"database": kind, "mode": "storage"}
    try:
        t_start = time.perf_counter()
        server.start(timeout=90)
        result["app_start_s"] = round(time.perf_counter() - t_start, 2)
        storage.get_engine()  # migrated by whichever of the two processes came first
        bank = load_bank(bank_dir)
        items = sorted(bank.items.values(), key=lambda i: i.id)
        scorer = Scorer().fit(bank)
        scorer.score(items[0], items[0].question.model_answer)  # warm, as the app's cached scorer is

        browser_items = items[: args.browsers]  # single-user mode: each browser owns one question
        stop = threading.Event()
        browser_out: dict = {}
        lock = threading.Lock()
        browsers = [threading.Thread(target=run_browser, args=(i, server.url, it, stop, browser_out, lock),
                                     name=f"browser-{i}") for i, it in enumerate(browser_items)]
        for thread in browsers:
            thread.start()
        if browsers:
            time.sleep(args.browser_head_start)  # let the browsers start before the load begins

        logs = [AspirantLog(name=f"load-aspirant-{n:02d}") for n in range(args.aspirants)]
        stop_at = time.monotonic() + args.max_seconds
        total = args.aspirants * args.attempts
        load_avg_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with tqdm(total=total, desc=f"{kind}: attempts", unit="attempt", file=sys.stderr) as progress:
            threads = [threading.Thread(target=run_aspirant,
                                        args=(log, items, scorer, args, random.Random(args.seed * 1000 + n),
                                              progress, stop_at), name=log.name)
                       for n, log in enumerate(logs)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        wall = time.perf_counter() - t0
        load_avg_during = os.getloadavg()[0]
        stop.set()
        for thread in browsers:
            thread.join(timeout=120)

        check = verify(logs)
        feedback = [t for log in logs for t in log.feedback_s]
        autosave = [t for log in logs for t in log.autosave_s]
        errors = [e for log in logs for e in log.errors]
        submitted = sum(len(log.submitted) for log in logs)
        browser_times = [t for b in browser_out.values() for t in b["submit_to_marks_s"]]
        browser_errors = [e for b in browser_out.values() for e in b["errors"]]
        local = storage.default_user_id()
        browser_found = storage.count_attempts(local)
        result.update({
            "url_scheme": url.split(":", 1)[0],
            "server_version": _server_version(storage.get_engine()),
            "aspirants": args.aspirants,
            "attempts_each": args.attempts,
            "attempts_tried": total,
            "attempts_submitted": submitted,
            "attempts_found": check["found"],
            "attempts_lost": check["lost"],
            "wrong_text": check["wrong_text"],
            "extra_rows": check["extra_rows"],
            "open_drafts_left_for_submitted": check["open_drafts_left_for_submitted"],
            "errors": len(errors),
            "error_samples": errors[:12],
            "autosaves": sum(log.autosaves for log in logs),
            "autosave_median_ms": _ms(statistics.median(autosave)) if autosave else None,
            "autosave_p95_ms": _ms(percentile(autosave, 0.95)),
            "feedback_median_ms": _ms(statistics.median(feedback)) if feedback else None,
            "feedback_p95_ms": _ms(percentile(feedback, 0.95)),
            "feedback_max_ms": _ms(max(feedback)) if feedback else None,
            "wall_s": round(wall, 1),
            "submits_per_s": round(submitted / wall, 2) if wall else None,
            "load_average_1min_before_after": [round(load_avg_before, 2), round(load_avg_during, 2)],
            "browsers": len(browser_items),
            "browser_submits": len(browser_times),
            "browser_attempts_found": browser_found,
            "browser_lost": max(0, len(browser_times) - browser_found),
            "browser_errors": len(browser_errors),
            "browser_error_samples": browser_errors[:5],
            "browser_submit_to_marks_median_s": round(statistics.median(browser_times), 3) if browser_times else None,
            "browser_submit_to_marks_p95_s": round(percentile(browser_times, 0.95), 3) if browser_times else None,
        })
        return result
    finally:
        server.stop()
        storage.dispose_engines()
        cleanup()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _server_version(engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return "SQLite " + connection.exec_driver_sql("select sqlite_version()").scalar()
        return connection.exec_driver_sql("show server_version").scalar().split()[0].join(["PostgreSQL ", ""])


# ------------------------------------------------------------------ app mode: 50 browser sessions

SAVE_STATUS_WORDS = """
(want) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const el = document.querySelector(".st-key-practice_save_status");
  if (!el) return false;
  const m = el.innerText.match(/(\\d+)\\s*\\/\\s*\\d+\\s+words/);
  return !!m && Number(m[1]) === want;
}
"""

IDLE_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  return !document.querySelector("[data-testid='stMain'] [data-testid='stSkeleton']");
}
"""

MARKS_PAINTED = "() => window.__bench && window.__bench.marks !== null"
PASSWORD = "load-test password"


@dataclass
class PageLog:
    """One aspirant's browser session: what it did, what it was told, how long it took."""

    name: str
    start_at_s: float = 0.0  # when its sign-up began, from the start of the run
    signup_done_at_s: float | None = None
    writing_from_s: float | None = None  # when it opened its first question
    signup_s: float | None = None
    submitted: list[tuple[int, str, str]] = field(default_factory=list)  # (attempt id, question id, text typed)
    feedback_s: list[float] = field(default_factory=list)  # in the page: Submit click -> marks painted
    feedback_wall_s: list[float] = field(default_factory=list)  # Python's clock, with Playwright's overhead
    autosave_s: list[float] = field(default_factory=list)  # fill -> the server reports the new word count
    autosaves: int = 0
    autosaves_unconfirmed: int = 0
    stopped: bool = False  # an exception or timeout ended this page's run
    errors: list[str] = field(default_factory=list)


PAGE_STATE = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  const text = (sel) => { const e = document.querySelector(sel); return e ? e.innerText.replace(/\\s+/g, " ").trim() : "-"; };
  return `connection ${app && app.getAttribute("data-test-connection-state")}, script ${app && app.getAttribute("data-test-script-state")}, `
    + `clock "${text(".st-key-practice_clock")}", status "${text(".st-key-practice_save_status")}"`;
}
"""


async def page_state(page) -> str:
    """What the page shows when something went wrong (connection, script state, clock, autosave line)."""
    try:
        return await asyncio.wait_for(page.evaluate(PAGE_STATE), 10)
    except Exception as exc:  # noqa: BLE001
        return f"unreadable ({type(exc).__name__})"


async def a_wait_idle(page, timeout_s: float, settle: float = 0.3) -> None:
    """Async twin of harness.wait_idle: the script has finished and stays finished ``settle`` s."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = max(0.5, deadline - time.monotonic())
        await page.wait_for_function(IDLE_JS, polling=150, timeout=remaining * 1000)
        await asyncio.sleep(settle)
        if await page.evaluate(IDLE_JS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the Streamlit script did not settle")


async def a_click(page, selector: str, timeout_s: float) -> None:
    await page.locator(selector).first.click(timeout=timeout_s * 1000)
    await a_wait_idle(page, timeout_s)


async def navigate_in_app(page, path: str, timeout_s: float) -> None:
    """Change the URL inside the running app (as a link does), keeping the session and its sign-in."""
    await page.evaluate("(p) => { window.history.pushState(null, '', p);"
                        " window.dispatchEvent(new PopStateEvent('popstate')); }", path)
    await asyncio.sleep(0.3)
    await a_wait_idle(page, timeout_s)


async def sign_up(page, url: str, name: str, timeout_s: float) -> None:
    await page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
    await a_wait_idle(page, timeout_s)
    await page.locator(".st-key-account_signup_name input").fill(name)
    await page.locator(".st-key-account_signup_password input").fill(PASSWORD)
    await page.locator(".st-key-account_signup_again input").fill(PASSWORD)
    await a_click(page, ".st-key-account_signup_submit button", timeout_s)
    await page.get_by_text(f"Welcome, {name}.").wait_for(timeout=timeout_s * 1000)


def option_text(item) -> str:
    """A piece of the picker's label for ``item`` (practice.question_label), enough to tell it apart."""
    return " ".join(item.question.text.split())[:60]


async def choose_question(page, item, timeout_s: float) -> None:
    """The Practice picker, as a person uses it: type words of the question in Search, pick it in the list."""
    from tests.browser import app_driver as ui

    words = " ".join(item.question.text.split()[:4])
    box = page.locator(ui.SEARCH)
    await box.fill(words, timeout=timeout_s * 1000)
    await box.press("Enter")
    await a_wait_idle(page, timeout_s)
    await page.locator(ui.PICK).click(timeout=timeout_s * 1000)
    await page.get_by_role("option").filter(has_text=option_text(item)).first.click(timeout=timeout_s * 1000)
    await a_wait_idle(page, timeout_s)


async def run_page(n: int, browser, url: str, questions: list, log: PageLog, args, rng: random.Random,
                   t_run: float, progress, stop_at: float, gate: "Gate") -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    from benchmarks.browser_bench import WATCH_SUBMIT
    from scoring.text import word_count
    from tests.browser import app_driver as ui

    timeout = args.step_timeout
    await asyncio.sleep(n * args.ramp / max(1, args.aspirants))  # sign-ups start at least this far apart
    context = page = None
    arrived = False
    step = "sign up"
    done = 0
    try:
        # the ramp: at most --signup-concurrency pages load the app's front end and sign up
        # at once (a cold page load costs a few CPU-seconds of Chromium on this machine)
        async with gate.signups:
            log.start_at_s = time.perf_counter() - t_run
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(timeout * 1000)
            t0 = time.perf_counter()
            try:
                await sign_up(page, url, log.name, timeout)
            finally:
                arrived = gate.arrived()
            log.signup_done_at_s = time.perf_counter() - t_run
        log.signup_s = log.signup_done_at_s - (t0 - t_run)
        # then everyone writes at once: wait for the last sign-up, start within --spread s
        step = "wait for the others"
        await gate.all_signed_up.wait()
        await asyncio.sleep(rng.uniform(0, args.spread))
        log.writing_from_s = time.perf_counter() - t_run
        for k, item in enumerate(questions):
            if time.monotonic() > stop_at:
                raise TimeoutError("--max-seconds reached before all attempts")
            # open the question: the first by its URL (?q=), as a bookmark or a link would,
            # the rest with the picker after the feedback screen's "Practise another question"
            if k == 0:
                step = "open /?q="
                await navigate_in_app(page, f"/?q={item.id}", timeout)
            else:
                step = "practise another"
                await a_click(page, ".st-key-practice_another button", timeout)
                step = "choose in the picker"
                await choose_question(page, item, timeout)
            step = "Start"
            await a_click(page, ui.START, timeout)
            box = page.locator(ui.ANSWER)
            await box.wait_for(state="visible")
            text = answer_for(item, rng)
            # writing: the text grows in --autosaves bursts with pauses; each burst waits for the
            # box's debounced autosave to come back from the server with the new word count
            for partial in typing_steps(text, args.autosaves):
                step = "write"
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.pause)
                await box.fill(partial)
                t0 = time.perf_counter()
                step = "autosave"
                try:
                    await page.wait_for_function(SAVE_STATUS_WORDS, arg=word_count(partial), polling=200,
                                                 timeout=args.autosave_timeout * 1000)
                except PlaywrightTimeout:
                    # not fatal: a person would keep typing; Submit and the check afterwards show
                    # whether the text still reached the database
                    log.errors.append(f"{log.name} answer {done + 1}: autosave of {word_count(partial)} words not "
                                      f"shown within {args.autosave_timeout:g} s; page: {await page_state(page)}")
                    log.autosaves_unconfirmed += 1
                    continue
                log.autosave_s.append(time.perf_counter() - t0)
                log.autosaves += 1
            await asyncio.sleep(rng.uniform(0.2, 1.0) * args.pause)
            step = "Submit"
            await page.evaluate(WATCH_SUBMIT)
            t0 = time.perf_counter()
            await page.locator(ui.SUBMIT).click()
            await page.wait_for_function(MARKS_PAINTED, polling="raf", timeout=timeout * 1000)
            wall = time.perf_counter() - t0
            in_page = await page.evaluate("() => window.__bench.marks") / 1000
            step = "feedback URL"
            await page.wait_for_url(re.compile(r"[?&]attempt=\d+"), timeout=timeout * 1000)
            attempt_id = int(re.search(r"[?&]attempt=(\d+)", page.url).group(1))
            log.submitted.append((attempt_id, item.id, text))
            log.feedback_s.append(in_page)
            log.feedback_wall_s.append(wall)
            done += 1
            progress.update(1)
            await a_wait_idle(page, timeout)
    except Exception as exc:  # noqa: BLE001 - counted and reported; this page stops here
        log.errors.append(f"{log.name} at {step} (answer {done + 1}): {type(exc).__name__}: "
                          + str(exc).splitlines()[0][:200] + f"; page: {await page_state(page)}")
        log.stopped = True
        if args.shots and page is not None:
            try:
                await page.screenshot(path=str(args.shots / f"{log.name}.png"))
            except Exception:  # noqa: BLE001
                pass
        progress.update(len(questions) - done)
    finally:
        if not arrived:  # failed before its sign-up: do not hold the others at the start line
            gate.arrived()
        if context is not None:
            try:
                await context.close()
            except Exception:  # noqa: BLE001
                pass


class Gate:
    """The ramp (a limit on sign-ups in flight) and the start line (everyone signed up or failed)."""

    def __init__(self, aspirants: int, concurrency: int):
        self.signups = asyncio.Semaphore(max(1, concurrency))
        self.all_signed_up = asyncio.Event()
        self.waiting = aspirants
        if aspirants <= 0:
            self.all_signed_up.set()

    def arrived(self) -> bool:
        self.waiting -= 1
        if self.waiting <= 0:
            self.all_signed_up.set()
        return True


def _proc_children() -> dict[int, int]:
    """pid -> parent pid for every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
                out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def proc_cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Sampler:
    """Every ``every`` s: the 1-min load average, the app's RSS, the browser processes' CPU and RSS.

    The browser is every process below this one except the app's; a process's CPU is
    counted up to its last sample (renderers of closed pages go with their context).
    """

    def __init__(self, app_pid: int, every: float = 2.0):
        self.app_pid, self.every = app_pid, every
        self.load: list[float] = []
        self.browser_cpu: dict[int, float] = {}
        self.browser_rss_peak_kb = 0
        self.browser_procs_peak = 0

    def sample(self) -> None:
        self.load.append(os.getloadavg()[0])
        parents = _proc_children()
        mine = {os.getpid()}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in mine and pid not in mine and pid != self.app_pid:
                    mine.add(pid)
                    changed = True
        mine.discard(os.getpid())
        rss = 0
        for pid in mine:
            try:
                self.browser_cpu[pid] = proc_cpu_s(pid)
                rss += proc_status_kb(pid, "VmRSS")
            except OSError:
                pass
        self.browser_rss_peak_kb = max(self.browser_rss_peak_kb, rss)
        self.browser_procs_peak = max(self.browser_procs_peak, len(mine))

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)


async def drive_pages(url: str, items: list, args, kind: str, app_pid: int) -> dict:
    from playwright.async_api import async_playwright
    from tqdm import tqdm

    from tests.browser.harness import launch_chromium

    logs = [PageLog(name=f"aspirant-{n:02d}") for n in range(args.aspirants)]
    plans = []
    for n in range(args.aspirants):
        rng = random.Random(args.seed * 1000 + n)
        plans.append((rng.sample(items, min(args.attempts, len(items))), rng))
    sampler = Sampler(app_pid)
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            sampler_task = asyncio.create_task(sampler.run())
            app_cpu0, own0 = proc_cpu_s(app_pid), os.times()
            t_run = time.perf_counter()
            stop_at = time.monotonic() + args.max_seconds
            total = sum(len(q) for q, _ in plans)
            gate = Gate(args.aspirants, args.signup_concurrency)
            with tqdm(total=total, desc=f"{kind}: answers", unit="answer", file=sys.stderr) as progress:
                await asyncio.gather(*(run_page(n, browser, url, questions, logs[n], args, rng, t_run, progress,
                                                stop_at, gate) for n, (questions, rng) in enumerate(plans)))
            wall = time.perf_counter() - t_run
            app_cpu = proc_cpu_s(app_pid) - app_cpu0
            own1 = os.times()
            sampler.sample()
            sampler_task.cancel()
        finally:
            await browser.close()
    return {"logs": logs, "wall": wall, "app_cpu_s": app_cpu, "sampler": sampler,
            "driver_cpu_s": (own1.user - own0.user) + (own1.system - own0.system), "planned": total}


def verify_accounts(logs: list[PageLog], engine) -> dict:
    """Read the database: each account's attempts against what its page submitted."""
    import storage

    found = lost = wrong_text = extra = open_left = accounts = 0
    samples: list[str] = []
    for log in logs:
        account = storage.accounts.get_account(log.name, engine=engine)
        if account is None:
            if log.submitted:
                lost += len(log.submitted)
                samples.append(f"{log.name}: no account, {len(log.submitted)} submitted")
            continue
        accounts += 1
        stored = storage.list_attempts(account.id, newest_first=False, engine=engine)
        by_id = {a.id: a for a in stored}
        for attempt_id, question_id, text in log.submitted:
            a = by_id.get(attempt_id)
            if a is None:
                lost += 1
                samples.append(f"{log.name}: attempt {attempt_id} ({question_id}) not found")
            elif a.answer != text or a.question_id != question_id:
                wrong_text += 1
                samples.append(f"{log.name}: attempt {attempt_id} text differs ({len(a.answer)} vs {len(text)} chars)")
            else:
                found += 1
        extra += max(0, len(stored) - len(log.submitted))
        submitted_questions = {q for _, q, _ in log.submitted}
        open_left += sum(1 for d in storage.list_open_drafts(account.id, engine=engine)
                         if d.question_id in submitted_questions)
    return {"accounts_found": accounts, "found": found, "lost": lost, "wrong_text": wrong_text,
            "extra_rows": extra, "open_drafts_left_for_submitted": open_left, "samples": samples[:10]}


def run_app(kind: str, args, work: Path) -> dict:
    import storage
    from scoring.bank import load_bank
    from tests.browser.harness import StreamlitServer, copy_bank

    bank_dir = copy_bank(work / f"bank-{kind}")
    url, cleanup = fresh_database(kind, args, work)
    result: dict = {"database": kind, "mode": "app"}
    server = None
    engine = None
    try:
        engine = storage.get_engine(url)  # migrated here, before the app starts
        # a mentor exists already (as the deployment guide has it), so every sign-up is an aspirant
        storage.create_mentor("load-mentor", PASSWORD, engine=engine)
        server = StreamlitServer(bank_dir, work / "unused.db", work / f"logs-{kind}", extra_env={
            "DATABASE_URL": url, "MAINS_MULTI_USER": "1", "MAINS_SIGNUP": "open",
            "MAINS_CALIBRATION": str(work / "no-calibration.mcal")})
        t0 = time.perf_counter()
        server.start(timeout=90)
        result["app_start_s"] = round(time.perf_counter() - t0, 2)
        items = sorted(load_bank(bank_dir).items.values(), key=lambda i: i.id)
        load_before = os.getloadavg()[0]
        out = asyncio.run(drive_pages(server.url, items, args, kind, server.proc.pid))
        app_rss_peak_mb = proc_status_kb(server.proc.pid, "VmHWM") / 1024
        app_rss_end_mb = proc_status_kb(server.proc.pid, "VmRSS") / 1024
        logs: list[PageLog] = out["logs"]
        check = verify_accounts(logs, engine)
        feedback = [t for log in logs for t in log.feedback_s]
        feedback_wall = [t for log in logs for t in log.feedback_wall_s]
        autosave = [t for log in logs for t in log.autosave_s]
        signup = [log.signup_s for log in logs if log.signup_s is not None]
        errors = [e for log in logs for e in log.errors]
        submitted = sum(len(log.submitted) for log in logs)
        sampler: Sampler = out["sampler"]
        app_log = server.stderr()
        traceback_in_log = "Traceback" in app_log
        if args.shots:
            (args.shots / f"app-{kind}.log").write_text(app_log)
        wall = out["wall"]
        result.update({
            "url_scheme": url.split(":", 1)[0],
            "server_version": _server_version(engine),
            "aspirants": args.aspirants,
            "attempts_each": args.attempts,
            "signup_concurrency": args.signup_concurrency,
            "sign_ups_started_over_s": round(max(log.start_at_s for log in logs), 1),
            "all_signed_up_at_s": round(max((log.signup_done_at_s or 0) for log in logs), 1),
            "writing_phase_s": round(wall - min((log.writing_from_s for log in logs if log.writing_from_s is not None),
                                                 default=wall), 1),
            "sign_ups_done": len(signup),
            "sign_up_median_s": _r(statistics.median(signup)) if signup else None,
            "sign_up_max_s": _r(max(signup)) if signup else None,
            "attempts_planned": out["planned"],
            "attempts_submitted": submitted,
            "accounts_in_database": check["accounts_found"],
            "attempts_found": check["found"],
            "attempts_lost": check["lost"],
            "wrong_text": check["wrong_text"],
            "extra_rows": check["extra_rows"],
            "open_drafts_left_for_submitted": check["open_drafts_left_for_submitted"],
            "verify_samples": check["samples"],
            "errors": len(errors),
            "pages_with_errors": sum(1 for log in logs if log.errors),
            "pages_stopped_by_an_error": sum(1 for log in logs if log.stopped),
            "autosaves_unconfirmed": sum(log.autosaves_unconfirmed for log in logs),
            "error_samples": errors[:12],
            "traceback_in_app_log": traceback_in_log,
            "app_log_errors": sorted({line.strip()[:200] for line in app_log.splitlines()
                                      if re.match(r"\s*\w+(\.\w+)*(Error|Exception)\b", line)})[:10],
            "feedback_median_s": _r(statistics.median(feedback)) if feedback else None,
            "feedback_p95_s": _r(percentile(feedback, 0.95)),
            "feedback_max_s": _r(max(feedback)) if feedback else None,
            "feedback_python_wall_median_s": _r(statistics.median(feedback_wall)) if feedback_wall else None,
            "autosaves": sum(log.autosaves for log in logs),
            "autosave_median_s": _r(statistics.median(autosave)) if autosave else None,
            "autosave_p95_s": _r(percentile(autosave, 0.95)),
            "wall_s": round(wall, 1),
            "app_cpu_s": round(out["app_cpu_s"], 1),
            "app_cpu_share_of_one_core": round(out["app_cpu_s"] / wall, 2) if wall else None,
            "app_peak_rss_mb": round(app_rss_peak_mb),
            "app_rss_end_mb": round(app_rss_end_mb),
            "browser_cpu_s": round(sum(sampler.browser_cpu.values()), 1),
            "browser_peak_rss_mb": round(sampler.browser_rss_peak_kb / 1024),
            "browser_processes_peak": sampler.browser_procs_peak,
            "driver_cpu_s": round(out["driver_cpu_s"], 1),
            "load_average_1min_before": round(load_before, 2),
            "load_average_1min_median_max": [round(statistics.median(sampler.load), 2), round(max(sampler.load), 2)]
            if sampler.load else None,
        })
        return result
    finally:
        if server is not None:
            server.stop()
        if engine is not None:
            engine.dispose()
        storage.dispose_engines()
        cleanup()


def _r(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.2f} s"


class _Table:
    """A Markdown table with one column per database run: ``add(measure, cell_of_run)``."""

    def __init__(self, run: dict):
        self.rows = [r for r in run["results"] if "failed" not in r]
        self.lines = ["| measure | " + " | ".join(r["server_version"] for r in self.rows) + " |",
                      "| --- | " + " | ".join("---" for _ in self.rows) + " |"]

    def add(self, name: str, cell) -> None:
        self.lines.append(f"| {name} | " + " | ".join(cell(r) for r in self.rows) + " |")

    def markdown(self) -> str:
        return "\n".join(self.lines) + "\n" if self.rows else "All runs failed; see the script's output.\n"


def storage_table(run: dict) -> str:
    """Storage mode's figures as the Markdown table docs/DEPLOY.md quotes."""
    def ms(value) -> str:
        return "—" if value is None else f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"

    s = _seconds
    table = _Table(run)
    add = table.add

    add("simulated aspirants × answers each", lambda r: f"{r['aspirants']} × {r['attempts_each']}")
    add("attempts submitted / found in the database", lambda r: f"{r['attempts_submitted']} / {r['attempts_found']}")
    add("**attempts lost**", lambda r: f"**{r['attempts_lost']}**")
    add("errors (any exception in any call)", lambda r: str(r["errors"]))
    add("**time to feedback, median**", lambda r: f"**{ms(r['feedback_median_ms'])}**")
    add("**time to feedback, p95**", lambda r: f"**{ms(r['feedback_p95_ms'])}**")
    add("time to feedback, slowest", lambda r: ms(r["feedback_max_ms"]))
    add("autosaves: count, median, p95",
        lambda r: f"{r['autosaves']:,}, {ms(r['autosave_median_ms'])}, {ms(r['autosave_p95_ms'])}")
    add("submits per second (with the writing pauses)", lambda r: f"{r['submits_per_s']:.1f}")
    add("real browsers: submits / found / errors",
        lambda r: f"{r['browser_submits']} / {r['browser_attempts_found']} / {r['browser_errors']}")
    add("real browsers: click Submit → marks painted, median (p95)",
        lambda r: f"{s(r['browser_submit_to_marks_median_s'])} ({s(r['browser_submit_to_marks_p95_s'])})")
    add("load average (1 min) before → end of the run",
        lambda r: " → ".join(f"{v:.1f}" for v in r["load_average_1min_before_after"]))
    return table.markdown()


def app_table(run: dict) -> str:
    """App mode's figures as the Markdown table docs/DEPLOY.md quotes."""
    s = _seconds
    table = _Table(run)
    add = table.add

    add("aspirants (browser sessions, each signed up) × answers each",
        lambda r: f"{r['aspirants']} × {r['attempts_each']}")
    add("sign-ups (ramp: at most N at once): N, all done after, each median (slowest)",
        lambda r: f"{r['signup_concurrency']}, {r['all_signed_up_at_s']:.0f} s, "
                  f"{s(r['sign_up_median_s'])} ({s(r['sign_up_max_s'])})")
    add("accounts signed up; then all writing at once for", lambda r: f"{r['sign_ups_done']}; {r['writing_phase_s']:.0f} s")
    add("attempts planned / submitted / found in the database",
        lambda r: f"{r['attempts_planned']} / {r['attempts_submitted']} / {r['attempts_found']}")
    add("**attempts lost**", lambda r: f"**{r['attempts_lost']}**")
    add("text differing, extra rows, drafts left open", lambda r: f"{r['wrong_text']}, {r['extra_rows']}, "
                                                                  f"{r['open_drafts_left_for_submitted']}")
    add("errors: all (pages affected; pages stopped by one; autosaves not confirmed in time)",
        lambda r: f"{r['errors']} ({r['pages_with_errors']}; {r.get('pages_stopped_by_an_error', '—')}; "
                  f"{r.get('autosaves_unconfirmed', '—')})")
    add("**time to feedback, median** (Submit click → marks painted)", lambda r: f"**{s(r['feedback_median_s'])}**")
    add("**time to feedback, p95**", lambda r: f"**{s(r['feedback_p95_s'])}**")
    add("time to feedback, slowest", lambda r: s(r["feedback_max_s"]))
    add("autosaves: count; burst → saved word count shown, median (p95)",
        lambda r: f"{r['autosaves']:,}; {s(r['autosave_median_s'])} ({s(r['autosave_p95_s'])})")
    add("wall time", lambda r: f"{r['wall_s']:.0f} s")
    add("app process: CPU (share of one core), peak RSS",
        lambda r: f"{r['app_cpu_s']:.0f} s ({r['app_cpu_share_of_one_core']:.0%}), {r['app_peak_rss_mb']} MB")
    add("Chromium: CPU, peak RSS (all pages)", lambda r: f"{r['browser_cpu_s']:.0f} s, {r['browser_peak_rss_mb']:,} MB")
    add("load average (1 min): before; median, max during",
        lambda r: f"{r['load_average_1min_before']:.1f}; "
                  + ", ".join(f"{v:.1f}" for v in (r["load_average_1min_median_max"] or [])))
    return table.markdown()


def markdown(report: dict) -> str:
    parts = []
    for mode, title, table in (("app", "App mode: aspirants as browser sessions of the one app process", app_table),
                               ("storage", "Storage mode: simulated aspirants as threads on the database", storage_table)):
        run = report["runs"].get(mode)
        if run:
            parts.append(f"{title} (measured {run['date'][:16].replace('T', ' ')} UTC, `{run['produced_by']}`)\n\n"
                         + table(run))
    return "\n".join(parts)


def load_previous(path: Path) -> dict:
    """The report already written, as {"runs": {mode: run}}; the older layout was storage mode's alone."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"runs": {}}
    if "runs" in old:
        return old
    if "results" in old:
        return {"runs": {"storage": old}}
    return {"runs": {}}


def print_app(results: list[dict]) -> None:
    print(f"{'database':<11}{'asp.':>5}{'submitted':>10}{'found':>7}{'lost':>6}{'errors':>8}"
          f"{'feedback median':>17}{'p95':>8}{'max':>8}{'autosaves':>10}{'app CPU':>9}{'app RSS':>9}"
          f"{'load':>6}{'wall':>7}")
    for r in results:
        if "failed" in r:
            print(f"{r['database']:<11} FAILED")
            continue
        print(f"{r['database']:<11}{r['aspirants']:>5}{r['attempts_submitted']:>10}{r['attempts_found']:>7}"
              f"{r['attempts_lost']:>6}{r['errors']:>8}{r['feedback_median_s'] or float('nan'):>15.2f} s"
              f"{r['feedback_p95_s'] or float('nan'):>6.2f} s{r['feedback_max_s'] or float('nan'):>6.2f} s"
              f"{r['autosaves']:>10}{r['app_cpu_s']:>7.0f} s{r['app_peak_rss_mb']:>6} MB"
              f"{(r['load_average_1min_median_max'] or [0, 0])[1]:>6.1f}{r['wall_s']:>6.0f}s")
    for r in results:
        for sample in r.get("error_samples", []) + r.get("verify_samples", []):
            print(f"  {r['database']}: {sample}")


def print_storage(results: list[dict]) -> None:
    header = (f"{'database':<11}{'submitted':>10}{'found':>7}{'lost':>6}{'errors':>8}"
              f"{'feedback median':>17}{'p95':>9}{'autosave p95':>14}{'browser submits':>17}{'marks median':>14}")
    print(header)
    for r in results:
        if "failed" in r:
            print(f"{r['database']:<11} FAILED")
            continue
        print(f"{r['database']:<11}{r['attempts_submitted']:>10}{r['attempts_found']:>7}{r['attempts_lost']:>6}"
              f"{r['errors']:>8}{r['feedback_median_ms']:>14} ms{r['feedback_p95_ms']:>6} ms"
              f"{r['autosave_p95_ms']:>11} ms{r['browser_submits']:>17}"
              f"{(r['browser_submit_to_marks_median_s'] or float('nan')):>12.2f} s")
    for r in results:
        for sample in r.get("error_samples", []) + r.get("browser_error_samples", []):
            print(f"  {r['database']} error: {sample}")


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="app",
                        help="app (aspirants are browser sessions of the app), storage (threads on the database), "
                             "or both: app,storage")
    parser.add_argument("--aspirants", type=int, default=50)
    parser.add_argument("--attempts", type=int, default=4, help="answers each aspirant writes and submits")
    parser.add_argument("--autosaves", type=int, default=6, help="autosaves while writing each answer")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="scale of the pause between autosaves (0.5-1.5 s × this)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="app mode: sign-ups start no sooner than evenly over this many seconds")
    parser.add_argument("--signup-concurrency", type=int, default=3,
                        help="app mode: at most this many pages load the app and sign up at once")
    parser.add_argument("--spread", type=float, default=10.0,
                        help="app mode: once all have signed up, each starts writing within this many seconds")
    parser.add_argument("--step-timeout", type=float, default=120.0,
                        help="app mode: seconds one step of a page (a sign-up, an autosave, a Submit) may take")
    parser.add_argument("--autosave-timeout", type=float, default=45.0,
                        help="app mode: seconds to wait for an autosave to show before typing on (counted as an error)")
    parser.add_argument("--shots", type=Path, default=None, help="app mode: a screenshot of each failing page here")
    parser.add_argument("--browsers", type=int, default=3, help="storage mode: real Chromium sessions alongside")
    parser.add_argument("--browser-head-start", type=float, default=8.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="", help="a server URL whose user may create databases "
                        "(default: $TEST_POSTGRES_URL, else scripts/start_postgres.sh)")
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)

    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    if not modes or any(m not in ("app", "storage") for m in modes):
        parser.error("--mode is app, storage, or app,storage")
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    report = load_previous(args.out)
    report.update({"python": platform.python_version(), "cpus": os.cpu_count()})
    bad = False
    for mode in modes:
        runner = run_app if mode == "app" else run_storage
        results = []
        date = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with tempfile.TemporaryDirectory(prefix=f"mains-load-{mode}-") as tmp:
            for kind in kinds:
                work = Path(tmp) / kind
                work.mkdir()
                try:
                    results.append(runner(kind, args, work))
                except Exception:  # noqa: BLE001
                    traceback.print_exc()
                    results.append({"database": kind, "mode": mode, "failed": traceback.format_exc(limit=3)})
        print()
        (print_app if mode == "app" else print_storage)(results)
        settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                    if k not in ("postgres_url", "out", "shots", "mode")}
        report["runs"][mode] = {
            "produced_by": "python3 benchmarks/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": date, "python": platform.python_version(), "cpus": os.cpu_count(),
            "settings": settings, "results": results}
        bad = bad or any("failed" in r or r["attempts_lost"] or r.get("browser_lost") for r in results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    md = args.out.with_suffix(".md")
    md.write_text(markdown(report))
    print(f"\nwritten to {_shown(args.out)} and {_shown(md)} (the tables docs/DEPLOY.md quotes)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
