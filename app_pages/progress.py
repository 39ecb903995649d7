"""Progress: every attempt in a table, marks over time, weakest areas, paper and topic averages."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import storage
from app_pages.context import current_bank, current_user_id, page_style
from storage.progress import attempts_table, averages_by, csv_bytes, weakest_areas


def time_scale(dates) -> alt.Scale:
    """The dates' own span; one day either side of a single moment (else the axis ticks in milliseconds)."""
    first, last = dates.min(), dates.max()
    if first == last:
        return alt.Scale(domain=[(first - pd.Timedelta(days=1)).isoformat(), (last + pd.Timedelta(days=1)).isoformat()])
    return alt.Scale()


AVERAGE_COLUMNS = {
    "attempts": st.column_config.NumberColumn("Attempts"),
    "average_percent": st.column_config.ProgressColumn("Average %", min_value=0, max_value=100, format="%.0f%%"),
    "average_marks": st.column_config.NumberColumn("Average marks", format="%.1f"),
}

page_style()
bank = current_bank()
user_id = current_user_id()
st.title("Progress")

attempts = storage.list_attempts(user_id, newest_first=False)
if not attempts:
    st.info("No attempts yet. Your marks, time and weakest areas appear here after your first answer.")
    st.page_link("app_pages/practice.py", label="Go to Practice", icon="✍️")
    st.stop()

table = attempts_table(attempts, {i.id: i.question for i in bank.items.values()})

cols = st.columns(3)
papers = cols[0].multiselect("Paper", sorted(table["paper"].unique()), key="progress_filter_paper")
topics = cols[1].multiselect("Topic", sorted(table["topic"].unique()), key="progress_filter_topic")
search = cols[2].text_input("Question contains", key="progress_filter_search")

shown = table
if papers:
    shown = shown[shown["paper"].isin(papers)]
if topics:
    shown = shown[shown["topic"].isin(topics)]
if search.strip():
    shown = shown[shown["question"].str.contains(search.strip(), case=False, regex=False)]
shown_ids = set(shown["attempt"])
shown_attempts = [a for a in attempts if a.id in shown_ids]

summary = st.columns(3)
summary[0].metric("Attempts", len(shown))
summary[1].metric("Average", f"{shown['percent'].mean():.0f}%" if len(shown) else "–")
summary[2].metric("Best", f"{shown['percent'].max():.0f}%" if len(shown) else "–")

st.subheader("All attempts")
st.dataframe(
    shown[["date", "question", "paper", "topic", "marks", "max_marks", "percent", "time", "words"]]
    .sort_values("date", ascending=False),
    hide_index=True,
    key="progress_table",
    column_config={
        "date": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD HH:mm"),
        "question": st.column_config.TextColumn("Question", width="medium"),
        "marks": st.column_config.NumberColumn("Marks", format="%.1f"),
        "max_marks": st.column_config.NumberColumn("Out of", format="%d"),
        "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.0f%%"),
        "time": st.column_config.TextColumn("Time"),
        "words": st.column_config.NumberColumn("Words"),
    },
)
st.download_button("Download attempts as CSV", data=csv_bytes(shown), file_name="attempts.csv",
                   mime="text/csv", key="progress_csv", on_click="ignore")

if len(shown):
    st.subheader("Marks over time")
    line = (
        alt.Chart(shown)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Submitted (UTC)", scale=time_scale(shown["date"]),
                    axis=alt.Axis(format="%d %b %H:%M", labelOverlap=True)),
            y=alt.Y("percent:Q", title="Marks (% of maximum)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d %H:%M"), "question", "marks", "max_marks", "percent"],
        )
        .properties(height=260)
    )
    st.altair_chart(line, width="stretch", key="progress_over_time")

st.subheader("Weakest areas")
st.caption("Rubric concepts and points you miss most often (a partly covered point counts half). "
           "Steady misses come first: a point missed 3 times in 5 ranks above one missed in its only answer.")
weak = weakest_areas(shown_attempts, {c.id: c.name for c in bank.concepts.values()})
if weak.empty:
    st.success("No missed rubric points in these attempts.")
else:
    chart = (
        alt.Chart(weak)
        .mark_bar(color="#c62828")
        .encode(
            x=alt.X("miss_rate:Q", title="Missed (share of times asked)", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("area:N", sort=list(weak["area"]), title=None, axis=alt.Axis(labelOverlap=False, labelLimit=320)),
            tooltip=["area", "kind", "missed", "partial", "seen", "questions"],
        )
        .properties(height=32 * len(weak))
    )
    st.altair_chart(chart, width="stretch", key="progress_weakest_chart")
    st.dataframe(weak.assign(miss_rate=weak["miss_rate"] * 100), hide_index=True, key="progress_weakest_table",
                 column_config={
                     "area": st.column_config.TextColumn("Area", width="large"),
                     "kind": st.column_config.TextColumn("Kind", help="a shared concept, or one question's point"),
                     "missed": st.column_config.NumberColumn("Missed"),
                     "partial": st.column_config.NumberColumn("Partly covered"),
                     "seen": st.column_config.NumberColumn("Asked", help="answers in which it was a rubric point"),
                     "miss_rate": st.column_config.ProgressColumn("Missed %", min_value=0, max_value=100,
                                                                  format="%.0f%%"),
                     "questions": st.column_config.NumberColumn("Questions"),
                 })

left, right = st.columns(2)
with left:
    st.subheader("By paper")
    st.dataframe(averages_by(shown, "paper"), hide_index=True, key="progress_by_paper",
                 column_config={"paper": st.column_config.TextColumn("Paper"), **AVERAGE_COLUMNS})
with right:
    st.subheader("By topic")
    st.dataframe(averages_by(shown, "topic"), hide_index=True, key="progress_by_topic",
                 column_config={"topic": st.column_config.TextColumn("Topic"), **AVERAGE_COLUMNS})
