"""The feedback screen for one stored attempt, rendered only from what was stored.

Used right after Submit (Practice) and when reopening an attempt (History), so the
two always look the same.  All user text is escaped before it is shown.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import streamlit as st

from app_pages.clock import date_time
from app_pages.markup import (
    after_marking_note,
    calibration_note,
    component_line,
    escape_markdown,
    feedback_markdown,
    format_marks,
    marked_answer_html,
    marked_words,
    structure_line,
    structure_notes,
    text_html,
    unmarked_caption,
)
from scoring.feedback import Feedback
from scoring.models import Item, Question
from storage.records import AttemptRecord
from storage.timing import format_clock

if TYPE_CHECKING:  # altair is imported on first feedback, not on a cold start
    import altair as alt

#: how each status shows on screen (Streamlit Markdown: coloured text and a bundled icon)
STATUS_BADGE = {
    "covered": ":green[:material/check_circle: **Covered**]",
    "partial": ":orange[:material/timelapse: **Partly covered**]",
    "missed": ":red[:material/cancel: **Missed**]",
}


def component_chart(feedback: Feedback) -> "alt.Chart":
    """Marks earned against marks available, per component (content, structure, …)."""
    import altair as alt  # loaded on first feedback, not on a cold start
    import pandas as pd

    rows = []
    for c in feedback.components:
        available = round(c.weight * feedback.max_marks, 2)
        rows.append({"component": c.name, "part": "earned", "marks": round(c.marks, 2), "available": available})
        rows.append({"component": c.name, "part": "not earned", "marks": round(max(0.0, available - c.marks), 2),
                     "available": available})
    frame = pd.DataFrame(rows, columns=["component", "part", "marks", "available"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("component:N", sort=[c.name for c in feedback.components], title=None,
                    axis=alt.Axis(labelOverlap=False, labelLimit=160)),
            x=alt.X("sum(marks):Q", title="marks"),
            color=alt.Color("part:N", scale=alt.Scale(domain=["earned", "not earned"],
                                                      range=["#2e7d32", "#d9d9d9"]), legend=None),
            order=alt.Order("part:N", sort="ascending"),
            tooltip=["component", "part", "marks", "available"],
        )
        .properties(height=44 * max(1, len(feedback.components)))
    )


#: "What to do next" shows this many steps (the scorer orders them: points made too late, then the heaviest
#: missed points, then partial ones, directive, structure and length); the rest open on a click.
FIRST_STEPS = 5


def question_as_answered(attempt: AttemptRecord, item: Item | None) -> Question | None:
    """The question as the aspirant answered it (kept with the attempt), else the bank's (older attempts)."""
    return attempt.question or (item.question if item is not None else None)


def edited_or_deleted_note(attempt: AttemptRecord, item: Item | None) -> str:
    """Why the question shown may not be the bank's now: edited or deleted since the answer."""
    kept = attempt.question is not None
    if item is None:
        return ("This question has since been deleted from the bank; here it is as you answered it." if kept
                else "")
    if item.version == attempt.question_version:
        return ""
    return ("This question has been edited since; the question, its model answer and the feedback below are as "
            "they were when you answered." if kept
            else "This question has been edited since; the feedback below is as it was given.")


