"""History: reopen any earlier attempt; it looks exactly as it did when submitted."""

from __future__ import annotations

import streamlit as st

import storage
from app_pages.clock import date_time, viewer_zone
from app_pages.context import current_bank, current_user_id, page_style
from app_pages.feedback_view import question_as_answered, render_attempt
from app_pages.markup import format_marks, shortened, text_html

state = st.session_state
state.setdefault("history_attempt_id", None)

page_style()
bank = current_bank()
user_id = current_user_id()
st.title("History", anchor=False)

attempts = storage.list_attempts(user_id)
if not attempts:
    st.info("No attempts yet. Write an answer on the Practice page and it will appear here.")
    st.page_link("app_pages/practice.py", label="Go to Practice", icon="✍️")
    st.stop()

by_id = {a.id: a for a in attempts}
wanted = st.query_params.get("attempt")
from_url = int(wanted) if wanted and wanted.isdigit() and int(wanted) in by_id else None
picked_here = state.get("history_pick") != state.get("history_shown")  # the selectbox changed since the last run
if from_url is not None and not picked_here:  # a link, a bookmark or the Back button names an attempt
    state["history_pick"] = from_url
elif wanted and from_url is None and not picked_here:
    st.info("The attempt in this link is not in your history; here is your newest.", icon=":material/link_off:")
    state["history_pick"] = attempts[0].id
if state.get("history_pick") not in by_id:
    state["history_pick"] = attempts[0].id


zone = viewer_zone()


def attempt_label(attempt_id: int) -> str:
    """The question first (a phone shows only the start of an option), then marks, length and the time
    on the viewer's clock ("26 Nov 2026, 04:21 IST")."""
    a = by_id[attempt_id]
    question = question_as_answered(a, bank.items.get(a.question_id))
    text = shortened(" ".join(question.text.split()), 80) if question else f"{a.question_id} (no longer in the bank)"
    return f"{text} · {format_marks(a.marks, a.max_marks)} · {a.words} words · {date_time(a.submitted_at, zone)}"


st.selectbox("Attempt", list(by_id), format_func=attempt_label, key="history_pick")
attempt = by_id[state["history_pick"]]
state["history_shown"] = attempt.id
if st.query_params.get("attempt") != str(attempt.id):
    st.query_params["attempt"] = str(attempt.id)
item = bank.items.get(attempt.question_id)
if (question := question_as_answered(attempt, item)) is not None:
    st.html(text_html(question.text, css_class="mains-question"))
render_attempt(attempt, item, key="history_feedback")
