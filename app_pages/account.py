"""Account (multi-user mode): sign in or create an account; once signed in, change the password,
and for mentors, the list of accounts, new accounts and roles.

Passwords go straight from the form to ``storage.accounts`` (argon2 hashes) and are
wiped from the form's state in the same callback, except when a new account is refused:
then every problem is listed at once, and the boxes keep what was typed so that only what
is wrong needs typing again (the server never sends a password back to the browser; the
boxes keep the browser's own copy).  A signed-in session lives only in
this browser session's server-side state: a browser refresh asks to sign in again
(drafts are on the server, so nothing written is lost).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import storage
from app_pages.clock import local, viewer_zone, zone_title
from app_pages.context import (ACCOUNT_NOTICE, ACCOUNT_WELCOME, SIGNED_OUT_PATH, SIGNED_OUT_QUERY, page_style,
                               sign_in, signed_in_account)
from app_pages.markup import escape_markdown
from storage import accounts

state = st.session_state
state.setdefault("account_message", None)  # (kind, text) from the last form sent

page_style()


def client_address() -> str | None:
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context (tests, bare mode)
        return None


def say(kind: str, text: str) -> None:
    state["account_message"] = (kind, text)


def show_message() -> None:
    message = state.get("account_message")
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(text)
        state["account_message"] = None


def sentence(exc: Exception) -> str:
    """An error message as a sentence: capital first letter, full stop at the end."""
    text = str(exc)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def wipe(*keys: str) -> None:
    for key in keys:
        state[key] = ""


def account_problems(name: str, password: str, again: str | None = None) -> list[tuple[str, str]]:
    """Everything wrong with a new account's name and password, each as (field, sentence), all at once:
    the name's form, whether it is taken, the password's length, and the second copy."""
    problems = []
    try:
        canonical = accounts.normalise_name(name)
    except storage.AccountError as exc:
        canonical = None
        problems.append(("Name", sentence(exc)))
    if canonical is not None and accounts.get_account(canonical) is not None:
        problems.append(("Name", f"The name {canonical!r} is taken; choose another."))
    try:
        accounts.check_password(password, name=canonical)
    except storage.AccountError as exc:
        problems.append(("Password", sentence(exc)))
    if again is not None and password != again:
        problems.append(("Password again", "The two passwords differ."))
    return problems


def refused(what: str, problems: list[tuple[str, str]]) -> str:
    """One message listing every problem: "<what> was not made:" and a bullet a problem."""
    return "\n".join([f"{what}, for {'this reason' if len(problems) == 1 else 'these reasons'}:",
                      *(f"- **{field}**: {escape_markdown(text)}" for field, text in problems)])


# ------------------------------------------------------------------ callbacks (run before the page)


def on_sign_in() -> None:
    name, password = state.get("account_login_name", ""), state.get("account_login_password", "")
    wipe("account_login_password")
    try:
        account = storage.authenticate(name, password, ip=client_address())
    except storage.AccountError as exc:
        say("error", sentence(exc))
        return
    signed_in_at = state.get(SIGNED_OUT_PATH, "account")  # read before sign_in clears the session's state
    query = state.get(SIGNED_OUT_QUERY, {})
    sign_in(account)
    continue_after_sign_in(signed_in_at, query)


def continue_after_sign_in(signed_in_at: str, query: dict[str, str]) -> None:
    """From the Sign in page, on to Practice, with the address's ``?q=`` or ``?attempt=``
    (the app's own links to a question or feedback are at "/"); from a link to another
    page, that page (the next run opens it, with its query)."""
    if signed_in_at == "account":
        state["account_to_practice"] = {k: v for k, v in query.items() if k in ("q", "attempt")}


def on_sign_up() -> None:
    """Refused, the form keeps the name and both passwords as typed (they stay in this browser's boxes; the server
    never sends a password back) and lists every problem at once, so that each is put right in one go."""
    name = state.get("account_signup_name", "")
    password, again = state.get("account_signup_password", ""), state.get("account_signup_again", "")
    if not accounts.signup_open():
        wipe("account_signup_password", "account_signup_again")
        say("error", "New accounts are made by a mentor here.")
        return
    problems = account_problems(name, password, again)
    if problems:
        say("error", refused("No account was made", problems))
        return
    try:
        account = storage.create_account(name, password)
    except storage.AccountError as exc:  # e.g. the name taken by someone else a moment ago
        say("error", escape_markdown(sentence(exc)))
        return
    wipe("account_signup_password", "account_signup_again")
    signed_up_at = state.get(SIGNED_OUT_PATH, "account")  # read before sign_in clears the session's state
    question = state.get(SIGNED_OUT_QUERY, {}).get("q")
    sign_in(account)
    first = " You are the first account, so you are a mentor." if account.is_mentor else ""
    welcome = f"Welcome, {account.name}.{first}"
    if signed_up_at == "account" and question:  # a link to a question: open it
        state["account_to_practice"] = {"q": question}
        state[ACCOUNT_WELCOME] = welcome  # the router shows it on Practice
    elif signed_up_at == "account":
        say("success", welcome)  # the next run shows the Account page, and this on it
    else:
        state[ACCOUNT_WELCOME] = welcome  # the next run opens the linked page; the router shows it there


def on_change_password(account_id: int, name: str) -> None:
    current = state.get("account_pw_current", "")
    new, again = state.get("account_pw_new", ""), state.get("account_pw_again", "")
    wipe("account_pw_current", "account_pw_new", "account_pw_again")
    if new != again:
        say("error", "The two new passwords differ.")
        return
    try:
        storage.authenticate(name, current, ip=client_address())
        account = storage.set_password(account_id, new)  # ends every session of this account ...
    except storage.AccountError as exc:
        say("error", sentence(exc))
        return
    sign_in(account)  # ... so this browser gets a new one
    say("success", "Password changed. Every other session of this account has ended.")


def still_a_mentor() -> bool:
    """Callbacks run before the page: check the role again (it may have changed since the form was drawn)."""
    account = signed_in_account()
    if account is None or not account.is_mentor:
        say("error", "Mentors only.")
        return False
    return True


def on_create_account() -> None:
    name, password = state.get("account_new_name", ""), state.get("account_new_password", "")
    role = state.get("account_new_role", accounts.ASPIRANT)
    if not still_a_mentor():
        wipe("account_new_password")
        return
    problems = account_problems(name, password)
    if problems:  # as on Sign up: every problem at once, and what was typed stays
        say("error", refused("No account was made", problems))
        return
    try:
        made = storage.create_account(name, password, role)
    except storage.AccountError as exc:
        say("error", escape_markdown(sentence(exc)))
        return
    wipe("account_new_name", "account_new_password")
    say("success", f"Account {made.name!r} created ({made.role}).")


def on_set_role() -> None:
    name, role = state.get("account_role_user"), state.get("account_role_role")
    if not name or not role or not still_a_mentor():
        return
    me = signed_in_account()
    if me is not None and name == me.name and role != accounts.MENTOR and not state.get("account_role_self_ok"):
        say("error", "That is your own account: tick “Yes, I give up my mentor pages” to confirm. You would lose "
                     "the Question bank and Calibration pages until another mentor gives them back.")
        return
    try:
        changed = storage.set_role(name, role)
    except storage.AccountError as exc:
        say("error", sentence(exc))
        return
    say("success", f"{changed.name!r} is now {'a' if changed.is_mentor else 'an'} {changed.role}.")


# ------------------------------------------------------------------ screens


def signed_out_screen() -> None:
    notice = state.pop(ACCOUNT_NOTICE, None)
    first_account = not accounts.has_accounts()
    can_sign_up = accounts.signup_open()
    # nobody can sign in before the first account
    st.title("Welcome" if first_account else "Sign in", anchor=False)
    if notice:
        st.info(notice)
    show_message()
    if first_account and not accounts.signup_open():
        st.info("No accounts yet. Whoever runs the server makes the first mentor with "
                "`python -m storage create-mentor NAME`.")
        return
    if first_account:
        st.info("No accounts yet: the first account made here is a mentor's "
                "(mentors edit the question bank; aspirants practise).")
    else:
        with st.form("account_sign_in_form", border=True):
            st.text_input("Name", key="account_login_name", autocomplete="username")
            st.text_input("Password", type="password", key="account_login_password",
                          autocomplete="current-password")
            st.form_submit_button("Sign in", key="account_login_submit", type="primary", on_click=on_sign_in)
    if can_sign_up:
        st.subheader("Create an account" if not first_account else "Create the first account", anchor=False)
        with st.form("account_sign_up_form", border=True):
            st.text_input("Name", key="account_signup_name", autocomplete="username",
                          help=f"{accounts.NAME_MIN}–{accounts.NAME_MAX} characters: letters a–z, digits, "
                               "'.', '_' or '-'. Capitals are read as small letters.")
            st.text_input("Password", type="password", key="account_signup_password", autocomplete="new-password",
                          help=f"At least {accounts.PASSWORD_MIN} characters.")
            st.text_input("Password again", type="password", key="account_signup_again",
                          autocomplete="new-password")
            st.form_submit_button("Create account", key="account_signup_submit", on_click=on_sign_up)
    else:
        st.caption("New accounts are made by a mentor. Ask yours for one.")


def signed_in_screen(account: storage.UserRecord) -> None:
    st.title("Account", anchor=False)
    show_message()
    st.markdown(f"Signed in as **{escape_markdown(account.name)}**, {account.role}.")
    idle = accounts.session_idle_timeout().total_seconds() / 60
    hours = accounts.session_lifetime().total_seconds() / 3600
    st.caption(f"A session ends after {idle:g} minutes without use, or {hours:g} hours after signing in. "
               "A browser refresh asks you to sign in again; unfinished answers are kept on the server.")

    with st.expander("Change your password", key="account_password_panel"):
        with st.form("account_password_form", border=False):
            st.text_input("Current password", type="password", key="account_pw_current",
                          autocomplete="current-password")
            st.text_input("New password", type="password", key="account_pw_new", autocomplete="new-password")
            st.text_input("New password again", type="password", key="account_pw_again",
                          autocomplete="new-password")
            st.form_submit_button("Change password", key="account_pw_submit", on_click=on_change_password,
                                  args=(account.id, account.name))

    if not account.is_mentor:
        return
    st.subheader("Accounts", anchor=False)
    everyone = accounts.list_accounts()
    zone = viewer_zone()  # the mentor's own clock, named in the title
    st.dataframe(pd.DataFrame([{"name": u.name, "role": u.role, "created": local(u.created_at, zone)}
                               for u in everyone]),
                 hide_index=True, key="account_users_table",
                 column_config={"created": st.column_config.DatetimeColumn(
                     f"created ({zone_title((u.created_at for u in everyone), zone)})", format="YYYY-MM-DD HH:mm")})
    left, right = st.columns(2)
    with left, st.form("account_new_form", border=True):
        st.markdown("**New account**")
        st.text_input("Name", key="account_new_name")
        st.text_input("Password", type="password", key="account_new_password", autocomplete="new-password",
                      help="Tell the aspirant; they can change it on this page.")
        st.selectbox("Role", list(accounts.ROLES), key="account_new_role")
        st.form_submit_button("Create", key="account_new_submit", on_click=on_create_account)
    with right, st.form("account_role_form", border=True):
        st.markdown("**Change a role**")
        st.selectbox("Account", [u.name for u in everyone], key="account_role_user")
        st.selectbox("Role", list(accounts.ROLES), key="account_role_role")
        st.checkbox("Yes, I give up my mentor pages", key="account_role_self_ok",
                    help="Needed only to make your own account an aspirant's.")
        st.form_submit_button("Change role", key="account_role_submit", on_click=on_set_role)


account = signed_in_account()
if account is None:
    signed_out_screen()
elif (to_practice := state.pop("account_to_practice", None)) is not None:  # just signed in: straight to work
    st.switch_page("app_pages/practice.py", query_params=to_practice)
else:
    signed_in_screen(account)
