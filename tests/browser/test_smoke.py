"""The app starts under `streamlit run` and its first page renders in chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from .harness import wait_idle


def test_first_page_renders_with_a_title(app):
    page = app
    wait_idle(page)
    # A heading or page title is on screen, and no Python exception was rendered.
    heading = page.locator("h1, h2, [data-testid='stHeading']").first
    assert heading.is_visible(), "no heading on the first page"
    assert heading.inner_text().strip()
    assert page.locator("[data-testid='stException']").count() == 0, (
        page.locator("[data-testid='stException']").first.inner_text())
    assert page.title().strip()
    assert not page.js_errors, page.js_errors


def test_a_page_link_in_the_sidebar_shows_keyboard_focus_unlike_the_current_page(app):
    """Focus on "History" looked like the current page ("Practice"): the same grey fill."""
    page = app
    wait_idle(page)
    page.locator("[data-testid='stSkipToContent']").focus()
    links = page.locator("[data-testid='stSidebarNavLink']")
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.testid === 'stSidebarNavLink'"):
            break
    page.keyboard.press("Tab")  # the second link: not the current page
    focused = links.nth(1)
    expect(focused).to_be_focused()
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert links.nth(0).evaluate("e => getComputedStyle(e).outlineStyle") == "none"


def test_health_endpoint_and_no_server_traceback(server):
    import urllib.request

    with urllib.request.urlopen(server.url + "/_stcore/health", timeout=5) as resp:
        assert resp.status == 200
    assert "Traceback" not in server.stderr(), server.stderr()[-4000:]


def test_practice_by_its_name_opens_practice_with_the_question_in_the_url(page, app_url):
    """``/practice?q=…`` typed or bookmarked: the Practice page with that question, no "page not found"."""
    page.goto(f"{app_url}/practice?q=zz-browser-submit", wait_until="domcontentloaded")
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text("Joint Working Group on Critical Minerals").first.wait_for(timeout=20_000)
    assert page.locator("h1").first.inner_text().strip() == "Practice"
    assert "not found" not in page.locator("body").inner_text().lower()
    assert "q=zz-browser-submit" in page.url
