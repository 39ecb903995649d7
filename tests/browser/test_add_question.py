"""A mentor adds a question through the Question bank form (fields, a rubric point typed
into the data editor, live validation, a preview), saves it, and it can be practised
at once, without a restart."""

from __future__ import annotations

import re

import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from . import app_driver as ui
from .fixture_bank import MARKUP_IMG, TOPIC
from .harness import wait_idle
from .test_markup import assert_nothing_injected

NEW_ID = "zz-browser-added"
QUESTION = ("Pepper check: explain how the India–Japan Economic Security Dialogue manages "
            f"technology and supply-chain risks. {MARKUP_IMG}")
MODEL_ANSWER = (
    "India and Japan set up an Economic Security Dialogue to manage technology and "
    "supply-chain risks. It sits beside the JWG on Critical Minerals and the AI Dialogue. "
    "The way forward is to review the dialogue's work every year."
)
POINT = {
    "id": "esd",
    "label": "Economic Security Dialogue",
    "weight": "2",
    "hint": "Name the Economic Security Dialogue.",
    "evidence": "Economic Security Dialogue; technology and supply-chain risks",
}
SENTENCE = "The Economic Security Dialogue manages technology and supply-chain risks."
ANSWER = (
    "Economic security is now central to India–Japan ties. "
    f"{SENTENCE} "
    "It sits beside the JWG on Critical Minerals. The way forward is a yearly review."
)


def set_field(page, key: str, value: str) -> None:
    """Type into a text input, number input or text area and commit it like a user."""
    field = page.locator(f"{ui.key(key)} input, {ui.key(key)} textarea").first
    field.fill(value)
    is_input = field.evaluate("e => e.tagName") == "INPUT"
    field.press("Enter" if is_input else "Control+Enter")
    wait_idle(page)


