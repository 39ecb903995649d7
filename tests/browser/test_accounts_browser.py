"""Multi-user mode in a real browser: two aspirants on one shared computer see nothing of each other's.

A server of its own runs with ``MAINS_MULTI_USER=1`` (the session server of the other
browser tests stays in single-user mode).  Asha signs up, writes and submits an
answer, and signs out; Bala signs up in the same tab and finds nothing of Asha's in
History, nor by opening ``/history?attempt=<Asha's id>`` or ``/practice?attempt=…``
inside the app, nor by loading that URL afresh; the mentor pages are not his to see.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import app_driver as ui
from .harness import StreamlitServer, open_app, serving, wait_idle

SECRET = "Quokkaphrase"
ANSWER = (
    "India and Japan set up a Joint Working Group on Critical Minerals to share supply risks.\n\n"
    f"Joint stockpiles cushion India against export restrictions, as the {SECRET} study argues.\n\n"
    "The way forward is joint processing plants."
)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def multi_user_server(tmp_path_factory, bank_dir):
    work = tmp_path_factory.mktemp("multi_user")
    srv = StreamlitServer(bank_dir, work / "app.db", work / "logs",
                          extra_env={"MAINS_MULTI_USER": "1", "MAINS_SIGNUP": "open"})
    # a mentor exists already (made as the deployment guide says), so sign-ups are aspirants
    import storage

    engine = storage.get_engine(srv.database_url)
    storage.create_mentor("guru", PASSWORD, engine=engine)
    engine.dispose()
    with serving(srv):
        yield srv


@pytest.fixture(scope="module")
def short_idle_server(tmp_path_factory, bank_dir):
    """Sessions end after 9 idle seconds, so that a test can outlast the limit while typing."""
    work = tmp_path_factory.mktemp("short_idle")
    with serving(StreamlitServer(bank_dir, work / "app.db", work / "logs",
                                 extra_env={"MAINS_MULTI_USER": "1", "MAINS_SIGNUP": "open",
                                            "MAINS_SESSION_IDLE_MINUTES": "0.15"})) as srv:
        yield srv


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def whole_page(page) -> str:
    """Everything in the document, visible or not (sidebar, hidden elements, attributes)."""
    return page.content() + page.locator("[data-testid='stApp']").inner_text()


def sign_up(page, name: str) -> None:
    page.locator(".st-key-account_signup_name input").fill(name)
    page.locator(".st-key-account_signup_password input").fill(PASSWORD)
    page.locator(".st-key-account_signup_again input").fill(PASSWORD)
    ui.click(page, ".st-key-account_signup_submit button")
    page.get_by_text(f"Welcome, {name}.").wait_for()


def sign_in(page, name: str) -> None:
    page.locator(".st-key-account_login_name input").fill(name)
    page.locator(".st-key-account_login_password input").fill(PASSWORD)
    ui.click(page, ".st-key-account_login_submit button")


def new_aspirant_writing(page, url: str, name: str, question_id: str = "zz-browser-submit") -> None:
    """A new browser session: sign up as ``name``, open Practice and start ``question_id``."""
    open_app(page, url)
    sign_up(page, name)
    go_to(page, "Practice")
    ui.start_question(page, question_id)


def nav_links(page) -> list[str]:
    """The page names in the sidebar (each link's text ends with its title, after the icon's name)."""
    texts = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
    return [t.strip().splitlines()[-1].strip() for t in texts if t.strip()]


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    wait_idle(page)


def navigate_in_app(page, path: str) -> None:
    """Change the URL inside the running app (as a link or the back button does), keeping the session."""
    page.evaluate("(p) => { window.history.pushState(null, '', p);"
                  " window.dispatchEvent(new PopStateEvent('popstate')); }", path)
    page.wait_for_timeout(300)
    wait_idle(page)


def heading(page) -> str:
    return page.locator("[data-testid='stMain'] h1").first.inner_text().strip()


def test_second_aspirant_sees_nothing_of_the_first_ones_attempt(page, multi_user_server):
    url = multi_user_server.url
    open_app(page, url)
    assert heading(page) == "Sign in"
    assert nav_links(page) in ([], ["Sign in"])

    # Asha: sign up, write, submit
    sign_up(page, "asha")
    assert "aspirant" in page.get_by_test_id("stSidebar").inner_text()
    links = nav_links(page)
    assert {"Practice", "History", "Progress", "Account"} <= set(links)
    assert "Question bank" not in links and "Calibration" not in links
    go_to(page, "Practice")
    ui.start_question(page, "zz-browser-submit")
    ui.type_answer(page, ANSWER)
    ui.wait_saved(page, ANSWER)
    ui.submit(page)
    found = re.search(r"[?&]attempt=(\d+)", page.url)
    assert found, page.url
    attempt_id = found.group(1)
    marks = ui.marks_text(page)
    go_to(page, "History")
    assert SECRET in main_text(page)  # Asha sees her own answer: the check below can see a leak
    ui.click(page, ".st-key-account_sign_out button")
    assert heading(page) == "Sign in"
    assert SECRET not in whole_page(page)

    # Bala, in the same tab: nothing of Asha's anywhere
    sign_up(page, "bala")
    go_to(page, "History")
    assert "No attempts yet" in main_text(page)
    assert SECRET not in whole_page(page) and "asha" not in main_text(page)
    navigate_in_app(page, f"/history?attempt={attempt_id}")
    assert heading(page) == "History"
    assert "No attempts yet" in main_text(page)
    assert SECRET not in whole_page(page)
    assert page.locator(ui.key("history_feedback_marks")).count() == 0
    navigate_in_app(page, f"/practice?attempt={attempt_id}")
    assert heading(page) == "Practice"  # not Asha's feedback
    assert page.locator(ui.MARKS).count() == 0 and marks not in main_text(page)
    assert SECRET not in whole_page(page)
    go_to(page, "Progress")
    assert "No attempts yet" in main_text(page) and SECRET not in whole_page(page)

    # the mentor pages are not Bala's, even by URL
    navigate_in_app(page, "/bank")
    assert "Mentors only" in main_text(page)  # the page refuses him itself
    assert page.locator(".st-key-bank_section").count() == 0
    assert SECRET not in whole_page(page)

    # loading Asha's attempt URL afresh is a new browser session: it asks to sign in first,
    # at that address (no "page not found"), then opens History there, without Asha's attempt
    open_app(page, url, f"history?attempt={attempt_id}")
    assert heading(page) == "Sign in"
    assert "not found" not in whole_page(page).lower()
    assert SECRET not in whole_page(page)
    sign_in(page, "bala")
    assert heading(page) == "History"
    assert f"attempt={attempt_id}" in page.url
    assert "No attempts yet" in main_text(page) and SECRET not in whole_page(page)
    assert page.locator(ui.key("history_feedback_marks")).count() == 0
    # signing in at that address left nothing behind: Account opens Account, not Practice
    go_to(page, "Account")
    assert heading(page) == "Account"

    # signing up at a link to another page opens that page, and the welcome shows there, once
    open_app(page, url, "progress")
    assert heading(page) == "Sign in"
    sign_up(page, "chitra")  # waits for "Welcome, chitra."
    assert heading(page) == "Progress"
    go_to(page, "Account")
    assert heading(page) == "Account"
    assert "Welcome" not in main_text(page)
    assert not page.js_errors, page.js_errors
    assert "Traceback" not in multi_user_server.stderr(), multi_user_server.stderr()[-4000:]


def test_the_apps_own_links_open_after_signing_in_and_mentor_pages_say_why_not(page, multi_user_server):
    """The addresses Practice writes (``/?attempt=N``, ``/?q=…``) survive a sign-in; signing out drops them."""
    url = multi_user_server.url
    new_aspirant_writing(page, url, "devika")
    ui.type_answer(page, ANSWER)
    ui.wait_saved(page, ANSWER)
    ui.submit(page)
    attempt_id = re.search(r"[?&]attempt=(\d+)", page.url).group(1)
    marks = ui.marks_text(page)
    ui.click(page, ".st-key-account_sign_out button")
    assert heading(page) == "Sign in"
    assert "attempt=" not in page.url  # signing out leaves the feedback's address too

    open_app(page, url, f"?attempt={attempt_id}")  # a bookmark of the feedback, in a new browser session
    assert heading(page) == "Sign in"
    sign_in(page, "devika")
    assert heading(page) == "Feedback", main_text(page)[:300]
    assert ui.marks_text(page) == marks and f"attempt={attempt_id}" in page.url

    open_app(page, url, "?q=zz-browser-refresh")  # a link to a question
    sign_in(page, "devika")
    assert heading(page) == "Practice"
    assert "Tamarind check" in page.locator(ui.key("practice_question_card")).inner_text()

    # an aspirant at a mentor page's address is told why it shows nothing
    navigate_in_app(page, "/bank")
    assert "Mentors only" in main_text(page)
    assert page.locator(".st-key-bank_section").count() == 0
    assert "Question bank" not in nav_links(page)
    assert "Traceback" not in multi_user_server.stderr(), multi_user_server.stderr()[-4000:]


def test_typing_counts_as_use_and_an_idle_session_ends_without_losing_words(page, short_idle_server):
    new_aspirant_writing(page, short_idle_server.url, "farah")
    typed = ""
    for n in range(5):  # 12.5 s of writing, longer than the 9 s idle limit, with no click outside the box
        word = f"Stockpiles{n} cushion India. "
        ui.type_answer(page, word)
        typed += word
        page.wait_for_timeout(2500)
    ui.wait_saved(page, typed)
    ui.submit(page)
    assert heading(page) == "Feedback"  # the writer was never signed out

    ui.click(page, ui.key("practice_retry") + " button")
    ui.click(page, ui.START)
    ui.type_answer(page, "Before the break. ")
    ui.wait_saved(page, "Before the break. ")
    page.wait_for_timeout(11_000)  # idle longer than the limit
    ui.type_answer(page, "After the break.")
    page.get_by_text("Your session has ended").wait_for(timeout=15_000)
    assert heading(page) == "Sign in"
    sign_in(page, "farah")  # back at the question, with every word
    ui.answer_box(page).wait_for(state="visible")
    assert ui.answer_box(page).input_value() == "Before the break. After the break."


def test_sign_out_clicked_straight_after_typing_signs_out_the_first_time(page, multi_user_server):
    """A click on Sign out while the answer box is still sending words had been ignored (every time, in six tries)."""
    new_aspirant_writing(page, multi_user_server.url, "gita")
    written = ""
    for trial in range(3):
        words = f" Trial {trial} words."
        ui.type_answer(page, words, delay=10)
        written += words
        page.locator(".st-key-account_sign_out button").click()  # at once, before the box has saved
        page.get_by_text("You have signed out.").wait_for(timeout=10_000)
        assert heading(page) == "Sign in", trial
        # the sidebar's account line goes when the run ends (until then Streamlit keeps the old elements, greyed)
        expect(page.locator("[data-testid='stApp']")).not_to_contain_text("Signed in as")
        sign_in(page, "gita")
        page.locator("[class*='st-key-practice_resume_'] button").first.click()
        wait_idle(page)
        ui.answer_box(page).wait_for(state="visible")
        assert ui.answer_box(page).input_value() == written  # and nothing typed was lost


def test_a_refused_sign_up_lists_every_problem_and_the_boxes_keep_what_was_typed(page, multi_user_server):
    open_app(page, multi_user_server.url)
    boxes = {key: page.locator(f".st-key-{key} input") for key in
             ("account_signup_name", "account_signup_password", "account_signup_again")}
    for key, typed in zip(boxes, ("ab", "short", "shorter")):
        boxes[key].fill(typed)
    ui.click(page, ".st-key-account_signup_submit button")
    error = page.get_by_test_id("stAlertContentError")
    error.wait_for()
    shown = error.inner_text()
    for problem in ("A name has 3 to 32 characters (this one has 2).", "A password has at least 8 characters.",
                    "The two passwords differ."):
        assert problem in shown, shown
    assert [box.input_value() for box in boxes.values()] == ["ab", "short", "shorter"]
    # only what is wrong needs typing again
    boxes["account_signup_name"].fill("zeenat")
    boxes["account_signup_password"].fill(PASSWORD)
    boxes["account_signup_again"].fill(PASSWORD)
    ui.click(page, ".st-key-account_signup_submit button")
    page.get_by_text("Welcome, zeenat.").wait_for()
