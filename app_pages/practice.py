"""Practice: pick a question, write against the clock, submit, read the feedback."""

from __future__ import annotations

import logging
import random

import streamlit as st

import storage
from app_pages.answer_editor import answer_box
from app_pages.calibration_state import calibrate_feedback
from app_pages.clock import clock_time
from app_pages.context import (current_bank, current_scorer, current_user_id, page_style, session_in_use,
                               warm_scorer_in_background)
from app_pages.countdown import countdown
from app_pages.feedback_view import render_attempt
from app_pages.focus import focus_heading_if_asked, focus_heading_on_next_run
from app_pages.markup import escape_markdown, text_html
from scoring.feedback import Flag
from scoring.models import Item
from scoring.components import marked_word_limit
from scoring.text import word_count
from storage.timing import format_clock, is_time_up, overtime_seconds, remaining_seconds, unix_millis, utcnow

_LOG = logging.getLogger(__name__)

ANY = "Any"
NOT_ATTEMPTED = "Not attempted yet"
ATTEMPTED = "Attempted"

state = st.session_state
state.setdefault("practice_question_id", None)  # the question on screen
state.setdefault("practice_attempt_id", None)  # the attempt whose feedback is on screen

page_style()
bank = current_bank()
user_id = current_user_id()

# A refresh starts a new session: the URL says what was on screen.
if "practice_from_url" not in state:
    state["practice_from_url"] = True
    wanted_attempt = st.query_params.get("attempt")
    wanted_question = st.query_params.get("q")
    if wanted_attempt and wanted_attempt.isdigit() and storage.get_attempt(user_id, int(wanted_attempt)):
        state["practice_attempt_id"] = int(wanted_attempt)
    elif wanted_question in bank:
        state["practice_question_id"] = wanted_question
    elif wanted_attempt:
        state["practice_url_notice"] = "That attempt is not in your history. Your attempts are on the History page."
    elif wanted_question:
        state["practice_url_notice"] = (f"The question “{escape_markdown(wanted_question[:80])}” is not in the bank "
                                        "(it may have been removed). Choose one below.")


def show_url(question_id: str | None = None, attempt_id: int | None = None) -> None:
    """Keep the URL in step with the screen, so a refresh comes back to it."""
    params = {}
    if attempt_id is not None:
        params["attempt"] = str(attempt_id)
    elif question_id is not None:
        params["q"] = question_id
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def question_label(item: Item) -> str:
    q = item.question
    text = " ".join(q.text.split())
    # the question's words first: a phone shows only the start of an option
    return f"{text[:110]}{'…' if len(text) > 110 else ''} — {q.paper} · {q.marks} marks · {q.directive}"


def question_card(item: Item) -> None:
    q = item.question
    with st.container(border=True, key="practice_question_card"):
        st.caption(f"{escape_markdown(q.paper)} · {escape_markdown(q.topic)}")
        st.html(text_html(q.text, css_class="mains-question"))
        cols = st.columns(3)
        cols[0].markdown(f"**{q.marks} marks**")
        cols[1].markdown(f"**{q.word_limit} words**")
        cols[2].markdown(f"**{q.time_limit_minutes} minutes**")
        st.markdown(f"*{escape_markdown(q.directive.capitalize())}*: {escape_markdown(q.directive_meaning)}")


# ------------------------------------------------------------------ choose


def pick_question(question_id: str) -> None:
    state["practice_question_id"] = question_id
    state["practice_attempt_id"] = None


def on_pick() -> None:
    if state.get("practice_pick"):
        pick_question(state["practice_pick"])


def on_surprise(candidates: list[str]) -> None:
    if candidates:
        choice = random.choice(candidates)
        state["practice_pick"] = choice
        pick_question(choice)


def matching_items(items: list[Item], attempted: set[str]) -> list[Item]:
    papers = state.get("practice_filter_paper") or []
    topics = state.get("practice_filter_topic") or []
    marks = state.get("practice_filter_marks") or []
    directives = state.get("practice_filter_directive") or []
    done = state.get("practice_filter_attempted", ANY)
    words = (state.get("practice_search") or "").lower().split()
    out = []
    for item in items:
        q = item.question
        haystack = f"{q.text} {q.topic} {' '.join(q.tags)}".lower()
        if papers and q.paper not in papers or topics and q.topic not in topics:
            continue
        if marks and q.marks not in marks or directives and q.directive not in directives:
            continue
        if done == NOT_ATTEMPTED and q.id in attempted or done == ATTEMPTED and q.id not in attempted:
            continue
        if words and not all(w in haystack for w in words):
            continue
        out.append(item)
    return out


