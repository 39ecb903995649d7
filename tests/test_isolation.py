"""Multi-user mode: an aspirant reaches nothing of another's, by any route; only mentors reach the bank.

Two aspirants, A and B.  B tries A's attempt and draft through every storage call
that takes an id, and through every page that takes one from the URL or from the
session's state, signed in as B.  Each must fail: nothing of A's answer, marks or
feedback may appear anywhere in what B's pages send to the browser.  Then the
roles: an aspirant cannot reach or use the Question bank or Calibration pages, by
the navigation, a page switch, or running the page itself; a mentor can.

Every test runs on SQLite and on PostgreSQL (``any_database``).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import storage
from scoring.bank import load_bank
from scoring.scorer import Scorer
from storage.timing import utcnow

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "streamlit_app.py"
QID = "test-gst-council"

#: A's answer carries a word that appears nowhere else, so any leak of it is visible.
SECRET = "Quokkaphrase"
A_ANSWER = (f"The GST Council is a constitutional body under Article 279A ({SECRET}).\n\n"
            "The Union holds one third of the votes and the states two thirds, and three fourths decide.\n\n"
            "The way forward is a dispute settlement mechanism.")
A_DRAFT_TEXT = f"An unfinished answer of A's about fiscal autonomy ({SECRET}Draft)."
PASSWORD = "correct horse battery"


@pytest.fixture
def multi_user(any_database, bank_dir, sample_item, monkeypatch):
    """Multi-user mode on a fresh database: a mentor (first account), aspirants A and B.

    A has one submitted attempt (on the sample question) and one open draft (on another question).
    """
    monkeypatch.setenv("MAINS_MULTI_USER", "1")
    monkeypatch.delenv("MAINS_SIGNUP", raising=False)
    mentor = storage.create_account("mentor1", PASSWORD)
    a = storage.create_account("asha", PASSWORD)
    b = storage.create_account("bala", PASSWORD)
    assert (mentor.role, a.role, b.role) == ("mentor", "aspirant", "aspirant")
    bank = load_bank(bank_dir)
    scorer = Scorer().fit(bank)
    started = utcnow() - timedelta(minutes=6)
    draft = storage.start_or_resume_draft(a.id, QID, sample_item.version, 7, now=started)
    feedback = scorer.score(sample_item, A_ANSWER)
    attempt = storage.submit_attempt(a.id, draft.id, A_ANSWER, feedback)
    other = next(i for i in bank.items.values() if i.id != QID)
    open_draft = storage.start_or_resume_draft(a.id, other.id, other.version, other.question.time_limit_minutes)
    assert storage.save_draft_text(a.id, open_draft.id, A_DRAFT_TEXT)
    return {"mentor": mentor, "a": a, "b": b, "attempt": attempt, "draft": storage.get_draft(a.id, open_draft.id),
            "other": other, "scorer": scorer, "item": sample_item}


def signed_in_app(account) -> AppTest:
    """The whole app, as a browser session that has signed in as ``account``."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["account_token"] = storage.start_session(account.id)
    return at


