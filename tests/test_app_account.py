"""Account page in AppTest (multi-user mode): a refused sign-up lists every problem at once and keeps what
was typed, so only what is wrong needs typing again; the mentor's New account form does the same.

Every test runs on SQLite and on PostgreSQL (``any_database``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import storage
from storage import accounts

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "streamlit_app.py"
PASSWORD = "correct horse battery"


@pytest.fixture
def signed_out(any_database, bank_dir, monkeypatch) -> AppTest:
    """Multi-user mode with open sign-up and a mentor already made: the Sign in page of a new browser session."""
    monkeypatch.setenv("MAINS_MULTI_USER", "1")
    monkeypatch.setenv("MAINS_SIGNUP", "open")
    storage.create_account("guru", PASSWORD)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]  # as shown: without the Markdown escapes


def fill(at: AppTest, **values: str) -> None:
    for key, value in values.items():
        at.text_input(key=key).input(value)


def sent_to_browser(at: AppTest) -> str:
    """Every element's protobuf as this run sent it to the browser."""
    parts = []
    pending = [at._tree]
    while pending:
        node = pending.pop()
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        pending.extend(getattr(node, "children", {}).values())
    return "\n".join(parts)


def sign_up(at: AppTest, name: str, password: str, again: str) -> AppTest:
    fill(at, account_signup_name=name, account_signup_password=password, account_signup_again=again)
    at.button(key="account_signup_submit").click().run()
    assert not at.exception, at.exception
    return at


def test_a_refused_sign_up_lists_every_problem_at_once_and_keeps_what_was_typed(signed_out):
    at = sign_up(signed_out, "ab", "short", "shorter")
    assert errors(at) == ["No account was made, for these reasons:\n"
                          "- **Name**: A name has 3 to 32 characters (this one has 2).\n"
                          "- **Password**: A password has at least 8 characters.\n"
                          "- **Password again**: The two passwords differ."]
    assert accounts.get_account("ab") is None
    # the boxes keep what was typed ...
    assert at.text_input(key="account_signup_name").value == "ab"
    assert at.text_input(key="account_signup_password").value == "short"
    assert at.text_input(key="account_signup_again").value == "shorter"
    # ... in the browser: the server does not send a password back
    assert "shorter" not in sent_to_browser(at)

    # put right only what is wrong: the name, and the second password
    fill(at, account_signup_name="asha", account_signup_password="long enough now", account_signup_again="long enough now")
    at.button(key="account_signup_submit").click().run()
    assert not at.exception, at.exception
    assert not errors(at)
    assert accounts.get_account("asha") is not None
    assert any("Welcome, asha." in s.value for s in at.success)


def test_a_taken_name_is_listed_with_the_passwords_problems(signed_out):
    at = sign_up(signed_out, "Guru", PASSWORD, PASSWORD + "!")
    assert errors(at) == ["No account was made, for these reasons:\n"
                          "- **Name**: The name 'guru' is taken; choose another.\n"
                          "- **Password again**: The two passwords differ."]
    at = sign_up(at, "guru2", "guru2", "guru2")
    assert errors(at) == ["No account was made, for this reason:\n"
                          "- **Password**: A password has at least 8 characters."]
    assert at.text_input(key="account_signup_password").value == "guru2"


def test_the_mentors_new_account_form_lists_every_problem_and_keeps_the_password(any_database, bank_dir, monkeypatch):
    monkeypatch.setenv("MAINS_MULTI_USER", "1")
    mentor = storage.create_account("guru", PASSWORD)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["account_token"] = storage.start_session(mentor.id)
    at.run()
    at.switch_page("app_pages/account.py").run()
    assert not at.exception, at.exception
    fill(at, account_new_name="x", account_new_password="1234")
    at.button(key="account_new_submit").click().run()
    assert errors(at) == ["No account was made, for these reasons:\n"
                          "- **Name**: A name has 3 to 32 characters (this one has 1).\n"
                          "- **Password**: A password has at least 8 characters."]
    assert at.text_input(key="account_new_password").value == "1234"
    fill(at, account_new_name="bala", account_new_password="12345678")
    at.button(key="account_new_submit").click().run()
    assert not errors(at)
    assert any("Account 'bala' created (aspirant)." in s.value for s in at.success)
    assert at.text_input(key="account_new_password").value == "" and at.text_input(key="account_new_name").value == ""
