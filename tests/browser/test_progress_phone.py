"""Progress and feedback on a phone: every table fits the screen, and the weakest-areas bars show."""

from __future__ import annotations

import re

from . import app_driver as ui
from .harness import open_app, wait_idle
from .test_submit import ANSWER


def submitted_once(page) -> None:
    ui.start_question(page, "zz-browser-submit")
    ui.answer_box(page).fill(ANSWER)
    ui.wait_saved(page, ANSWER)
    ui.submit(page)


def progress_tables(page, url: str, width: int) -> list[dict]:
    page.set_viewport_size({"width": width, "height": 900})
    open_app(page, url, "progress")
    page.locator(ui.key("progress_weakest")).wait_for(state="attached")
    wait_idle(page, settle=1.0)
    return ui.data_tables(page, "progress_")


def test_progress_tables_fit_a_phone_and_show_every_column_on_a_laptop(app, app_url):
    page = app
    submitted_once(page)
    try:
        phone = progress_tables(page, app_url, 360)  # the narrowest phone in common use
        shown = [t for t in phone if t["shown"]]
        assert {t["holder"] for t in shown} >= {"progress_attempts_compact", "progress_weakest_compact"}, phone
        assert not any(t["holder"] in ("progress_attempts_wide", "progress_weakest_wide") for t in shown), phone
        for table in shown:  # the compact tables, and the paper and topic averages
            assert table["width"] <= 360 and table["sideways"] == 0, table
        # with nothing to scroll sideways, every column of the compact table is on screen
        assert ui.column_titles(page, "progress_attempts_compact") == ["Date", "Question", "Marks"]
        assert ui.column_titles(page, "progress_weakest_compact") == ["Area", "Missed %"]

        # the bar chart of weakest areas: one bar is 32 px, and the axis fits below it
        chart = page.locator(ui.key("progress_weakest")).locator("xpath=preceding::*[@data-testid='stVegaLiteChart'][1]")
        assert chart.bounding_box()["height"] >= 32 + 40, chart.bounding_box()

        laptop = progress_tables(page, app_url, 1280)
        shown = {t["holder"]: t for t in laptop if t["shown"]}
        assert {"progress_attempts_wide", "progress_weakest_wide"} <= set(shown), laptop
        assert "progress_attempts_compact" not in shown and "progress_weakest_compact" not in shown, laptop
        assert shown["progress_attempts_wide"]["sideways"] == 0 and shown["progress_weakest_wide"]["sideways"] == 0
        wide_titles = ui.column_titles(page, "progress_attempts_wide")
        assert re.fullmatch(r"Date \(\S+\)", wide_titles[0]), wide_titles  # "Date (IST)": the browser's zone
        assert wide_titles[1:] == ["Question", "Paper", "Topic", "Marks", "Out of", "%", "Time", "Words"]
        assert ui.column_titles(page, "progress_weakest_wide") == [
            "Area", "Kind", "Missed", "Partly covered", "Asked", "Missed %", "Questions"]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_marks_by_component_wrap_on_a_phone(app):
    page = app
    page.set_viewport_size({"width": 360, "height": 900})
    try:
        submitted_once(page)
        details = page.locator(ui.key("practice_feedback_component_details"))
        details.get_by_text("Marks by component").click()
        wait_idle(page)
        text = details.inner_text()
        assert "Content:" in text and "rubric points covered" in text, text
        box = details.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= 360
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
