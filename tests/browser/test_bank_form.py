"""The Question bank's form and import in a real browser: no click drops what a mentor typed (even words
still in a box, not yet sent), a number out of bounds is named in the problem list, and every problem and
import reason is shown whole, on a phone too.  Nothing here saves a question: the bank stays as it was."""

from __future__ import annotations

from . import app_driver as ui
from .harness import open_app, wait_idle

QUESTION_ID = "zz-browser-submit"  # a fixture question, edited here but never saved
BAD_ID = "BIMSTEC Act East!"
BAD_ID_PROBLEM = (f"Id: id '{BAD_ID}' must be lower-case letters, digits, '-' or '_' (no '/', '..' or spaces), "
                  "at most 80 characters")
DIRECTIVE_PROBLEM = ("Directive: The question says 'Examine' but the directive chosen is 'discuss': choose 'examine' "
                     "or reword the question")


def field(page, key: str):
    return page.locator(f"{ui.key(key)} input, {ui.key(key)} textarea").first


def set_field(page, key: str, value: str) -> None:
    """Type into a box and send it, as Enter (or Ctrl+Enter in a text area) does."""
    box = field(page, key)
    box.fill(value)
    box.press("Enter" if box.evaluate("e => e.tagName") == "INPUT" else "Control+Enter")
    wait_idle(page)


def section(page, name: str) -> None:
    page.get_by_test_id("stMain").get_by_text(name, exact=True).click()
    wait_idle(page)


def click(page, key: str) -> None:
    page.locator(f"{ui.key(key)} button").click()
    wait_idle(page)


def unsaved_warning(page, shown: bool = True) -> str:
    """The unsaved-changes warning's text; with ``shown``, waited for: a click that also sends a box's change (by
    taking the focus from it) runs the script twice, and the warning comes with the second run."""
    boxes = page.locator("[class*='st-key-bank_unsaved_'] [data-testid='stAlertContentWarning']")
    if shown:
        boxes.first.wait_for(timeout=10_000)
    return " ".join(boxes.all_inner_texts())


def edit_fixture_question(page) -> None:
    section(page, "Browse")
    ui.pick_option(page, f"{ui.key('bank_pick')} [role='combobox']", f" — {QUESTION_ID}")
    wait_idle(page)
    click(page, "bank_edit")


def fits_sideways(page, key: str) -> bool:
    """Nothing in the container reaches past its right edge, and it does not scroll sideways: no words are
    cut off or hidden to the side."""
    return page.locator(ui.key(key)).evaluate(
        "box => { const right = box.getBoundingClientRect().right;"
        " return box.scrollWidth <= box.clientWidth + 1 && [...box.querySelectorAll('li, p, span, strong')]"
        ".every(e => e.getBoundingClientRect().right <= right + 1); }")


def test_no_click_drops_what_the_mentor_typed(app, app_url):
    page = app
    open_app(page, app_url, "bank")
    # A half-written new question, then Browse › Edit this question: asked first, and nothing is lost.
    section(page, "Add or edit")
    set_field(page, "bank_form_id", "half-written")
    set_field(page, "bank_form_model_answer", "A model answer, half written.")
    field(page, "bank_form_text").fill("Explain the half-written question.")  # not sent: Browse is clicked next
    edit_fixture_question(page)
    assert "You have unsaved changes to a new question (half-written)" in unsaved_warning(page)
    assert f"Discard them to edit {QUESTION_ID}" in unsaved_warning(page)
    click(page, "bank_unsaved_browse_keep")
    assert page.get_by_test_id("stMain").get_by_role("heading", name="New question").is_visible()
    assert field(page, "bank_form_id").input_value() == "half-written"
    assert field(page, "bank_form_text").input_value() == "Explain the half-written question."
    assert field(page, "bank_form_model_answer").input_value() == "A model answer, half written."

    # Discard them, in words: the fixture question is loaded for editing.
    edit_fixture_question(page)
    click(page, "bank_unsaved_browse_discard")
    page.get_by_role("heading", name=f"Editing {QUESTION_ID}").wait_for(timeout=10_000)

    # Marks changed and, still in the box (not sent), "Start a new question" is clicked: asked, change kept.
    field(page, "bank_form_marks").fill("15")
    click(page, "bank_form_new")
    assert f"You have unsaved changes to {QUESTION_ID}" in unsaved_warning(page)
    assert field(page, "bank_form_marks").input_value() == "15"
    click(page, "bank_unsaved_form_keep")
    assert unsaved_warning(page, shown=False) == "" and field(page, "bank_form_marks").input_value() == "15"
    click(page, "bank_form_new")
    click(page, "bank_unsaved_form_discard")
    assert page.get_by_test_id("stMain").get_by_role("heading", name="New question").is_visible()
    assert field(page, "bank_form_id").input_value() == ""


def test_every_problem_is_listed_whole_and_marks_of_0_is_one_of_them(app, app_url):
    page = app
    open_app(page, app_url, "bank")
    section(page, "Add or edit")
    set_field(page, "bank_form_id", BAD_ID)
    set_field(page, "bank_form_text", "Examine the role of BIMSTEC in India's Act East policy.")
    page.locator(ui.key("bank_form_directive")).click()
    page.get_by_role("option", name="discuss", exact=True).click()
    wait_idle(page)
    # 0 in Marks: the browser sends it (the box has no bounds to keep it back) and the list names it.
    set_field(page, "bank_form_marks", "0")
    assert field(page, "bank_form_marks").input_value() == "0"
    try:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            wait_idle(page, settle=1.0)
            shown = page.locator(ui.key("bank_form_validation")).inner_text()
            for problem in (BAD_ID_PROBLEM, DIRECTIVE_PROBLEM, "Marks: must be more than 0",
                            "Model answer: required: fill it in"):
                assert problem in " ".join(shown.split()), (width, shown)
            assert fits_sideways(page, "bank_form_validation"), width
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    # leave the form empty for the next test
    click(page, "bank_form_new")
    click(page, "bank_unsaved_form_discard")


def test_an_excel_style_import_is_read_and_its_reasons_shown_whole_on_a_phone(app, app_url, tmp_path):
    page = app
    open_app(page, app_url, "bank")
    section(page, "Import")
    upload = tmp_path / "bank.csv"
    upload.write_text(
        "id;paper;topic;marks;directive;text;model_answer;points\n"
        f"{BAD_ID};GS2;IR;15;discuss;Examine the role of BIMSTEC in Act East.;BIMSTEC is a bridge.;"
        '"[{id: p, label: P, hint: H., evidence: [BIMSTEC], concepts: [nonexistent]}]"\n', encoding="utf-8")
    page.locator(f"{ui.key('bank_import_file')} input[type=file]").set_input_files(str(upload))
    wait_idle(page, settle=1.0)
    assert "Missing columns" not in page.get_by_test_id("stMain").inner_text()
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        wait_idle(page, settle=1.0)
        reasons = " ".join(page.locator(ui.key("bank_import_reasons")).inner_text().split())
        for reason in (BAD_ID_PROBLEM.replace("Id: ", "id: "), DIRECTIVE_PROBLEM.replace("Directive: ", "directive: "),
                       "points › point 1 › concepts: unknown concept 'nonexistent'"):
            assert reason in reasons, reasons
        assert fits_sideways(page, "bank_import_reasons")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