def show_unfinished() -> None:
    drafts = storage.list_open_drafts(user_id)
    if not drafts:
        return
    st.subheader("Unfinished answers", anchor=False)
    for draft in drafts:
        item = bank.items.get(draft.question_id)
        left, right = st.columns([5, 1])
        now = utcnow()
        when = time_left(draft.deadline, now) or "time is up"
        words = word_count(draft.text)
        with left:
            st.markdown(f"{escape_markdown(question_label(item) if item else draft.question_id + ' (no longer in the bank)')}"
                        f"  \n{words} words so far · {when}")
        if item is not None:
            right.button("Resume", key=f"practice_resume_{draft.id}", on_click=pick_question,
                         args=(draft.question_id,))
            continue
        # the question was deleted from the bank: the text can still be copied before discarding
        with left.expander("Your text", key=f"practice_orphan_text_{draft.id}"):
            st.code(draft.text or " ", language=None, wrap_lines=True)
        if right.button("Discard", key=f"practice_discard_orphan_{draft.id}"):
            storage.discard_draft(user_id, draft.id)
            st.rerun()


def show_picker() -> None:
    st.title("Practice", anchor=False)
    if notice := state.pop("practice_url_notice", None):  # a link to an attempt or question that is not there
        st.info(notice, icon=":material/link_off:")
    if bank.errors:
        st.caption(f"{len(bank.errors)} problem(s) in the question bank files; see the Question bank page.")
    if not bank.items:
        st.info("The question bank is empty. Add a question on the Question bank page.")
        return
    if notice := state.pop("practice_left_notice", None):
        st.info(notice, icon=":material/timer:")
    show_unfinished()

    items = sorted(bank.items.values(), key=lambda i: (i.question.paper, i.question.topic, i.id))
    attempted = storage.attempted_question_ids(user_id)
    st.subheader("Choose a question", anchor=False)
    choices = {
        "practice_filter_paper": sorted({i.question.paper for i in items}),
        "practice_filter_topic": sorted({i.question.topic for i in items}),
        "practice_filter_marks": sorted({i.question.marks for i in items}),
        "practice_filter_directive": sorted({i.question.directive for i in items}),
    }
    for key, options in choices.items():  # a kept filter value may have left the bank since
        if key in state:
            state[key] = [v for v in state[key] if v in options]
    # four filters a row: at five, two chosen marks ("10", "15") no longer fitted their box at 1280 px
    cols = st.columns(4)
    cols[0].multiselect("Paper", choices["practice_filter_paper"], key="practice_filter_paper")
    cols[1].multiselect("Topic", choices["practice_filter_topic"], key="practice_filter_topic")
    cols[2].multiselect("Marks", choices["practice_filter_marks"], key="practice_filter_marks")
    cols[3].multiselect("Directive", choices["practice_filter_directive"], key="practice_filter_directive")
    search, done = st.columns([3, 1])
    search.text_input("Search the questions", key="practice_search", placeholder="e.g. critical minerals")
    done.selectbox("Attempted", [ANY, NOT_ATTEMPTED, ATTEMPTED], key="practice_filter_attempted")

    matches = matching_items(items, attempted)
    ids = [i.id for i in matches]
    labels = {i.id: question_label(i) for i in matches}
    if state.get("practice_pick") not in ids:
        state["practice_pick"] = state["practice_question_id"] if state["practice_question_id"] in ids else None
    if state["practice_pick"] is None and len(ids) == 1:  # a search that finds one question shows it
        state["practice_pick"] = ids[0]
        pick_question(ids[0])
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.selectbox("Question", ids, format_func=labels.get, key="practice_pick", on_change=on_pick,
                   placeholder=f"Choose one of {len(ids)} matching questions" if len(ids) != 1
                   else "Choose the one matching question")
    right.button("Surprise me", key="practice_surprise", on_click=on_surprise, args=(ids,),
                 disabled=not ids, width="stretch")
    if not ids:
        st.info("No question matches these filters.")

    chosen = bank.items.get(state["practice_question_id"] or "")
    if chosen is None or chosen.id not in ids:
        return
    question_card(chosen)
    if st.button("Start", key="practice_start", type="primary"):
        storage.start_or_resume_draft(user_id, chosen.id, chosen.version, chosen.question.time_limit_minutes)
        show_url(question_id=chosen.id)
        st.rerun()


# ------------------------------------------------------------------ write


#: answers the scorer cannot read (far over the limit, not in English): Submit refuses them, the text stays to edit
UNREAD = frozenset({"too_long_to_score", "not_english"})


class NotMarked(Exception):
    """Submit refused with the scorer's message.  No attempt is stored; the draft stays open."""


def submit(item: Item, draft: storage.DraftRecord, text: str) -> None:
    now = utcnow()
    storage.save_draft_text(user_id, draft.id, text, now=now)  # the text is safe before anything else happens
    feedback = current_scorer().score(item, text)
    if feedback.flag_codes() & UNREAD:
        raise NotMarked(feedback.message)
    feedback = calibrate_feedback(feedback, item, text)  # the mentor's calibration, when one is configured
    over = overtime_seconds(draft.deadline, now)
    if over > 0:
        feedback = feedback.with_flag(Flag(
            code="overtime",
            message=f"Submitted {format_clock(over)} after the {item.question.time_limit_minutes}-minute limit.",
        ))
    attempt = storage.submit_attempt(user_id, draft.id, text, feedback, question=item.question, now=now)
    state["practice_attempt_id"] = attempt.id
    focus_heading_on_next_run("feedback")  # the Submit button goes with the screen
    show_url(attempt_id=attempt.id)


