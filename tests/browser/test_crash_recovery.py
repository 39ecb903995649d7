"""A draft survives closing the tab, and the server being SIGKILLed and restarted
mid-answer (issue 5: "A browser test kills and restarts the server mid-answer")."""

from __future__ import annotations

import time

import pytest

from . import app_driver as ui
from .harness import StreamlitServer, open_app, wait_idle

BEFORE_CLOSE = "Rare earth processing is concentrated in one country. "
AFTER_REOPEN = "Japan's 2010 experience shows the cost of that dependence. "
WHILE_DOWN = "This sentence was typed while the server was dead."


@pytest.fixture
def own_server(tmp_path, bank_dir):
    """A server of this test's own (same bank, own database), since it gets killed."""
    srv = StreamlitServer(bank_dir, tmp_path / "app.db", tmp_path / "logs")
    srv.start(timeout=60)
    yield srv
    srv.stop()


@pytest.mark.timeout(180)
def test_draft_survives_closing_the_tab_and_a_server_sigkill(context, own_server):
    page = context.new_page()
    open_app(page, own_server.url)
    ui.start_question(page, "zz-browser-crash")
    ui.type_answer(page, BEFORE_CLOSE)
    ui.wait_saved(page, BEFORE_CLOSE)

    # Close the tab, open a new one at the app's home: the draft is listed; resume it.
    page.close()
    page = context.new_page()
    open_app(page, own_server.url)
    main = page.get_by_test_id("stMain")
    assert "Unfinished answers" in main.inner_text()
    page.locator("[class*='st-key-practice_resume_'] button").first.click()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == BEFORE_CLOSE

    ui.type_answer(page, AFTER_REOPEN)
    ui.wait_saved(page, BEFORE_CLOSE + AFTER_REOPEN)
    left_before, t_before = ui.clock_seconds_left(page), time.monotonic()

    # Crash the server mid-answer; the aspirant keeps typing meanwhile.
    own_server.kill()  # SIGKILL to the whole process group: no clean shutdown
    page.wait_for_selector("[data-testid='stApp']:not([data-test-connection-state='CONNECTED'])",
                           state="attached", timeout=15_000)
    ui.type_answer(page, WHILE_DOWN)
    page.wait_for_timeout(1000)  # past the box's debounce, while nothing can be saved

    own_server.start(timeout=60)  # same port, same database
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           state="attached", timeout=30_000)
    full = BEFORE_CLOSE + AFTER_REOPEN + WHILE_DOWN
    ui.wait_saved(page, full)

    # A refresh after the restart reads it back from the database, with the same deadline.
    page.reload()
    wait_idle(page)
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == full
    left_now = ui.clock_seconds_left(page)
    expected = left_before - (time.monotonic() - t_before)
    assert left_now is not None and expected - 3 <= left_now <= expected + 3, (left_before, left_now)
    assert "Traceback" not in own_server.stderr(), own_server.stderr()[-3000:]