def sent_to_browser(at: AppTest) -> str:
    """Everything the run sent to the browser (every element's protobuf, dataframes included)."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(parts)


def assert_nothing_of_a(at: AppTest, world: dict) -> None:
    assert not at.exception, at.exception
    screen = sent_to_browser(at)
    assert SECRET not in screen
    assert "asha" not in screen  # not even A's name
    if storage.count_attempts(world["b"].id) == 0:  # B has no marks of any kind to see
        assert not [m for m in at.metric if m.label == "Marks"]


# ------------------------------------------------------------------ storage: every call that takes an id


def test_storage_refuses_b_every_read_and_write_of_as_attempt_and_draft(multi_user):
    a, b, attempt, draft = multi_user["a"], multi_user["b"], multi_user["attempt"], multi_user["draft"]
    assert storage.get_attempt(b.id, attempt.id) is None
    assert storage.list_attempts(b.id) == [] and storage.list_attempts(b.id, question_id=QID) == []
    assert storage.count_attempts(b.id) == 0 and storage.attempted_question_ids(b.id) == set()
    assert storage.get_draft(b.id, draft.id) is None
    assert storage.get_open_draft(b.id, draft.question_id) is None
    assert storage.list_open_drafts(b.id) == []
    assert storage.save_draft_text(b.id, draft.id, "overwritten by B") is False
    assert storage.discard_draft(b.id, draft.id) is False
    feedback = multi_user["scorer"].score(multi_user["item"], "B's text")
    with pytest.raises(storage.DraftNotFound):
        storage.submit_attempt(b.id, draft.id, "B's text", feedback)
    # B starting the same question gets a draft of B's own, empty
    mine = storage.start_or_resume_draft(b.id, draft.question_id, draft.question_version, 7)
    assert mine.id != draft.id and mine.user_id == b.id and mine.text == ""
    # and A's draft and attempt are exactly as they were
    assert storage.get_draft(a.id, draft.id).text == A_DRAFT_TEXT
    assert storage.get_attempt(a.id, attempt.id).answer == A_ANSWER
    assert storage.count_attempts(a.id) == 1 and storage.count_attempts(b.id) == 0


# ------------------------------------------------------------------ pages, signed in as B


def test_practice_page_with_as_attempt_in_the_url_shows_b_nothing_of_it(multi_user):
    at = signed_in_app(multi_user["b"])
    at.query_params["attempt"] = str(multi_user["attempt"].id)
    at.run()
    assert [t.value for t in at.title] == ["Practice"]  # not "Feedback"
    assert_nothing_of_a(at, multi_user)
    assert at.get("download_button") == [] or all(
        "feedback" not in d.proto.label.lower() for d in at.get("download_button"))


def test_history_page_with_as_attempt_in_the_url_shows_b_nothing_of_it(multi_user):
    at = signed_in_app(multi_user["b"])
    at.run()
    at.query_params["attempt"] = str(multi_user["attempt"].id)
    at.switch_page("app_pages/history.py").run()
    assert [t.value for t in at.title] == ["History"]
    assert any("No attempts yet" in i.value for i in at.info)
    assert_nothing_of_a(at, multi_user)


def test_history_with_as_attempt_in_the_url_shows_bs_own_attempt_instead(multi_user):
    b, item = multi_user["b"], multi_user["item"]
    draft = storage.start_or_resume_draft(b.id, QID, item.version, 7)
    own_text = "B's own answer on the GST Council and cooperative federalism."
    own = storage.submit_attempt(b.id, draft.id, own_text, multi_user["scorer"].score(item, own_text))
    at = signed_in_app(b)
    at.run()
    at.query_params["attempt"] = str(multi_user["attempt"].id)
    at.switch_page("app_pages/history.py").run()
    assert at.selectbox(key="history_pick").options and at.selectbox(key="history_pick").value == own.id
    assert str(own.id) in str(at.query_params["attempt"])  # the URL now names B's attempt, not A's
    screen = sent_to_browser(at)
    assert SECRET not in screen
    assert "own answer on the GST Council" in screen
    assert len(at.selectbox(key="history_pick").options) == 1  # B's attempts only


def test_progress_page_table_and_csv_hold_only_bs_attempts(multi_user):
    b, item = multi_user["b"], multi_user["item"]
    draft = storage.start_or_resume_draft(b.id, QID, item.version, 7)
    storage.submit_attempt(b.id, draft.id, "B's short answer.", multi_user["scorer"].score(item, "B's short answer."))
    at = signed_in_app(b)
    at.run()
    at.switch_page("app_pages/progress.py").run()
    assert {m.label: m.value for m in at.metric}["Attempts"] == "1"
    assert len(at.dataframe[0].value) == 1  # the table (and so its CSV download) has B's one attempt
    assert_nothing_of_a(at, multi_user)


def test_progress_page_for_b_without_attempts_says_so(multi_user):
    at = signed_in_app(multi_user["b"])
    at.run()
    at.switch_page("app_pages/progress.py").run()
    assert any("No attempts yet" in i.value for i in at.info)
    assert_nothing_of_a(at, multi_user)


def test_practice_page_lists_none_of_as_drafts_and_state_holding_as_ids_shows_nothing(multi_user):
    draft, attempt = multi_user["draft"], multi_user["attempt"]
    at = signed_in_app(multi_user["b"])
    at.run()
    assert not any(s.value == "Unfinished answers" for s in at.subheader)
    assert not [b for b in at.button if b.key and b.key.startswith(("practice_resume_", "practice_discard_orphan_"))]
    # a session state pointing at A's attempt (as after A's Submit in the same tab) shows nothing of it
    at.session_state["practice_attempt_id"] = attempt.id
    at.run()
    assert [t.value for t in at.title] == ["Practice"]
    assert_nothing_of_a(at, multi_user)
    # nor does one pointing at the question A has an open draft for: B gets the picker, not A's text
    at.session_state["practice_question_id"] = draft.question_id
    at.run()
    assert at.get("bidi_component") == []  # no answer box: B has not started this question
    assert_nothing_of_a(at, multi_user)
    assert storage.get_draft(multi_user["a"].id, draft.id).text == A_DRAFT_TEXT


def test_b_starting_and_submitting_the_question_a_left_open_touches_nothing_of_as(multi_user):
    a, draft = multi_user["a"], multi_user["draft"]
    at = signed_in_app(multi_user["b"])
    at.run()
    at.selectbox(key="practice_pick").set_value(draft.question_id).run()
    at.button(key="practice_start").click().run()
    assert not at.exception, at.exception
    assert_nothing_of_a(at, multi_user)
    mine = storage.get_open_draft(multi_user["b"].id, draft.question_id)
    assert mine is not None and mine.id != draft.id
    at.session_state[f"practice_answer_{mine.id}"] = {"text": "B writes this."}
    at.run()
    assert storage.get_draft(multi_user["b"].id, mine.id).text == "B writes this."
    assert storage.get_draft(a.id, draft.id).text == A_DRAFT_TEXT


def test_signed_out_browser_sees_only_sign_in_whatever_the_url(multi_user):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["attempt"] = str(multi_user["attempt"].id)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert_nothing_of_a(at, multi_user)
    for page in ("app_pages/history.py", "app_pages/practice.py", "app_pages/progress.py",
                 "app_pages/question_bank.py"):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_first_visit_with_no_account_is_a_welcome_with_no_sign_in_form(any_database, bank_dir, monkeypatch):
    monkeypatch.setenv("MAINS_MULTI_USER", "1")
    monkeypatch.setenv("MAINS_SIGNUP", "open")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Welcome"]  # not "Sign in": nobody can sign in yet
    assert at.text_input(key="account_signup_name") and not [w for w in at.text_input if w.key == "account_login_name"]


def test_a_forged_or_ended_session_token_is_not_a_sign_in(multi_user):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["account_token"] = "not-a-real-token"
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    token = storage.start_session(multi_user["a"].id)
    storage.end_session(token)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["account_token"] = token
    at.query_params["attempt"] = str(multi_user["attempt"].id)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert_nothing_of_a(at, multi_user)


def test_each_page_run_directly_without_a_session_shows_nothing(multi_user):
    """The second lock: a page reached without the router still finds nobody signed in."""
    for page in ("practice.py", "history.py", "progress.py"):
        at = AppTest.from_file(str(REPO_ROOT / "app_pages" / page), default_timeout=60)
        at.query_params["attempt"] = str(multi_user["attempt"].id)
        at.run()
        assert not at.exception, (page, at.exception)
        assert any("Sign in" in w.value for w in at.warning), page
        assert SECRET not in sent_to_browser(at)


def test_session_expiring_mid_use_returns_to_sign_in_and_keeps_the_draft(multi_user, monkeypatch):
    a, draft = multi_user["a"], multi_user["draft"]
    at = signed_in_app(a)
    at.run()
    assert [t.value for t in at.title] == ["Practice"]
    monkeypatch.setenv("MAINS_SESSION_IDLE_MINUTES", "0.0001")  # 6 ms: the session is idle too long by now
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert any("session has ended" in i.value for i in at.info)
    assert storage.get_draft(a.id, draft.id).text == A_DRAFT_TEXT


# ------------------------------------------------------------------ signing in through the form


def test_sign_in_form_then_b_sees_own_pages_only_and_sign_out_clears_the_screen(multi_user):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input(key="account_login_name").input("Bala")
    at.text_input(key="account_login_password").input(PASSWORD)
    at.button(key="account_login_submit").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Practice"]
    assert any("bala" in c.value and "aspirant" in c.value for c in at.sidebar.caption)
    assert_nothing_of_a(at, multi_user)
    at.button(key="account_sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "account_token" not in at.session_state


def test_wrong_password_is_refused_with_one_message(multi_user):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input(key="account_login_name").input("asha")
    at.text_input(key="account_login_password").input("not the password")
    at.button(key="account_login_submit").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert at.text_input(key="account_login_password").value == ""  # the password is not kept in the form


# ------------------------------------------------------------------ roles


MENTOR_PAGES = ("app_pages/question_bank.py", "app_pages/calibration.py")


def test_aspirant_reaching_a_mentor_page_by_its_address_reads_mentors_only_and_gets_nothing(multi_user):
    """The pages are out of an aspirant's menu (the browser test reads the menu); at their address they refuse."""
    at = signed_in_app(multi_user["b"])
    at.run()
    for page in MENTOR_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert [e.value for e in at.error if e.value.startswith("Mentors only")], page
        assert at.title == [] and at.radio == [] and at.get("file_uploader") == []
        assert [b.key for b in at.button] == ["account_sign_out"]
    for page in ("app_pages/history.py", "app_pages/progress.py", "app_pages/account.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)


@pytest.mark.parametrize("page", MENTOR_PAGES)
def test_mentor_page_reached_by_an_aspirant_says_mentors_only_and_offers_nothing(multi_user, page):
    at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=60)
    at.session_state["account_token"] = storage.start_session(multi_user["b"].id)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error if e.value.startswith("Mentors only")]
    assert at.title == [] and at.button == [] and at.radio == [] and at.get("file_uploader") == []