def add_rubric_row(page, cells: list[str]) -> None:
    """Add a row to the rubric's data editor and type each cell, left to right.

    The editor is a canvas grid: click its first data cell, then type and Tab.
    """
    editor = page.locator("[class*='st-key-bank_form_points_']")
    for attempt in range(3):
        # the toolbar shows on hover; once, on a busy machine, a rerun that moved the page left the grid's
        # scroller over the button for 20 s: hover afresh and click again, as a person would
        editor.hover()
        try:
            editor.get_by_role("button", name="Add row").click(timeout=6_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.mouse.move(0, 0)
            wait_idle(page)
    wait_idle(page)
    canvas = editor.get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    header = row = 35
    page.mouse.click(box["x"] + 50, box["y"] + header + row / 2)  # id cell of row 0
    overlay = page.locator("#portal textarea, #portal input").first
    for column, value in enumerate(cells):
        for attempt in range(3):
            canvas.focus()  # a rerun can take the keyboard focus off the grid
            page.keyboard.press("Enter")  # open the selected cell's editor
            try:
                overlay.wait_for(state="visible", timeout=2_000)
                break
            except Exception:
                if attempt == 2:
                    raise AssertionError(f"the editor of column {column} did not open")
        # fill() focuses the editor first; keys typed before the overlay has focus are lost
        overlay.fill(value)
        page.keyboard.press("Tab")  # commit and move one cell right
        overlay.wait_for(state="hidden", timeout=5_000)
        wait_idle(page)  # each commit reruns the script; let it finish before the next cell
    page.keyboard.press("Escape")
    wait_idle(page)


def validation(page) -> str:
    """The validation message and its list of problems, as shown."""
    return page.locator(ui.key("bank_form_validation")).inner_text()


def test_add_a_question_through_the_form_then_practise_it(app, bank_dir):
    page = app
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Question bank").click()
    wait_idle(page)
    page.get_by_test_id("stMain").get_by_text("Add or edit", exact=True).click()
    wait_idle(page)
    # All six rubric columns, concepts included, are in view at 1280 px: the grid does not scroll sideways.
    scroller = page.locator("[class*='st-key-bank_form_points_'] .dvn-scroller")
    width, shown = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert width <= shown, (width, shown)
    # A new, untouched form is not in the red: it says problems will be listed as the mentor goes.
    untouched = page.locator(ui.key("bank_form_validation")).inner_text()
    assert "problem" not in untouched and "anything missing is listed here as you go" in untouched, untouched

    set_field(page, "bank_form_id", NEW_ID)
    set_field(page, "bank_form_topic", TOPIC)
    set_field(page, "bank_form_marks", "10")
    set_field(page, "bank_form_text", QUESTION)
    # The question says "explain": the directive follows it (it was "discuss" by default).
    directive = page.locator(ui.key("bank_form_directive"))
    expect(directive.locator("input")).to_have_value("explain")  # retried: the rerun that sets it can land just after
    page.get_by_text("(taken from the question text)").wait_for(timeout=10_000)
    # Live validation names each field still at fault by its label (the model answer, the points).
    text = validation(page)
    assert "Model answer: required: fill it in" in text and "Rubric points: add at least one rubric point" in text, text
    assert page.locator(f"{ui.key('bank_form_save')} button").is_disabled()

    set_field(page, "bank_form_model_answer", MODEL_ANSWER)
    set_field(page, "bank_form_source", "seed note: India–Japan strategic cooperation")
    add_rubric_row(page, [POINT[c] for c in ("id", "label", "weight", "hint", "evidence")])
    valid = "The question and its rubric are valid."
    page.locator(ui.key("bank_form_validation")).get_by_text(valid).wait_for(timeout=15_000)
    # "Add this point" with nothing filled in says what is missing instead of doing nothing (checked after
    # the grid is typed into: the open panel moves the grid, and its "Add row" button then tends to sit
    # under the grid's scroller).
    panel = page.locator(ui.key("bank_point_panel"))
    wait_idle(page)  # the grid's last edit has rerun the page (once in CI the click below went unanswered)
    panel.get_by_text("Add a point").click()
    add = panel.locator(f"{ui.key('bank_point_add')} button")
    add.wait_for(state="visible")
    add.click()
    wait_idle(page)
    panel.get_by_text("Nothing to add yet").wait_for(timeout=15_000)

    # An id that is already in the bank is refused by name: no silent overwrite.
    set_field(page, "bank_form_id", "zz-browser-submit")
    assert "already in the bank" in validation(page)
    assert page.locator(f"{ui.key('bank_form_save')} button").is_disabled()
    set_field(page, "bank_form_id", NEW_ID)
    page.locator(ui.key("bank_form_validation")).get_by_text(valid).wait_for(timeout=15_000)

    # Preview: score a sample answer before saving.
    set_field(page, "bank_form_sample", ANSWER)
    page.locator(f"{ui.key('bank_form_preview')} button").click()
    wait_idle(page)
    preview = page.locator(ui.key("bank_form_preview_box")).inner_text()
    assert re.search(r"\d+(\.5)? / 10", preview), preview
    assert not (bank_dir / "questions" / f"{NEW_ID}.yaml").exists()  # nothing saved yet

    page.locator(f"{ui.key('bank_form_save')} button").click()
    wait_idle(page)
    assert page.get_by_text(f"Saved {NEW_ID}").first.is_visible()
    saved = yaml.safe_load((bank_dir / "questions" / f"{NEW_ID}.yaml").read_text(encoding="utf-8"))
    assert saved["text"] == QUESTION and saved["marks"] == 10
    rubric = yaml.safe_load((bank_dir / "rubric" / f"{NEW_ID}.yaml").read_text(encoding="utf-8"))
    assert [p["id"] for p in rubric["points"]] == ["esd"]

    # The same server, no restart: practise it straight away.
    page.locator(f"{ui.key('bank_form_practise')} button").click()
    wait_idle(page)
    card = page.locator(ui.key("practice_question_card"))
    card.wait_for()
    assert MARKUP_IMG in card.inner_text()  # markup typed into the form is shown as text
    assert_nothing_injected(page)
    ui.click(page, ui.START)
    ui.type_answer(page, ANSWER)
    ui.wait_saved(page, ANSWER)
    ui.submit(page)
    assert re.fullmatch(r"\d+(\.5)? / 10", ui.marks_text(page))
    assert SENTENCE in page.get_by_test_id("evidence-esd").inner_text()
    assert_nothing_injected(page)

    # It is also in the Practice picker for a fresh visitor.
    page.locator(ui.key("practice_another")).locator("button").click()
    wait_idle(page)
    ui.choose_question(page, NEW_ID, search="Pepper check")
    assert "Pepper check" in page.locator(ui.key("practice_question_card")).inner_text()