def time_left(deadline, now) -> str:
    """ "07:00 left", or "" once the time is up (the Unfinished list and Leave's notice say it their way)."""
    return "" if is_time_up(deadline, now) else f"{format_clock(remaining_seconds(deadline, now))} left"


def left_notice(deadline, words: int) -> str:
    """What Leave says on the picker: the draft is kept, and its clock did not stop."""
    left = time_left(deadline, utcnow())
    clock = f"the clock keeps running: {left}" if left else "its time is up, but you can still finish and submit it"
    return f"Draft kept ({words} words); {clock}. Resume it under Unfinished answers."


@st.fragment
def writing(item: Item, draft_id: int) -> None:
    """The answer box, autosave, and Submit. Typing reruns only this fragment."""
    if not session_in_use():  # signed out or idle too long: the whole app shows Sign in (this browser keeps the text)
        st.rerun()
    draft = storage.get_draft(user_id, draft_id)
    if draft is None:  # submitted or discarded in another tab
        st.rerun()
    text = answer_box(
        key=f"practice_answer_{draft.id}",
        draft_id=draft.id,
        text=draft.text,
        word_limit=item.question.word_limit,
        marked_words=marked_word_limit(item.question.word_limit),
        saved_at_ms=unix_millis(draft.updated_at),
        placeholder="Introduction, body points, conclusion and a way forward…",
    )
    if text != draft.text:
        storage.save_draft_text(user_id, draft.id, text)
        saved_at = utcnow()
    else:
        saved_at = draft.updated_at
    words = word_count(text)
    with st.container(key="practice_save_status"):
        st.caption(f"Autosaved {clock_time(saved_at)} · {words} / {item.question.word_limit} words")
    notice = None
    left, middle, right = st.columns([1, 2, 2])
    if left.button("Submit", key="practice_submit", type="primary"):
        if not text.strip():
            notice = "Your answer is empty. Write it in the box, then submit."
        else:
            try:
                with st.spinner("Marking…"):
                    submit(item, draft, text)
            except storage.DraftNotFound:
                st.rerun()  # already submitted (a double click): show what was stored
            except NotMarked as exc:
                notice = str(exc)
            except Exception as exc:  # noqa: BLE001 - the draft is saved; say so rather than lose trust
                _LOG.exception("marking failed for draft %s", draft.id)
                notice = f"Marking failed ({type(exc).__name__}). Your answer is saved; try Submit again."
            else:
                st.rerun()
    if middle.button("Leave (keep the draft)", key="practice_leave",
                     help="Your words stay saved and the clock keeps running. Resume from Unfinished answers."):
        state["practice_left_notice"] = left_notice(draft.deadline, words)
        state["practice_question_id"] = None
        show_url()
        st.rerun()
    with right.popover("Discard this answer", key="practice_discard_menu"):
        st.write("This deletes what you have written for this question.")
        if st.button("Yes, discard it", key="practice_discard_confirm"):
            storage.discard_draft(user_id, draft.id)
            state["practice_question_id"] = None
            show_url()
            st.rerun()
    if notice:
        st.warning(notice)


def show_writing(item: Item, draft: storage.DraftRecord) -> None:
    question_card(item)
    with st.container(key="practice_clock"):
        # ticks in the browser from the server's reading; the server does no per-second work
        countdown(key=f"practice_countdown_{draft.id}", deadline=draft.deadline,
                  minutes=item.question.time_limit_minutes)
    writing(item, draft.id)


# ------------------------------------------------------------------ feedback


def show_feedback(attempt_id: int) -> None:
    attempt = storage.get_attempt(user_id, attempt_id)
    if attempt is None:
        state["practice_attempt_id"] = None
        st.rerun()
    item = bank.items.get(attempt.question_id)
    st.title("Feedback", anchor=False)
    if item is not None:
        st.html(text_html(item.question.text, css_class="mains-question"))
    render_attempt(attempt, item, key="practice_feedback")
    left, right = st.columns(2)
    if left.button("Practise another question", key="practice_another"):
        state["practice_attempt_id"] = None
        state["practice_question_id"] = None
        show_url()
        focus_heading_on_next_run("picker")
        st.rerun()
    if item is not None and right.button("Try this question again", key="practice_retry"):
        state["practice_attempt_id"] = None
        state["practice_question_id"] = item.id
        show_url(question_id=item.id)
        focus_heading_on_next_run("picker", target=".st-key-practice_start button")  # the one next step
        st.rerun()


# ------------------------------------------------------------------ screen

if state["practice_attempt_id"] is not None:
    show_feedback(state["practice_attempt_id"])
else:
    current = bank.items.get(state["practice_question_id"] or "")
    open_draft = storage.get_open_draft(user_id, current.id) if current else None
    if current is not None and open_draft is not None:
        show_url(question_id=current.id)
        show_writing(current, open_draft)
    else:
        show_url(question_id=current.id if current else None)
        show_picker()
focus_heading_if_asked(key="practice_focus_heading")

warm_scorer_in_background()  # after the screen is drawn: Submit will find scikit-learn loaded
