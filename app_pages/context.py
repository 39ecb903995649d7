"""What every page needs: the bank, a fitted scorer, and the current user.

The bank and scorer are cached per process with ``st.cache_resource``, keyed on a
fingerprint of the bank's files (name, size, mtime, inode), so a question saved
from the Question bank page is practisable on the next rerun without a restart,
while an unchanged bank is never re-read or re-fitted.

The scorer needs scikit-learn, whose import is the slowest part of a cold start
(seconds on this 2-core machine).  No page needs it before the first Submit, so
a page calls ``warm_scorer_in_background()`` once it has drawn itself: the import
runs in a background thread and neither the first render nor Submit waits for it.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

import storage
from scoring.bank import Bank, bank_root, load_bank

if TYPE_CHECKING:
    from scoring.scorer import Scorer

_warm = threading.Event()


def warm_scorer_in_background() -> None:
    """Import the scorer's libraries in a background thread, once per process."""
    if not _warm.is_set():
        _warm.set()
        threading.Thread(target=importlib.import_module, args=("scoring.scorer",), name="warm-scorer",
                         daemon=True).start()

CSS = """
<style>
.mains-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; }
.mains-answer { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.7;
  padding: 0.75rem 1rem; border: 1px solid rgba(128,128,128,0.35); border-radius: 0.5rem; }
.mains-answer mark.mains-evidence { background: rgba(255, 214, 10, 0.45); color: inherit;
  border-radius: 0.2rem; padding: 0 0.1rem; }
/* greyed, yet above WCAG AA's 4.5:1 for body text (0.55 gave 3.4:1 on the light theme) */
.mains-answer .mains-unmarked { opacity: 0.7; }
.mains-question { font-size: 1.15rem; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; }
/* Scrolling the caret (or a focused widget) into view leaves room for the answer box's word count,
   which sticks to the bottom of the view (app_pages/answer_editor.py). */
[data-testid="stMain"] { scroll-padding-bottom: 2.5rem; }
/* The countdown stays in sight, below the app's header, while the page scrolls to Submit. */
[data-testid="stLayoutWrapper"]:has(> .st-key-practice_clock) { position: sticky; top: 3.75rem; z-index: 5; }
/* A chart's or table's toolbar (Show data, Download, Fullscreen) shows on hover; a keyboard user's Tab
   reaches its buttons too, where Streamlit left it invisible: it shows, above the chart, while one of
   them has the keyboard's focus. */
[data-testid="stElementToolbar"]:has(:focus-visible) { opacity: 1; z-index: 1000; }
/* The sidebar's page links showed keyboard focus only as the grey the current page also has. */
[data-testid="stSidebarNavLink"]:focus-visible { outline: 2px solid currentColor; outline-offset: -2px; }
.st-key-practice_clock .mains-countdown { background-color: var(--st-background-color, #fff);
  padding: 0.25rem 0; }
</style>
"""


#: Widget values that survive leaving their page or section.  Streamlit drops a widget's
#: value once a run does not draw it; re-assigning it at the top of every run (from the
#: router) keeps a half-written question or the chosen filters (Streamlit's documented way).
KEPT_WIDGET_KEYS = (
    "practice_filter_paper", "practice_filter_topic", "practice_filter_marks", "practice_filter_directive",
    "practice_filter_attempted", "practice_search",
    "bank_form_id", "bank_form_paper", "bank_form_topic", "bank_form_marks", "bank_form_word_limit",
    "bank_form_time_limit", "bank_form_directive", "bank_form_text", "bank_form_model_answer",
    "bank_form_source", "bank_form_tags", "bank_form_sample",
    "bank_point_id", "bank_point_label", "bank_point_weight", "bank_point_hint", "bank_point_evidence",
    "bank_point_concepts",
    "history_pick",
)


def keep_widget_values() -> None:
    for key in KEPT_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def bank_fingerprint(root: Path) -> str:
    """Changes whenever a bank file is added, removed or rewritten (atomic saves change the inode)."""
    digest = hashlib.sha1()
    for folder in ("questions", "rubric"):
        directory = root / folder
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith("."):
                info = entry.stat()
                digest.update(f"{folder}/{entry.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino};".encode())
    return digest.hexdigest()


@st.cache_resource(max_entries=4, show_spinner=False)
def _bank(root: str, fingerprint: str) -> Bank:
    return load_bank(root)


