"""How the tests (and the benchmark) use the app's screens, in one place.

Selectors follow what the app renders: Streamlit gives each keyed widget's container
the class ``st-key-<key>``; the answer box is a ``st.components.v2`` component whose
textarea carries ``data-testid="answer-input"`` inside an open shadow root (Playwright's
CSS selectors pierce it).  The countdown is a component that ticks in the browser,
mounted without a shadow root inside the ``practice_clock`` container, so the
container's ``innerText`` is the clock's text.  If the app's keys change, only this
file changes.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scoring.text import word_count

from .fixture_bank import KEYS
from .harness import wait_idle

ANSWER = "[data-testid='answer-input']"
WORD_COUNT = "[data-testid='answer-word-count']"
SYNC_STATE = "[data-testid='answer-sync-state']"
CLOCK = ".st-key-practice_clock"
CLOCK_LEFT = f"{CLOCK} [data-testid='countdown'][data-state='left']"  # "07:00 left of 7:00"
CLOCK_OVER = f"{CLOCK} [data-testid='countdown'][data-state='over']"  # "Time is up (7 minutes) · 00:05 over. …"
SAVE_STATUS = ".st-key-practice_save_status"
SUBMIT = ".st-key-practice_submit button"
START = ".st-key-practice_start button"
SEARCH = ".st-key-practice_search input"
PICK = ".st-key-practice_pick [role='combobox']"
MARKS = ".st-key-practice_feedback_marks"
POINTS = ".st-key-practice_feedback_points"
HIGHLIGHTED = "[data-testid='answer-highlighted']"

_CLOCK_LEFT = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})\s+left")


def key(name: str) -> str:
    """The container of the widget with ``key=name``."""
    return f".st-key-{name}"


def click(page, selector: str) -> None:
    page.locator(selector).first.click()
    wait_idle(page)


def choose_question(page, question_id: str, *, search: str | None = None) -> None:
    """On the Practice picker: search for the question, then pick it in the select box."""
    phrase = KEYS.get(question_id, search or question_id)
    box = page.locator(SEARCH)
    box.fill(search or phrase)
    box.press("Enter")
    wait_idle(page)
    pick_option(page, PICK, phrase)
    wait_idle(page)
    page.locator(START).wait_for(state="visible")


def pick_option(page, box: str, phrase: str, tries: int = 3) -> None:
    """Open the select box ``box`` and click the option that reads ``phrase``. A rerun that lands while the
    list is open re-renders the box and closes the list (CI once saw the option detached for 20 s): then
    close it, let the page settle and open it again."""
    for attempt in range(1, tries + 1):
        page.locator(box).click()
        try:
            page.get_by_role("option").filter(has_text=phrase).first.click(timeout=7_000)
            return
        except PlaywrightTimeout:
            if attempt == tries:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)


def start_question(page, question_id: str, *, search: str | None = None) -> None:
    """Pick a question on the Practice page and press Start; wait for the answer box."""
    choose_question(page, question_id, search=search)
    click(page, START)
    answer_box(page).wait_for(state="visible")


def answer_box(page):
    return page.locator(ANSWER)


def type_answer(page, text: str, *, delay: float = 0) -> None:
    """Type at the end of the answer box, key by key, as a person would."""
    box = answer_box(page)
    box.click()
    box.press("Control+End")
    box.press_sequentially(text, delay=delay)


def server_words(page) -> int | None:
    """The word count the server reports in the autosave line (what it has saved)."""
    text = page.locator(SAVE_STATUS).inner_text()
    m = re.search(r"(\d+)\s*/\s*\d+\s+words", text)
    return int(m.group(1)) if m else None


def wait_saved(page, expected_text: str, timeout: float = 15.0) -> None:
    """Wait until the server has autosaved ``expected_text`` (its word count matches)."""
    want = word_count(expected_text)
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        wait_idle(page, settle=0.2)
        try:
            seen = server_words(page)
        except Exception:  # the fragment is rerendering
            seen = None
        if seen == want and answer_box(page).input_value() == expected_text:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"autosave never reported {want} words (last seen {seen})")


def clock_seconds_left(page) -> int | None:
    """Seconds left on the countdown, or None when the clock says time is up."""
    text = page.locator(CLOCK).inner_text()
    m = _CLOCK_LEFT.search(text)
    if not m:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return hours * 3600 + minutes * 60 + seconds


def submit(page, timeout: float = 30.0) -> None:
    page.locator(SUBMIT).click()
    page.locator(MARKS).wait_for(state="visible", timeout=timeout * 1000)
    wait_idle(page)


def marks_text(page) -> str:
    """E.g. '6.5 / 10' from the Marks metric."""
    metric = page.locator(MARKS).get_by_test_id("stMetric").filter(has_text="Marks").first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def open_in_history(page, question_phrase: str) -> None:
    """Go to History and reopen the attempt whose question contains ``question_phrase``."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="History").click()
    wait_idle(page)
    pick_option(page, f"{key('history_pick')} [role='combobox']", question_phrase)
    wait_idle(page)
    page.locator(f"{key('history_feedback_marks')}").wait_for(state="visible")


def history_marks_text(page) -> str:
    metric = page.locator(key("history_feedback_marks")).get_by_test_id("stMetric").filter(
        has_text="Marks").first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


#: WCAG contrast ratio of an element's text against what is behind it: its colour with the
#: opacity of it and every ancestor applied, over the nearest opaque background (white if none).
CONTRAST_JS = """e => {
  const rgba = s => { const v = s.match(/[\\d.]+/g).map(Number); return v.length === 3 ? [...v, 1] : v; };
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = c => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  let opacity = 1, back = [255, 255, 255, 1];
  for (let n = e; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
  for (let n = e; n; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] === 1) { back = c; break; }
  }
  const fore = rgba(getComputedStyle(e).color), a = fore[3] * opacity;
  const seen = [0, 1, 2].map(i => fore[i] * a + back[i] * (1 - a));
  const [hi, lo] = [luminance(seen), luminance(back)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def contrast(locator) -> float:
    """The text's contrast ratio with its background, as a reader sees it (4.5 is WCAG AA for body text)."""
    return float(locator.evaluate(CONTRAST_JS))


#: Each data table on the page: is it shown, its width, whether its grid is wider than its box (it
#: would scroll sideways), and the keyed container holding it (the first key with one of the prefixes).
DATA_TABLES_JS = """prefixes => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(d => {
  const grid = d.querySelector('.dvn-scroller');
  const holder = d.closest(prefixes.map(p => `[class*="st-key-${p}"]`).join(', '));
  const name = holder ? holder.className.match(new RegExp(`st-key-((?:${prefixes.join('|')})\\\\w*)`)) : null;
  return {shown: d.offsetParent !== null, width: d.getBoundingClientRect().width,
          sideways: grid ? grid.scrollWidth - grid.clientWidth : null, holder: name ? name[1] : null};
})"""


def data_tables(page, *key_prefixes: str) -> list[dict]:
    """Every data table on the page (``DATA_TABLES_JS``), named by its container's key."""
    return page.evaluate(DATA_TABLES_JS, list(key_prefixes))


def column_titles(page, holder: str) -> list[str]:
    """The column titles of the table in this container (the grid's accessible header row)."""
    return page.locator(key(holder)).locator("[role=columnheader]").all_text_contents()
