"""A refresh, or leaving the page and coming back, resumes the same attempt:
the same text and the same server-side deadline."""

from __future__ import annotations

import time

from . import app_driver as ui
from .harness import wait_idle

PART_ONE = "Critical minerals are now tools of statecraft, as export controls show. "
PART_TWO = "India and Japan both depend on concentrated supply chains for rare earths."


def _assert_clock_kept(page, left_before: int, t_before: float, *, slack: int = 3) -> int:
    left_now = ui.clock_seconds_left(page)
    elapsed = time.monotonic() - t_before
    assert left_now is not None, page.locator(ui.CLOCK).inner_text()
    expected = left_before - elapsed
    assert expected - slack <= left_now <= expected + slack, (
        f"deadline moved: {left_before}s left, {elapsed:.1f}s later {left_now}s left")
    return left_now


def test_refresh_mid_answer_keeps_text_and_deadline(app):
    page = app
    ui.start_question(page, "zz-browser-refresh")
    ui.type_answer(page, PART_ONE)
    ui.wait_saved(page, PART_ONE)
    page.wait_for_timeout(2000)  # let the clock move, so a reset would show
    left_before, t_before = ui.clock_seconds_left(page), time.monotonic()
    assert left_before < 7 * 60 - 1

    page.reload()
    wait_idle(page)
    assert "q=zz-browser-refresh" in page.url
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == PART_ONE
    _assert_clock_kept(page, left_before, t_before)

    # Keep writing after the refresh; the box still autosaves.
    ui.type_answer(page, PART_TWO)
    ui.wait_saved(page, PART_ONE + PART_TWO)

    # Leave the page for another one, then come back through the navigation.
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="History").click()
    wait_idle(page)
    assert ui.answer_box(page).count() == 0
    nav.get_by_role("link", name="Practice").click()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == PART_ONE + PART_TWO
    _assert_clock_kept(page, left_before, t_before)


def test_words_typed_just_before_a_reload_are_kept(app):
    """Words typed inside the autosave debounce survive a reload: the browser kept a copy."""
    page = app
    ui.start_question(page, "zz-browser-pending")
    ui.type_answer(page, "Saved first. ")
    ui.wait_saved(page, "Saved first. ")
    ui.type_answer(page, "Typed just before the reload.")
    page.wait_for_timeout(100)  # less than the box's debounce
    page.reload()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    value = ui.answer_box(page).input_value()
    assert value.startswith("Saved first. ")  # what was autosaved is never lost
    assert value == "Saved first. Typed just before the reload."
    ui.wait_saved(page, "Saved first. Typed just before the reload.")  # and the server now has them
