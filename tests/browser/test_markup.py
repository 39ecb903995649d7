"""Markup typed into an answer, or written into a question or rubric hint, is shown
as text: no dialog opens and no element is injected (issue 5)."""

from __future__ import annotations

from . import app_driver as ui
from .fixture_bank import (
    COVERED_SENTENCE, MARKUP_IMG, MARKUP_LABEL, MARKUP_LINK, MARKUP_MD_IMG, MARKUP_SCRIPT,
)
from .harness import wait_idle

PAYLOADS = [
    MARKUP_IMG,
    MARKUP_SCRIPT,
    "<b>bold</b>",
    '<iframe src="javascript:alert(4)"></iframe>',
    '<svg onload=alert(5)>',
    MARKUP_LINK,
    MARKUP_MD_IMG,
    "<a href=javascript:alert(6)>html link</a>",
    ":red[coloured] $x^2$",
]
ANSWER = COVERED_SENTENCE + "\n\n" + "\n".join(PAYLOADS) + "\nThe way forward is cooperation."

# Walks open shadow roots too (the answer box lives in one).
COUNT_DEEP = """
sel => {
  let n = 0;
  const walk = root => {
    n += root.querySelectorAll(sel).length;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  return n;
}
"""

INJECTED = {
    "img[src='x']": 0,
    "img[src*='127.0.0.1:9']": 0,
    "a[href^='javascript']": 0,
    "iframe[src^='javascript']": 0,
    "svg[onload]": 0,
    "[onerror]": 0,
    "b": 0,
    "u": 0,
}


def assert_nothing_injected(page) -> None:
    for selector, allowed in INJECTED.items():
        found = page.evaluate(COUNT_DEEP, selector)
        assert found == allowed, f"{found} injected element(s) match {selector!r}"
    scripts = page.evaluate(
        "() => [...document.scripts].filter(s => s.textContent.includes('xss')).length")
    assert scripts == 0, "a <script> from user text reached the page"
    bolded = page.evaluate(
        "() => [...document.querySelectorAll('strong, em')].filter("
        "e => ['bold', 'underlined', 'coloured'].includes(e.textContent.trim())).length")
    assert bolded == 0, "Markdown emphasis from user text was rendered"
    assert not page.dialogs, page.dialogs  # type: ignore[attr-defined]


def test_markup_in_answer_question_and_hint_is_shown_as_text(app):
    page = app
    ui.choose_question(page, "zz-browser-markup")
    # The question's own markup is shown literally on the card.
    card = page.locator(ui.key("practice_question_card")).inner_text()
    assert MARKUP_IMG in card and MARKUP_LINK in card
    assert_nothing_injected(page)

    ui.click(page, ui.START)
    ui.type_answer(page, ANSWER)
    ui.wait_saved(page, ANSWER)
    assert_nothing_injected(page)

    ui.submit(page)
    page.wait_for_timeout(500)  # give any injected handler a chance to fire
    assert_nothing_injected(page)

    # Every payload is there, as the literal text the aspirant typed.
    highlighted = page.locator(ui.HIGHLIGHTED).inner_text()
    for payload in PAYLOADS:
        assert payload in highlighted, payload
    main = page.get_by_test_id("stMain").inner_text()
    assert MARKUP_IMG in main  # the question text above the feedback
    # The rubric hint with markup (a missed point) is shown literally too.
    points = page.locator(ui.POINTS).inner_text()
    assert MARKUP_SCRIPT in points and MARKUP_MD_IMG in points
    # ... and so is the point label with markup (no <u>, no bold).
    assert MARKUP_LABEL in points

    # Reopen the stored attempt: still text.
    page.reload()
    wait_idle(page)
    page.locator(ui.HIGHLIGHTED).wait_for()
    page.wait_for_timeout(500)
    assert_nothing_injected(page)
    assert MARKUP_IMG in page.locator(ui.HIGHLIGHTED).inner_text()

    # ... and so is History, which lists the question (with its markup) by name.
    ui.open_in_history(page, "Juniper check")
    page.wait_for_timeout(500)
    assert_nothing_injected(page)
    history = page.locator(ui.HIGHLIGHTED).inner_text()
    assert all(payload in history for payload in PAYLOADS)
