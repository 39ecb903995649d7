"""The countdown ticks in the browser: no request reaches the server while an aspirant
just writes, a wrong browser clock changes nothing (it counts from the server's
reading), and re-renders never pile up intervals."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from . import app_driver as ui
from .harness import open_app, wait_idle

QUESTION = "ij-open-ran"  # a question of the repository's bank that no other browser test uses
SEARCH = "Open RAN"

# Before the app loads: this browser's clock is three hours fast, and every
# 250 ms interval (the countdown's tick) is counted while it is alive.
INIT = """
(() => {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + 3 * 3600 * 1000;
  const live = new Set();
  const set = window.setInterval.bind(window), clear = window.clearInterval.bind(window);
  window.setInterval = (fn, ms, ...rest) => {
    const id = set(fn, ms, ...rest);
    if (ms === 250) live.add(id);
    return id;
  };
  window.clearInterval = (id) => { live.delete(id); return clear(id); };
  window.__tickIntervals = () => live.size;
})();
"""

LEFT_LINE = re.compile(r"^\d{2}:\d{2} left of 7:00$")


def clock_text(page) -> str:
    return " ".join(page.locator(ui.CLOCK).inner_text().split())


def ticks(page) -> int:
    return page.evaluate("window.__tickIntervals()")


def issued(page) -> str:
    return page.locator("[data-testid='countdown']").get_attribute("data-issued")


def test_the_clock_ticks_in_the_browser_from_the_servers_reading(page, app_url):
    page.add_init_script(INIT)
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload)[:80])))
    open_app(page, app_url)
    before = ticks(page)

    ui.start_question(page, QUESTION, search=SEARCH)
    try:
        # The browser's clock is 3 hours off; the countdown is not.
        left = ui.clock_seconds_left(page)
        assert left is not None and 7 * 60 - 15 <= left <= 7 * 60, clock_text(page)
        assert LEFT_LINE.match(clock_text(page)), clock_text(page)
        assert ticks(page) == before + 1

        # Nobody types: the clock moves and the browser sends the server nothing.
        wait_idle(page)
        sent.clear()
        page.wait_for_timeout(3500)
        later = ui.clock_seconds_left(page)
        assert left - 6 <= later <= left - 2, (left, later)
        assert sent == [], f"{len(sent)} message(s) sent to the server while idle: {sent[:3]}"

        # A whole-page rerun sends a new reading; the old interval is cleared first.
        reading = issued(page)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("r")  # Streamlit's "rerun" shortcut
        wait_idle(page)
        page.wait_for_function(
            "(old) => document.querySelector(\"[data-testid='countdown']\").dataset.issued !== old", arg=reading)
        assert sent, "no message seen on the websocket: the idle check above would prove nothing"
        assert ticks(page) == before + 1
        again = ui.clock_seconds_left(page)
        assert later - 6 <= again <= later, (later, again)

        # To another page and back: the countdown unmounts (its interval stops) and mounts again.
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name="History").click()
        wait_idle(page)
        assert page.locator(ui.CLOCK).count() == 0
        assert ticks(page) == before
        nav.get_by_role("link", name="Practice").click()
        wait_idle(page)
        ui.answer_box(page).wait_for(state="visible")
        assert ticks(page) == before + 1
        resumed = ui.clock_seconds_left(page)
        assert again - 10 <= resumed <= again, (again, resumed)
        assert not page.js_errors, page.js_errors
    finally:  # leave no open draft behind for the other tests
        if page.locator(ui.key("practice_discard_menu")).count():
            ui.click(page, ui.key("practice_discard_menu") + " button")
            ui.click(page, ui.key("practice_discard_confirm") + " button")


def test_the_clock_stays_in_sight_when_a_phone_scrolls_down_to_submit(app):
    page = app
    ui.start_question(page, "ij-semiconductors", search="resilient semiconductor")
    try:
        page.set_viewport_size({"width": 390, "height": 740})
        ui.answer_box(page).fill(("Fabs need water, power and trained engineers. " * 8 + "\n\n") * 6)
        page.locator(ui.SUBMIT).scroll_into_view_if_needed()
        wait_idle(page)
        assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") > 200  # it did scroll
        header = page.get_by_test_id("stHeader").bounding_box()
        clock = page.locator(ui.CLOCK).bounding_box()
        submit = page.locator(ui.SUBMIT).bounding_box()
        assert header["y"] + header["height"] - 1 <= clock["y"], (header, clock)  # below the header, not under it
        assert clock["y"] + clock["height"] <= submit["y"] <= 740, (clock, submit)
        # nothing scrolls over it: the clock is what the page shows at its centre
        centre = (clock["x"] + clock["width"] / 2, clock["y"] + clock["height"] / 2)
        assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.st-key-practice_clock')",
                             list(centre))
        assert re.fullmatch(r"\d{2}:\d{2} left of 11:00", clock_text(page)), clock_text(page)
    finally:  # leave no open draft behind for the other tests
        page.set_viewport_size({"width": 1280, "height": 900})
        if page.locator(ui.key("practice_discard_menu")).count():
            ui.click(page, ui.key("practice_discard_menu") + " button")
            ui.click(page, ui.key("practice_discard_confirm") + " button")


def box(page, selector: str) -> dict:
    """An element's top and bottom on screen (inside the answer box's shadow root too)."""
    r = page.locator(selector).bounding_box()
    return {"top": r["y"], "bottom": r["y"] + r["height"]}


def test_the_word_count_stays_in_sight_while_a_phone_types_a_long_answer(app):
    page = app
    ui.start_question(page, "ij-semiconductors", search="resilient semiconductor")
    try:
        page.set_viewport_size({"width": 375, "height": 667})  # a small phone
        ui.answer_box(page).fill("Fabs need water, power and trained engineers. " * 40)
        ui.type_answer(page, "Japan can help.")  # typing at the end, as a person would
        expect(page.locator(ui.WORD_COUNT)).to_have_text(f"{7 * 40 + 3} / 250 words")
        count, text = box(page, ui.WORD_COUNT), box(page, ui.ANSWER)
        assert 0 <= count["top"] and count["bottom"] <= 667, count
        # the caret's line (the box's last, with the caret at the end) is not under the count
        assert text["bottom"] <= count["top"] + 1, (text, count)

        # reading back up the answer, the count still shows while the box is on screen
        page.evaluate("document.querySelector('[data-testid=stMain]').scrollBy(0, -200)")
        count, text = box(page, ui.WORD_COUNT), box(page, ui.ANSWER)
        assert text["top"] < 667 < text["bottom"], text  # the box runs below the screen
        assert count["bottom"] <= 667 + 1, count  # yet the count sits at its foot, in view
    finally:  # leave no open draft behind for the other tests
        page.set_viewport_size({"width": 1280, "height": 900})
        if page.locator(ui.key("practice_discard_menu")).count():
            ui.click(page, ui.key("practice_discard_menu") + " button")
            ui.click(page, ui.key("practice_discard_confirm") + " button")