def test_mentor_reaches_and_uses_the_bank_and_calibration_pages(multi_user):
    at = signed_in_app(multi_user["mentor"])
    at.run()
    at.switch_page("app_pages/question_bank.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Question bank"]
    assert not [e for e in at.error if e.value.startswith("Mentors only")]
    at.switch_page("app_pages/calibration.py").run()
    assert not at.exception, at.exception
    assert not [e for e in at.error if e.value.startswith("Mentors only")]
    assert at.title and "alibration" in at.title[0].value


def test_mentor_demoted_while_on_the_bank_page_loses_it_on_the_next_run(multi_user):
    mentor, other = multi_user["mentor"], multi_user["a"]
    storage.set_role(other.id, "mentor")  # the last mentor cannot be demoted; make a second first
    at = signed_in_app(mentor)
    at.run()
    at.switch_page("app_pages/question_bank.py").run()
    assert [t.value for t in at.title] == ["Question bank"]
    storage.set_role(mentor.id, "aspirant")
    at.run()
    assert not at.exception, at.exception
    assert "Question bank" not in [t.value for t in at.title]
    assert at.radio == []  # none of the bank's sections are offered
    assert [e.value for e in at.error if e.value.startswith("Mentors only")]  # and the page says why


def test_mentor_creates_an_account_and_changes_a_role_on_the_account_page(multi_user):
    at = signed_in_app(multi_user["mentor"])
    at.context["timezone"] = "Asia/Kolkata"  # a mentor in India
    at.run()
    at.switch_page("app_pages/account.py").run()
    names = set(at.dataframe[0].value["name"])
    assert {"mentor1", "asha", "bala"} <= names
    # when each account was made, on the mentor's own clock, the zone named in the title
    assert str(at.dataframe[0].value["created"].dt.tz) == "Asia/Kolkata"
    assert json.loads(at.dataframe[0].proto.columns)["created"]["label"] == "created (IST)"
    at.text_input(key="account_new_name").input("Chitra")
    at.text_input(key="account_new_password").input(PASSWORD)
    at.button(key="account_new_submit").click().run()
    assert not at.exception, at.exception
    assert storage.accounts.get_account("chitra").role == "aspirant"
    at.selectbox(key="account_role_user").set_value("chitra")
    at.selectbox(key="account_role_role").set_value("mentor")
    at.button(key="account_role_submit").click().run()
    assert storage.accounts.get_account("chitra").role == "mentor"


