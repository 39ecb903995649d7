"""The Calibration page in a real browser: the calibration in use, and a fit's Before and After tables, fit a
phone; a fit can be stopped while it runs, and after Save the page says the calibration is the one in use.

A server of its own runs with ``MAINS_CALIBRATION`` in a temporary folder (never ``data/``).
"""

from __future__ import annotations

import time

import pytest

from tests.test_app_calibration import csv_bytes, graded_frame

from . import app_driver as ui
from .harness import StreamlitServer, open_app, serving, wait_idle


@pytest.fixture(scope="module")
def calibration_server(tmp_path_factory, bank_dir):
    """A server whose calibration in use was fitted on 30 graded answers to two questions."""
    from scoring.bank import load_bank
    from scoring.calibrate import fit_calibration

    work = tmp_path_factory.mktemp("calibration")
    path = work / "calibration.mcal"
    bank = load_bank(bank_dir)
    fit_calibration(graded_frame(bank), bank).save(path)
    with serving(StreamlitServer(bank_dir, work / "app.db", work / "logs",
                                 extra_env={"MAINS_CALIBRATION": str(path)})) as srv:
        srv.calibration_path = path
        srv.bank = bank
        yield srv


def shown_tables(page, width: int, *keys: str) -> dict[str, dict]:
    """At this screen width, the one table of each ``wide_or_compact`` pair that shows, by its container's key."""
    page.set_viewport_size({"width": width, "height": 900})
    for key in keys:
        page.locator(ui.key(key)).wait_for(state="attached")
    wait_idle(page, settle=1.0)  # the grids lay out again for the new width
    tables = [t for t in ui.data_tables(page, *(f"{key}_" for key in keys)) if t["holder"] is not None]
    shown = {t["holder"]: t for t in tables if t["shown"]}
    assert len(shown) == len(keys), tables  # one of each pair, never both
    return shown


def in_use_tables(page, width: int) -> dict[str, dict]:
    return shown_tables(page, width, "calibration_in_use")


def test_the_calibration_in_use_fits_a_phone_and_shows_every_column_on_a_laptop(page, calibration_server):
    open_app(page, calibration_server.url, "calibration")
    try:
        for width in (390, 360):  # the phone QA used, and the narrowest in common use
            phone = in_use_tables(page, width)
            assert set(phone) == {"calibration_in_use_compact"}, phone
            table = phone["calibration_in_use_compact"]
            assert table["width"] <= width and table["sideways"] == 0, table
            assert ui.column_titles(page, "calibration_in_use_compact") == ["question", "answers", "model", "out of"]
        laptop = in_use_tables(page, 1280)
        assert set(laptop) == {"calibration_in_use_wide"} and laptop["calibration_in_use_wide"]["sideways"] == 0
        assert ui.column_titles(page, "calibration_in_use_wide") == [
            "question", "answers", "model", "graded out of", "in the bank"]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def upload(page, tmp_path, rows) -> None:
    path = tmp_path / "graded.csv"
    path.write_bytes(csv_bytes(rows))
    page.locator(f"{ui.key('calibration_file')} input[type=file]").set_input_files(str(path))
    page.locator(ui.key("calibration_start")).wait_for(state="visible")
    wait_idle(page)


def test_a_fit_can_be_stopped_while_it_runs_and_nothing_is_fitted(page, calibration_server, tmp_path):
    """100 answers, 50 a question: own models, estimated at about 10 s here. Stop ends the run at its next step."""
    open_app(page, calibration_server.url, "calibration")
    upload(page, tmp_path, graded_frame(calibration_server.bank, per_question=49))
    main = page.get_by_test_id("stMain")
    assert "Calibrating takes about 10 seconds on this server" in main.inner_text()  # estimated_fit_seconds: 13.6
    page.locator(f"{ui.key('calibration_start')} button").click()
    stop = page.locator(ui.key("calibration_stop")).get_by_role("button", name="Stop")
    stop.wait_for(state="visible")
    # the fit has begun: its status box stays for the whole fit (the step texts under it can pass too fast to see)
    page.get_by_text("Calibrating on 100 graded answers", exact=False).first.wait_for()
    clicked = time.monotonic()
    stop.click()
    page.get_by_text("Calibration stopped: nothing was fitted or saved.").wait_for(timeout=60_000)
    wait_idle(page, timeout=60)
    stopped_after = time.monotonic() - clicked
    assert page.locator(ui.key("calibration_after")).count() == 0  # no result
    assert page.locator(ui.key("calibration_stop")).count() == 0
    page.locator(f"{ui.key('calibration_start')} button").wait_for(state="visible")  # it can be started again
    assert stopped_after < 30, stopped_after


def test_after_save_the_page_says_the_calibration_is_in_use(page, calibration_server, tmp_path):
    """Saving replaces the calibration in use (after the mentor confirms); then the page says this one is in use,
    not that it would replace it."""
    open_app(page, calibration_server.url, "calibration")
    upload(page, tmp_path, graded_frame(calibration_server.bank, per_question=6, seed=3))
    page.locator(f"{ui.key('calibration_start')} button").click()
    page.locator(ui.key("calibration_after")).wait_for(state="visible", timeout=90_000)
    wait_idle(page, timeout=90)
    agreement = ("calibration_before", "calibration_after")
    try:
        for width in (390, 360):  # Before and After fit a phone
            phone = shown_tables(page, width, *agreement)
            assert set(phone) == {"calibration_before_compact", "calibration_after_compact"}, phone
            assert all(t["width"] <= width and t["sideways"] == 0 for t in phone.values()), phone
            assert ui.column_titles(page, "calibration_after_compact") == ["question", "n", "r", "QWK", "RMSE"]
        laptop = shown_tables(page, 1280, *agreement)
        assert set(laptop) == {"calibration_before_wide", "calibration_after_wide"}, laptop
        assert all(t["sideways"] == 0 for t in laptop.values()), laptop
        assert ui.column_titles(page, "calibration_after_wide") == [
            "question", "model saved", "figures from", "answers", "Pearson r", "Spearman ρ", "QWK", "RMSE (marks)"]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    replace = page.locator(ui.key("calibration_replace_confirm"))
    assert "Replace the calibration in use (calibration.mcal, learned from 30 graded answers) with this one" in \
        replace.inner_text()
    replace.locator("label").click()
    wait_idle(page)
    ui.click(page, f"{ui.key('calibration_save')} button")
    page.get_by_text("Saved: this calibration is now in use").wait_for()
    main = page.get_by_test_id("stMain").inner_text()
    assert "Replace the calibration" not in main and page.locator(ui.key("calibration_save")).count() == 0
    assert "Learned from 14 graded answers" in main
