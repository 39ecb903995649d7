"""Load script (not a test): 50 simulated aspirants against one app process, on SQLite and PostgreSQL.

    python3 benchmarks/load.py [--aspirants 50] [--attempts 4] [--browsers 3] [--databases sqlite,postgresql]

For each database it:

1. makes a fresh database (a temporary SQLite file, or a new database on the PostgreSQL
   server named by ``--postgres-url`` / ``TEST_POSTGRES_URL``; without either it runs
   ``scripts/start_postgres.sh``) and a temporary copy of the question bank;
2. starts ONE app process, ``streamlit run streamlit_app.py`` on a free loopback port,
   with that ``DATABASE_URL`` and ``MAINS_BANK_DIR``;
3. runs ``--aspirants`` simulated aspirants as threads of this process, each its own
   user, sharing one fitted scorer as the app's sessions share ``current_scorer()``.
   Each makes the calls the Practice page makes, in its order (``app_pages/practice.py``):
   Start → ``start_or_resume_draft``; every autosave of the writing fragment →
   ``get_draft`` + ``save_draft_text``, a few words at a time with a pause between
   ("typing"); Submit → ``save_draft_text`` (now), ``scorer.score``, the overtime flag,
   ``submit_attempt``; then the feedback screen → ``get_attempt`` and its feedback parsed.
   "Time to feedback" is from Submit to the parsed feedback in hand;
4. at the same time drives ``--browsers`` real headless Chromium sessions (Debian's
   ``/usr/bin/chromium`` through Playwright) through the app process itself: open a
   question, Start, write the model answer, wait for the autosave, click Submit, and time
   the click to the marks being painted (as ``benchmarks/browser_bench.py`` does);
5. afterwards reads the database: every submitted attempt must be there, exactly once,
   with the exact answer text, and no draft of a submitted answer may be left open.
   "Lost" = submitted but not found.

Why threads and not 50 browsers: 50 Chromium instances (or 50 Streamlit websocket
clients) would need far more than this machine's 2 cores, and the figure would measure
the browsers.  The storage and scoring calls are where answers can be lost and where
the database is contended; the browsers show the same path end to end through the app
process while the simulated load runs.  docs/DEPLOY.md gives the figures.

Prints a table and writes ``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
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


# ------------------------------------------------------------------ simulated aspirants


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
    """A plausible answer: the model answer's sentences, some dropped, some reordered, a line of one's own."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", item.question.model_answer.strip()) if s]
    keep = [s for s in sentences if rng.random() > 0.25] or sentences[:1]
    if len(keep) > 3 and rng.random() < 0.5:
        i = rng.randrange(1, len(keep) - 1)
        keep[i], keep[i + 1] = keep[i + 1], keep[i]
    keep.append(f"In my view this matters for India's interests ({rng.randrange(10**6)}).")
    return " ".join(keep)


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


def postgres_admin_url(args) -> str:
    url = args.postgres_url or os.environ.get("TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    return subprocess.run(["bash", str(ROOT / "scripts" / "start_postgres.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()


def run_one(kind: str, args, work: Path) -> dict:
    import sqlalchemy as sa
    from tqdm import tqdm

    import storage
    from scoring.bank import load_bank
    from scoring.scorer import Scorer
    from storage.engine import normalise_url
    from tests.browser.harness import StreamlitServer, copy_bank

    bank_dir = copy_bank(work / f"bank-{kind}")
    admin = None
    if kind == "sqlite":
        url = f"sqlite:///{work / 'load.db'}"
    else:
        admin_url = postgres_admin_url(args)
        admin = sa.create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        name = f"mains_load_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    os.environ["MAINS_BANK_DIR"] = str(bank_dir)
    server = StreamlitServer(bank_dir, work / "unused.db", work / f"logs-{kind}", extra_env={
        "DATABASE_URL": url, "MAINS_CALIBRATION": str(work / "no-calibration.mcal")})
    result: dict = {"database": kind}
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
            "error_samples": errors[:10],
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
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _server_version(engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return "SQLite " + connection.exec_driver_sql("select sqlite_version()").scalar()
        return connection.exec_driver_sql("show server_version").scalar().split()[0].join(["PostgreSQL ", ""])


# ------------------------------------------------------------------ report


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def markdown_table(report: dict) -> str:
    """The figures as the Markdown table docs/DEPLOY.md quotes."""
    rows = [r for r in report["results"] if "failed" not in r]
    if not rows:
        return "All runs failed; see the script's output.\n"

    def ms(value) -> str:
        return "—" if value is None else f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"

    def s(value) -> str:
        return "—" if value is None else f"{value:.2f} s"

    lines = ["| measure | " + " | ".join(r["server_version"] for r in rows) + " |",
             "| --- | " + " | ".join("---" for _ in rows) + " |"]

    def add(name, fn):
        lines.append(f"| {name} | " + " | ".join(fn(r) for r in rows) + " |")

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
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aspirants", type=int, default=50)
    parser.add_argument("--attempts", type=int, default=4, help="answers each aspirant writes and submits")
    parser.add_argument("--autosaves", type=int, default=6, help="autosaves while writing each answer")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="scale of the pause between autosaves (0.5-1.5 s × this)")
    parser.add_argument("--browsers", type=int, default=3, help="real Chromium sessions through the app process")
    parser.add_argument("--browser-head-start", type=float, default=8.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="", help="a server URL whose user may create databases "
                        "(default: $TEST_POSTGRES_URL, else scripts/start_postgres.sh)")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="mains-load-") as tmp:
        for kind in kinds:
            work = Path(tmp) / kind
            work.mkdir()
            try:
                results.append(run_one(kind, args, work))
            except Exception:  # noqa: BLE001
                traceback.print_exc()
                results.append({"database": kind, "failed": traceback.format_exc(limit=3)})

    print()
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

    report = {
        "produced_by": "python3 benchmarks/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("postgres_url", "out")},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    markdown = args.out.with_suffix(".md")
    markdown.write_text(markdown_table(report))
    print(f"\nwritten to {_shown(args.out)} and {_shown(markdown)} (the table docs/DEPLOY.md quotes)")
    bad = any("failed" in r or r["attempts_lost"] or r["browser_lost"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
