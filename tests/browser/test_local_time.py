"""A browser in India sees its own clock: the autosave line and the History label say IST.

The times are stored in UTC; Streamlit tells the server the browser's time zone
(``st.context.timezone``), and Chromium's is set here with Playwright's ``timezone_id``,
whatever the zone of the machine running the tests.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from . import app_driver as ui
from .fixture_bank import KEYS
from .harness import open_app
from .test_submit import ANSWER

INDIA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def page_in_india(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Kolkata")
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_app(page, app_url)
    yield page
    ctx.close()
    assert not errors, errors


def india_minutes(before: datetime, after: datetime) -> set[str]:
    """Every "26 Nov 2026, 04:21" that the Indian clock read between two UTC moments."""
    seen, t = set(), before.replace(second=0, microsecond=0)
    while t <= after:
        india = t.astimezone(INDIA)
        seen.add(f"{india.day} {india:%b %Y, %H:%M}")
        t += timedelta(minutes=1)
    return seen


def test_the_autosave_line_and_the_history_label_are_on_the_indian_clock(page_in_india):
    page = page_in_india
    # what the browser tells Streamlit: Chromium's ICU still names India's zone by its old name
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in ("Asia/Kolkata", "Asia/Calcutta")
    ui.start_question(page, "zz-browser-submit")
    before = datetime.now(timezone.utc)
    ui.type_answer(page, ANSWER)
    ui.wait_saved(page, ANSWER)
    after = datetime.now(timezone.utc)

    line = page.locator(ui.SAVE_STATUS).inner_text()
    found = re.search(r"Autosaved (\d\d):(\d\d):(\d\d) (\S+)", line)
    assert found and found.group(4) == "IST", line
    clock = time(*(int(g) for g in found.groups()[:3]))
    saved = datetime.combine(after.astimezone(INDIA).date(), clock, INDIA)
    if saved > after + timedelta(minutes=1):  # saved just before midnight in India, read just after
        saved -= timedelta(days=1)
    # the time of the last save: after typing began, before it was seen saved (the clock shows whole seconds)
    assert before - timedelta(seconds=1) <= saved <= after + timedelta(seconds=1), (line, before, after)

    ui.submit(page)
    submitted = datetime.now(timezone.utc)
    ui.open_in_history(page, KEYS["zz-browser-submit"])
    label = page.locator(f"{ui.key('history_pick')} [role='combobox']").input_value()  # the option picked
    assert label.endswith(" IST"), label
    assert any(label.endswith(f" · {minute} IST") for minute in india_minutes(before, submitted)), label