@st.cache_resource(max_entries=4, show_spinner="Preparing the scorer…")
def _scorer(root: str, fingerprint: str) -> Scorer:
    from scoring.scorer import Scorer

    return Scorer().fit(_bank(root, fingerprint))


def current_bank() -> Bank:
    root = bank_root()
    return _bank(str(root), bank_fingerprint(root))


def current_scorer() -> Scorer:
    root = bank_root()
    return _scorer(str(root), bank_fingerprint(root))


# ------------------------------------------------------------------ who is using the app
#
# Single-user mode (the default): the local user, no sign-in, every page.
# Multi-user mode (MAINS_MULTI_USER=1): the session token from signing in lives only in
# this browser session's server-side state (never in the URL or a cookie), and every run
# checks it against the database again, so an ended or expired session is noticed at once.

ACCOUNT_TOKEN = "account_token"
ACCOUNT_NOTICE = "account_notice"  # shown once on the sign-in page (signed out, session ended)
ACCOUNT_WELCOME = "account_welcome"  # after a sign-up at a link to another page: shown once there, by the router
MENTOR = storage.accounts.MENTOR


def multi_user_mode() -> bool:
    return storage.multi_user_enabled()


def signed_in_account() -> storage.UserRecord | None:
    """Multi-user mode: the account this browser session is signed in as (checked in the database)."""
    token = st.session_state.get(ACCOUNT_TOKEN)
    if not token:
        return None
    account = storage.resolve_session(token)
    if account is None:
        forget_sign_in(notice="Your session has ended. Sign in again: your unfinished answers are saved.")
    return account


def session_in_use() -> bool:
    """True unless multi-user mode's session has ended; checking it counts as use (it moves the idle deadline).

    For parts of a page that rerun on their own (the answer box's fragment), which the
    router's check on every full run does not see: typing is use, and a session that
    ended while the box was open stores nothing more.
    """
    return not multi_user_mode() or signed_in_account() is not None


def sign_in(account: storage.UserRecord) -> None:
    """Start a session for ``account`` in this browser session; nothing of an earlier user's screen is kept."""
    token = storage.start_session(account.id)
    st.session_state.clear()
    st.session_state[ACCOUNT_TOKEN] = token


#: set by Sign out, read once by the router
SIGNED_OUT_HERE = "account_signed_out_here"
#: the address a signed-out browser is at (the router keeps it), where signing in continues to
SIGNED_OUT_PATH = "account_signed_out_path"
#: ... and that address's query (``?attempt=5`` at "/"), which Practice is opened with after signing in there
SIGNED_OUT_QUERY = "account_signed_out_query"


def forget_sign_in(*, notice: str | None = None) -> None:
    """End this browser session's sign-in and drop everything on screen (page state, filters, answers)."""
    storage.end_session(st.session_state.get(ACCOUNT_TOKEN))
    st.session_state.clear()
    if notice:
        st.session_state[ACCOUNT_NOTICE] = notice


def sign_out() -> None:
    forget_sign_in(notice="You have signed out.")
    st.session_state[SIGNED_OUT_HERE] = True  # the router then opens Sign in at its own address


def current_user_id() -> int:
    """The signed-in user; in single-user mode, the local user.

    In multi-user mode a page drawn without a valid session shows nothing and stops
    (the router shows only the sign-in page then; this is the second lock).
    """
    if multi_user_mode():
        account = signed_in_account()
        if account is None:
            st.warning("Sign in to see this page.", icon=":material/lock:")
            st.stop()
        return account.id
    url = storage.database_url()
    cached = st.session_state.get("app_user")
    if not cached or cached[0] != url:
        cached = (url, storage.default_user_id())
        st.session_state["app_user"] = cached
    return cached[1]


def current_role() -> str | None:
    """``mentor`` or ``aspirant``; None if nobody is signed in.  The local user of single-user mode is a mentor."""
    if not multi_user_mode():
        return MENTOR
    account = signed_in_account()
    return account.role if account else None


def require_mentor() -> None:
    """First line of a mentor's page: anyone else sees "Mentors only" and the page stops there."""
    if current_role() != MENTOR:
        st.error("Mentors only. This page changes the question bank or the scorer; "
                 "ask a mentor if something there needs to change.", icon=":material/lock:")
        st.stop()


def page_style() -> None:
    st.html(CSS)