def test_a_mentor_demoting_themselves_must_confirm_it(multi_user):
    storage.set_role(multi_user["a"].id, "mentor")  # not the last mentor, so the demotion itself is allowed
    at = signed_in_app(multi_user["mentor"])
    at.run()
    at.switch_page("app_pages/account.py").run()
    at.selectbox(key="account_role_user").set_value("mentor1")
    at.selectbox(key="account_role_role").set_value("aspirant")
    at.button(key="account_role_submit").click().run()
    assert not at.exception, at.exception
    assert storage.accounts.get_account("mentor1").role == "mentor"  # one click changed nothing
    assert any("your own account" in e.value for e in at.error)
    at.checkbox(key="account_role_self_ok").check()
    at.button(key="account_role_submit").click().run()
    assert storage.accounts.get_account("mentor1").role == "aspirant"


def test_aspirant_account_page_has_no_user_list_or_role_controls(multi_user):
    at = signed_in_app(multi_user["b"])
    at.run()
    at.switch_page("app_pages/account.py").run()
    assert not at.exception, at.exception
    assert at.dataframe == []
    keys = {w.key for w in [*at.text_input, *at.selectbox, *at.button]}
    assert not keys & {"account_new_name", "account_role_user", "account_role_submit"}
    assert "mentor1" not in sent_to_browser(at) and "asha" not in sent_to_browser(at)


