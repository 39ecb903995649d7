"""Let a one-minute limit run out while typing: every word typed is kept, the clock
says time is up, and the feedback records the overtime.  The clock ticks in the
browser (a component), from the server's reading of the deadline.

Rather than wait out the minute, the test moves the draft's deadline on the server to a
few seconds away and reloads: the page counts from the server's deadline, as it would
after most of the minute had passed."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

import storage
from storage.tables import Draft
from storage.timing import utcnow

from . import app_driver as ui
from .harness import wait_idle

BEFORE = "Both countries launched an AI Dialogue on trustworthy AI and governance norms. "
# typed slowly, so that the deadline passes in the middle of it
ACROSS = "India adds talent and data while Japan adds robotics and industrial AI. "
AFTER = "Time ran out but this last sentence is still kept."

LEFT_LINE = re.compile(r"^\d{2}:\d{2} left of 1:00$")
OVER_LINE = re.compile(
    r"^Time is up \(1 minutes\) · (\d{2}):(\d{2}) over\. Writing on is allowed: "
    r"finish your sentence and submit\. The overtime is recorded\.$")


def clock_text(page) -> str:
    return " ".join(page.locator(ui.CLOCK).inner_text().split())


def overtime_shown(page) -> int:
    m = OVER_LINE.match(clock_text(page))
    assert m, clock_text(page)
    return int(m.group(1)) * 60 + int(m.group(2))


def bring_deadline_to(database_url: str, question_id: str, seconds: float) -> None:
    """The open draft's deadline, on the server, ``seconds`` from now: its start and deadline move back
    together, as if the aspirant had started that much earlier (the limit stays a minute)."""
    engine = storage.get_engine(database_url)
    try:
        with engine.begin() as connection:
            deadline = utcnow() + timedelta(seconds=seconds)
            moved = connection.execute(sa.update(Draft).where(Draft.question_id == question_id)
                                       .values(deadline=deadline, started_at=deadline - timedelta(minutes=1)))
            assert moved.rowcount == 1
    finally:
        engine.dispose()


@pytest.mark.timeout(240)
def test_time_running_out_keeps_every_word(app, server):
    page = app
    ui.start_question(page, "zz-browser-timeout")
    left = ui.clock_seconds_left(page)
    assert left is not None and 50 <= left <= 60, left
    assert LEFT_LINE.match(clock_text(page)), clock_text(page)
    ui.type_answer(page, BEFORE)
    ui.wait_saved(page, BEFORE)
    bring_deadline_to(server.database_url, "zz-browser-timeout", 10)
    page.reload()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == BEFORE
    assert ui.clock_seconds_left(page) <= 10

    # Wait until a few seconds are left, then type through the deadline.
    deadline = time.monotonic() + 20
    while (ui.clock_seconds_left(page) or 0) > 4:
        assert time.monotonic() < deadline, "the clock did not count down"
        page.wait_for_timeout(500)
    ui.type_answer(page, ACROSS, delay=120)  # ~9 s of typing, across the deadline

    page.locator(ui.CLOCK).get_by_text("Time is up").wait_for(timeout=15_000)
    assert ui.clock_seconds_left(page) is None
    assert page.locator(ui.CLOCK_LEFT).count() == 0 and page.locator(ui.CLOCK_OVER).is_visible()
    over_before = overtime_shown(page)
    page.wait_for_timeout(2500)
    assert over_before + 1 <= overtime_shown(page) <= over_before + 4  # the overtime keeps counting
    # Nothing was cut, and the box still takes typing.
    assert ui.answer_box(page).input_value() == BEFORE + ACROSS
    assert ui.answer_box(page).is_editable()
    ui.type_answer(page, AFTER)
    full = BEFORE + ACROSS + AFTER
    ui.wait_saved(page, full)

    # A refresh after the deadline keeps the text and still says time is up.
    page.reload()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == full
    assert "Time is up" in page.locator(ui.CLOCK).inner_text()
    assert overtime_shown(page) >= 5  # counted from the server's deadline, not from the reload
    # on a 360 px phone the pinned alert takes a few short lines, not a third of the screen
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        alert = page.locator(ui.CLOCK).bounding_box()
        assert alert["height"] <= 90, alert
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})

    ui.submit(page)
    marks = page.locator(ui.MARKS).inner_text()
    assert "01:00" in marks  # the limit shown beside the time taken
    main = page.get_by_test_id("stMain").inner_text()
    assert "Time was up" in main  # the overtime is recorded and shown
    highlighted = page.locator(ui.HIGHLIGHTED).inner_text()
    assert " ".join(highlighted.split()) == " ".join(full.split())
