"""Browser benchmark (a script, not a test): how fast the app feels in a real browser.

    python3 benchmarks/browser_bench.py [--starts 3] [--submits 5]

Measures, with Debian's /usr/bin/chromium driven by Playwright against ``streamlit run``:

1. **Cold start → first render**: from launching ``streamlit run`` (a new process, a new
   browser context with an empty cache) to the Practice page's title being on screen.
   Median of ``--starts`` cold starts.  Also reported: the time until the server's
   ``/_stcore/health`` answers, and until the first script run has finished.
2. **Submit → marks visible**: from clicking Submit on a written answer (the model answer of
   a real bank question, so the scorer does a realistic amount of work) to the Marks value
   being visible.  Median of ``--submits`` submissions on one warm server.

Targets on this 2-core machine: first render < 3 s, marks < 1 s.  Results are printed as a
table and written to ``benchmarks/results/browser.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import app_driver as ui  # noqa: E402
from tests.browser.fixture_bank import TOPIC, write_fixture_items  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    APP_SCRIPT, CHROMIUM, IDLE_SELECTOR, StreamlitServer, copy_bank, launch_chromium, wait_idle,
)

RESULTS = ROOT / "benchmarks" / "results" / "browser.json"
TARGET_FIRST_RENDER_S = 3.0
TARGET_SUBMIT_S = 1.0
TITLE = "[data-testid='stMain'] h1"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"

#: Times, inside the page, from the Submit click (capture phase) to the first animation
#: frame after the Marks value is in the DOM, i.e. when it can be painted.
WATCH_SUBMIT = """
() => {
  window.__bench = {t0: null, marks: null};
  const marks = ".st-key-practice_feedback_marks [data-testid='stMetricValue']";
  document.addEventListener("click", ev => {
    if (ev.target.closest(".st-key-practice_submit")) window.__bench.t0 = performance.now();
  }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (window.__bench.t0 !== null && document.querySelector(marks)) {
      obs.disconnect();
      requestAnimationFrame(() => { window.__bench.marks = performance.now() - window.__bench.t0; });
    }
  });
  obs.observe(document.body, {subtree: true, childList: true});
}
"""


def cold_start(browser, bank: Path, work: Path, index: int) -> dict:
    """One cold start: new server process, new browser context, first render timed."""
    server = StreamlitServer(bank, work / f"cold-{index}.db", work / "logs")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        server.start(timeout=60)  # returns as soon as /_stcore/health answers
        t_health = time.perf_counter()
        page.goto(server.url, wait_until="commit")
        page.wait_for_selector(CONNECTED, state="attached", timeout=60_000)
        t_ws = time.perf_counter()
        page.locator(TITLE).first.wait_for(state="visible", timeout=60_000)
        t_title = time.perf_counter()
        page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=60_000)
        t_idle = time.perf_counter()
        return {"health_s": t_health - t0, "connected_s": t_ws - t0,
                "first_render_s": t_title - t0, "script_done_s": t_idle - t0}
    finally:
        context.close()
        server.stop()


def pick_bank_question(bank: Path):
    """A real (non-fixture) question with the longest model answer, or the submit fixture."""
    from scoring.bank import load_bank

    items = [i for i in load_bank(bank) if i.question.topic != TOPIC]
    if not items:
        items = [i for i in load_bank(bank) if i.id == "zz-browser-submit"]
    return max(items, key=lambda i: len(i.question.model_answer.split()))


def submit_once(page, server: StreamlitServer, item) -> dict:
    """Write the answer, then time Submit -> marks (in the page, and from Python)."""
    page.goto(f"{server.url}/?q={item.id}", wait_until="domcontentloaded")
    wait_idle(page, timeout=60)
    ui.click(page, ui.START)
    box = ui.answer_box(page)
    box.wait_for(state="visible")
    answer = item.question.model_answer.strip()
    box.fill(answer)  # one input event; the box sends it after its debounce
    ui.wait_saved(page, answer, timeout=30)
    value = page.locator(f"{ui.MARKS} [data-testid='stMetricValue']").first
    page.evaluate(WATCH_SUBMIT)
    t0 = time.perf_counter()
    page.locator(ui.SUBMIT).click()
    value.wait_for(state="visible", timeout=30_000)
    t1 = time.perf_counter()
    page.wait_for_function("() => window.__bench && window.__bench.marks !== null", timeout=10_000)
    in_page = page.evaluate("() => window.__bench.marks") / 1000
    marks = value.inner_text()
    wait_idle(page)
    return {"submit_to_marks_s": in_page, "python_wall_s": t1 - t0, "marks": marks,
            "words": len(answer.split())}


def chromium_version() -> str:
    try:
        return subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except Exception as exc:  # pragma: no cover - informational only
        return f"unknown ({exc})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (median)")
    parser.add_argument("--submits", type=int, default=5, help="submissions to time (median)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: run scripts/setup.sh", file=sys.stderr)
        return 2
    if not APP_SCRIPT.exists():
        print(f"{APP_SCRIPT} not found", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright
    import streamlit

    with tempfile.TemporaryDirectory(prefix="browser-bench-") as tmp:
        work = Path(tmp)
        bank = copy_bank(work / "bank")
        write_fixture_items(bank)
        item = pick_bank_question(bank)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                starts = []
                for i in range(args.starts):
                    starts.append(cold_start(browser, bank, work, i))
                    print(f"  cold start {i + 1}: first render {starts[-1]['first_render_s']:.2f} s",
                          flush=True)
                server = StreamlitServer(bank, work / "warm.db", work / "logs")
                server.start(timeout=60)
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                try:
                    # the first submit of a browser session also loads the feedback page's
                    # code (charts, tables); report it, but time the steady state
                    first = submit_once(page, server, item)
                    print(f"  first submit (cold browser cache): {first['submit_to_marks_s']:.3f} s",
                          flush=True)
                    submits = []
                    for i in range(args.submits):
                        submits.append(submit_once(page, server, item))
                        print(f"  submit {i + 1}: marks after {submits[-1]['submit_to_marks_s']:.3f} s "
                              f"(Python wall clock {submits[-1]['python_wall_s']:.3f} s)", flush=True)
                finally:
                    context.close()
                    server.stop()
            finally:
                browser.close()

    first_render = statistics.median(s["first_render_s"] for s in starts)
    submit_s = statistics.median(s["submit_to_marks_s"] for s in submits)
    rows = [
        ("server start -> first render", first_render, TARGET_FIRST_RENDER_S, len(starts)),
        ("click Submit -> marks visible", submit_s, TARGET_SUBMIT_S, len(submits)),
    ]
    print()
    print(f"{'measure':<32}{'median':>10}{'target':>10}{'n':>4}  met")
    for name, value, target, n in rows:
        print(f"{name:<32}{value:>9.2f}s{'< ' + format(target, 'g') + ' s':>10}{n:>4}  "
              f"{'yes' if value < target else 'NO'}")
    med = {k: statistics.median(s[k] for s in starts) for k in starts[0]}
    print(f"cold start, medians: health endpoint up {med['health_s']:.2f} s, page connected "
          f"{med['connected_s']:.2f} s, title {med['first_render_s']:.2f} s, first script run done "
          f"{med['script_done_s']:.2f} s")
    print(f"submit: {submits[0]['words']}-word answer to {item.id}; in-page time from the click to the "
          f"frame showing the marks (Python's wall clock, with Playwright's overhead: median "
          f"{statistics.median(s['python_wall_s'] for s in submits):.2f} s); first submit in a "
          f"fresh browser {first['submit_to_marks_s']:.2f} s")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (other work on the machine slows both)")

    result = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "streamlit": streamlit.__version__,
                    "chromium": chromium_version()},
        "first_render": {"median_s": round(first_render, 3), "target_s": TARGET_FIRST_RENDER_S,
                         "met": first_render < TARGET_FIRST_RENDER_S,
                         "samples": [{k: round(v, 3) for k, v in s.items()} for s in starts]},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "submit_to_marks": {"median_s": round(submit_s, 3), "target_s": TARGET_SUBMIT_S,
                            "measured": "in the page: Submit click to the frame after the Marks value appears",
                            "first_submit_cold_browser_s": round(first["submit_to_marks_s"], 3),
                            "met": submit_s < TARGET_SUBMIT_S, "question_id": item.id,
                            "answer_words": submits[0]["words"],
                            "samples": [{k: (round(v, 3) if isinstance(v, float) else v)
                                         for k, v in s.items()} for s in submits]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