def test_closed_sign_up_offers_no_sign_up_form(multi_user, monkeypatch):
    monkeypatch.setenv("MAINS_SIGNUP", "closed")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    keys = {w.key for w in at.text_input}
    assert "account_signup_name" not in keys and "account_login_name" in keys
    assert any("made by a mentor" in c.value for c in at.caption)


# ------------------------------------------------------------------ single-user mode is unchanged


def test_single_user_mode_needs_no_sign_in_and_keeps_every_page(any_database, bank_dir, sample_item, monkeypatch):
    monkeypatch.delenv("MAINS_MULTI_USER", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Practice"]
    assert at.sidebar.button == [] and not any("Signed in" in c.value for c in at.sidebar.caption)
    at.switch_page("app_pages/question_bank.py").run()
    assert [t.value for t in at.title] == ["Question bank"]
    at.switch_page("app_pages/calibration.py").run()
    assert not [e for e in at.error if e.value.startswith("Mentors only")]
    assert storage.accounts.list_accounts() == []


def test_mentor_forms_drawn_before_a_demotion_do_nothing_afterwards(multi_user):
    mentor, other = multi_user["mentor"], multi_user["a"]
    storage.set_role(other.id, "mentor")
    at = signed_in_app(mentor)
    at.run()
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_new_name").input("sneaky")
    at.text_input(key="account_new_password").input(PASSWORD)
    at.selectbox(key="account_new_role").set_value("mentor")
    storage.set_role(mentor.id, "aspirant")  # demoted while the form is on screen
    at.button(key="account_new_submit").click().run()
    assert not at.exception, at.exception
    assert storage.accounts.get_account("sneaky") is None
    assert at.dataframe == []  # and the accounts list is gone


def test_calibration_remove_clicked_after_a_demotion_keeps_the_file(multi_user, tmp_path, monkeypatch):
    from scoring.calibrate import fit_calibration
    from tests.test_app_calibration import graded_frame

    path = tmp_path / "calibration.mcal"
    monkeypatch.setenv("MAINS_CALIBRATION", str(path))
    bank = load_bank(os.environ["MAINS_BANK_DIR"])
    fit_calibration(graded_frame(bank), bank).save(path)
    mentor, other = multi_user["mentor"], multi_user["a"]
    storage.set_role(other.id, "mentor")
    at = signed_in_app(mentor)
    at.run()
    at.switch_page("app_pages/calibration.py").run()
    at.checkbox(key="calibration_remove_confirm").check().run()
    storage.set_role(mentor.id, "aspirant")  # demoted while the button is on screen
    at.button(key="calibration_remove").click().run()
    assert not at.exception, at.exception
    assert path.exists()
    assert at.get("file_uploader") == []  # and the page itself is gone
