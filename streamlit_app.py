"""UPSC Mains answer-writing practice: the router.

    streamlit run streamlit_app.py

Pages live in ``app_pages/`` and are UI only; scoring is in ``scoring/`` and
history in ``storage/`` (``DATABASE_URL``; the bank folder is ``MAINS_BANK_DIR``).

With ``MAINS_MULTI_USER=1`` the only page is "Sign in" until someone signs in
(a link to another page shows Sign in at that address, and opens that page once
signed in); then everyone has Practice, History and Progress, and only mentors see the pages
in ``MENTOR_PAGES`` in their menu.  Those pages refuse anyone else themselves: an aspirant
who opens ``/bank`` reads "Mentors only" there.
"""

import streamlit as st

from app_pages.context import (ACCOUNT_WELCOME, SIGNED_OUT_HERE, SIGNED_OUT_PATH, SIGNED_OUT_QUERY,
                               keep_widget_values, multi_user_mode, sign_out, signed_in_account)
from app_pages.markup import escape_markdown

#: the pages that change the bank or the scorer, by url path: mentors only in multi-user mode
MENTOR_PAGES = {
    "bank": ("app_pages/question_bank.py", "Question bank", ":material/library_books:"),
    "calibration": ("app_pages/calibration.py", "Calibration", ":material/tune:"),
}

# an emoji favicon is drawn in the page itself; a :material/…: one is fetched from fonts.gstatic.com
st.set_page_config(page_title="UPSC Mains practice", page_icon="✍️", layout="wide")
keep_widget_values()

#: the default page is served at the root URL ("/"); its own url_path is never shown
practice = st.Page("app_pages/practice.py", title="Practice", icon=":material/edit_note:", url_path="start",
                   default=True)


def mentor_page(url_path: str, *, in_menu: bool = True) -> st.Page:
    source, title, icon = MENTOR_PAGES[url_path]
    return st.Page(source, title=title, icon=icon, url_path=url_path, visibility="visible" if in_menu else "hidden")


def practice_by_its_name() -> None:
    """``/practice`` (typed or bookmarked) opens Practice at "/", keeping ``?q=`` or ``?attempt=``."""
    st.switch_page(practice, query_params=st.query_params.to_dict())


pages = [
    practice,
    st.Page(practice_by_its_name, title="Practice", url_path="practice", visibility="hidden"),
    st.Page("app_pages/history.py", title="History", icon=":material/history:", url_path="history"),
    st.Page("app_pages/progress.py", title="Progress", icon=":material/insights:", url_path="progress"),
    *(mentor_page(url_path) for url_path in MENTOR_PAGES),
]
signed_out = False
if multi_user_mode():
    account = signed_in_account()  # checked against the database on every run
    signed_out = account is None
    if signed_out:
        # A bookmarked or shared link (/history?attempt=5) asks to sign in at its own address,
        # so that after signing in the same address opens the page it names.
        sign_in_page = st.Page("app_pages/account.py", title="Sign in", icon=":material/login:", url_path="account",
                               default=True)
        pages = [sign_in_page] + [
            st.Page("app_pages/account.py", title="Sign in", url_path=p.url_path, visibility="hidden")
            for p in pages if p.url_path]  # the default page is "/", which is Sign in already
    else:
        if not account.is_mentor:  # out of an aspirant's menu; at their address each says "Mentors only" itself
            pages = [mentor_page(p.url_path, in_menu=False) if p.url_path in MENTOR_PAGES else p for p in pages]
        pages.append(st.Page("app_pages/account.py", title="Account", icon=":material/person:",
                             url_path="account"))
        with st.sidebar.container(key="account_sidebar"):
            st.caption(f"Signed in as **{escape_markdown(account.name)}** · {account.role}")
            st.button("Sign out", key="account_sign_out", icon=":material/logout:", on_click=sign_out)
current = st.navigation(pages)
if signed_out:
    if st.session_state.pop(SIGNED_OUT_HERE, False):
        if current.url_path:
            st.switch_page(sign_in_page)  # signing out leaves the page it was on ...
        st.query_params.clear()  # ... and the answer or feedback it showed
    st.session_state[SIGNED_OUT_PATH] = current.url_path or "account"  # where signing in continues to
    st.session_state[SIGNED_OUT_QUERY] = st.query_params.to_dict()  # "/?attempt=5": Practice opens it then
elif welcome := st.session_state.pop(ACCOUNT_WELCOME, None):  # signed up at a link to this page
    st.toast(welcome, icon=":material/waving_hand:", duration="long")
current.run()