def render_attempt(attempt: AttemptRecord, item: Item | None, *, key: str) -> None:
    """Everything the aspirant learns from one attempt."""
    feedback = attempt.feedback
    question = question_as_answered(attempt, item)
    if note := edited_or_deleted_note(attempt, item):
        st.caption(note)

    with st.container(key=f"{key}_marks"):
        top = st.columns(3)
        top[0].metric("Marks", format_marks(feedback.marks, feedback.max_marks))
        if feedback.length:
            top[1].metric("Words", f"{feedback.length.words:,} / {feedback.length.limit:,}")
        top[2].metric("Time", f"{format_clock(attempt.time_taken_seconds)} / {format_clock(attempt.time_limit_seconds)}")
    if feedback.calibrated:
        st.caption(calibration_note(feedback))
    if attempt.overtime_seconds:
        marked = "kept and marked" if marked_words(feedback) is None else "kept"
        st.warning(f"Time was up: you wrote for {format_clock(attempt.overtime_seconds)} past the limit. "
                   f"Your whole answer was {marked}.", icon=":material/alarm:")
    if feedback.message:
        st.warning(escape_markdown(feedback.message))

    for flag in feedback.flags:
        if flag.code == "overtime" or flag.message == feedback.message:
            continue
        st.warning(escape_markdown(flag.message))

    if feedback.components:
        if feedback.calibrated:
            st.caption("The scorer's marks by component, before calibration:")
        st.altair_chart(component_chart(feedback), width="stretch", key=f"{key}_components")

    st.subheader("Rubric points", anchor=False)
    if "off_topic" in feedback.flag_codes() and any(p.status != "missed" for p in feedback.points):
        # an answer on the Green Revolution "covered" a point on AI self-reliance with "self-sufficiency"
        st.caption("This answer is flagged off topic: a point marked below may share only a word with the "
                   "answer, not the point itself. Read each quote.")
    with st.container(key=f"{key}_points"):
        for point in feedback.points:
            line = f"{STATUS_BADGE[point.status]}: {escape_markdown(point.label)}"
            st.markdown(line)
            if point.evidence and point.status != "missed":
                quote = _escape(feedback.evidence_quote(point))
                st.html(f'<div class="mains-text" data-testid="evidence-{_attr(point.id)}" '
                        f'style="margin:-0.5rem 0 0.5rem 1.8rem; opacity:0.85">“{quote}”</div>')
            if point.after_marking:
                st.caption(after_marking_note(point, feedback))
            elif point.hint and point.status != "covered":
                st.caption(f"Hint: {escape_markdown(point.hint)}")

    left, right = st.columns(2)
    with left:
        st.subheader("Your answer", anchor=False)
        st.caption("Highlighted: the sentences that earned a rubric point." + unmarked_caption(feedback))
        st.html(f'<div class="mains-answer" data-testid="answer-highlighted">'
                f"{marked_answer_html(attempt.answer, feedback)}</div>")
    with right:
        st.subheader("Model answer", anchor=False)
        if question is not None:
            st.html(text_html(question.model_answer, css_class="mains-answer"))
        else:
            st.caption("This question is no longer in the bank.")

    if feedback.suggestions:
        st.subheader("What to do next", anchor=False)
        first, rest = feedback.suggestions[:FIRST_STEPS], feedback.suggestions[FIRST_STEPS:]
        st.markdown("\n".join(f"- {escape_markdown(suggestion)}" for suggestion in first))
        if rest:  # a weak answer had twelve: the heaviest first, the rest one click away
            with st.expander(f"{len(rest)} more step{'s' if len(rest) != 1 else ''}", key=f"{key}_more_steps"):
                st.markdown("\n".join(f"- {escape_markdown(suggestion)}" for suggestion in rest))

    notes_left, notes_right = st.columns(2)
    with notes_left:
        st.subheader("Structure", anchor=False)
        if feedback.structure:
            s = feedback.structure
            st.markdown(structure_line(s))
            for note in structure_notes(feedback):
                st.markdown(f"- {escape_markdown(note)}")
        else:
            st.caption("Not assessed for this answer.")
    with notes_right:
        st.subheader("Directive", anchor=False)
        if feedback.directive:
            d = feedback.directive
            st.markdown(f"**{escape_markdown(d.directive.capitalize())}**: {escape_markdown(d.asks)}")
            st.markdown(("✅ The answer does what the directive asks."
                         if d.fits else "❌ The answer does not yet do what the directive asks."))
            if d.found:
                st.markdown(f"Found: {escape_markdown(', '.join(d.found))}")
            if d.missing:
                st.markdown(f"Missing: {escape_markdown(', '.join(d.missing))}")
        else:
            st.caption("Not assessed for this answer.")

    details = "The scorer's marks by component (before calibration)" if feedback.calibrated else "Marks by component"
    with st.expander(details, expanded=False, key=f"{key}_component_details"):
        st.markdown("\n".join(f"- {component_line(c, feedback.max_marks)}" for c in feedback.components))

    st.download_button(
        "Download feedback (Markdown)",
        data=feedback_markdown(
            feedback,
            question_text=question.text if question else attempt.question_id,
            answer=attempt.answer,
            model_answer=question.model_answer if question else None,
            submitted=date_time(attempt.submitted_at, offset=True),  # "26 Nov 2026, 04:21 IST (UTC+05:30)"
            time_taken_seconds=attempt.time_taken_seconds,
            time_limit_seconds=attempt.time_limit_seconds,
            overtime_seconds=attempt.overtime_seconds,
        ),
        file_name=f"feedback-{attempt.question_id}-{attempt.id}.md",
        mime="text/markdown",
        key=f"{key}_download",
        on_click="ignore",
    )


def _escape(text: str) -> str:
    return html.escape(text)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)
