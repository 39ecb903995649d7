"""The mentor's Question bank on a phone: the question list and a question's rubric points fit the
screen (compact tables), and on a laptop the wide tables show every column, neither scrolling sideways."""

from __future__ import annotations

from . import app_driver as ui
from .fixture_bank import COVERED_POINT_LABEL
from .harness import open_app, wait_idle

QUESTION_ID = "zz-browser-submit"  # a fixture question; its first rubric point is COVERED_POINT_LABEL


def bank_tables(page, width: int) -> dict[str, dict]:
    """The shown tables at this screen width, by the container that holds them."""
    page.set_viewport_size({"width": width, "height": 900})
    page.locator(ui.key("bank_detail_points")).wait_for(state="attached")
    wait_idle(page, settle=1.0)  # the grids lay out again for the new width
    tables = ui.data_tables(page, "bank_table_", "bank_detail_points_")
    shown = {t["holder"]: t for t in tables if t["shown"]}
    assert len(shown) == 2, tables  # one of each pair, never both
    return shown


def test_bank_tables_fit_a_phone_and_show_every_column_on_a_laptop(app, app_url):
    page = app
    open_app(page, app_url, "bank")
    # an option names the question by its words first, then its id
    ui.pick_option(page, f"{ui.key('bank_pick')} [role='combobox']", f" — {QUESTION_ID}")
    wait_idle(page)
    try:
        phone = bank_tables(page, 360)  # the narrowest phone in common use
        assert set(phone) == {"bank_table_compact", "bank_detail_points_compact"}, phone
        for table in phone.values():
            assert table["width"] <= 360 and table["sideways"] == 0, table
        # with nothing to scroll sideways, every column of each compact table is on screen
        assert ui.column_titles(page, "bank_table_compact") == ["Question", "Marks"]
        assert ui.column_titles(page, "bank_detail_points_compact") == ["Label", "Weight"]
        cells = page.locator(ui.key("bank_detail_points_compact")).locator("td").all_text_contents()
        assert COVERED_POINT_LABEL in cells, cells  # the grid's accessible table: the point by its label

        laptop = bank_tables(page, 1280)  # with the sidebar open
        assert set(laptop) == {"bank_table_wide", "bank_detail_points_wide"}, laptop
        for table in laptop.values():
            assert table["sideways"] == 0, table
        assert ui.column_titles(page, "bank_table_wide") == [
            "Id", "Paper", "Topic", "Marks", "Directive", "Points", "Question"]
        assert ui.column_titles(page, "bank_detail_points_wide") == [
            "Id", "Label", "Weight", "Hint", "Evidence", "Concepts"]
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
