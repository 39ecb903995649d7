"""Progress: every attempt in a table, marks over time, weakest areas, paper and topic averages."""

from __future__ import annotations

from datetime import tzinfo

import altair as alt
import pandas as pd
import streamlit as st

import storage
from app_pages.clock import date_time, viewer_zone, zone_title
from app_pages.context import current_bank, current_user_id, page_style
from app_pages.markup import format_marks
from app_pages.tables import narrow_css, wide_or_compact, wide_width
from scoring.bank import Bank
from storage.progress import attempts_table, averages_by, csv_bytes, filter_attempts, weakest_areas
from storage.records import AttemptRecord

#: Tick labels that name only what changes between ticks: the day at midnight, the clock
#: within a day, the seconds within a minute (one static format repeated "26 Nov 15:17"
#: for every tick when attempts were seconds apart).
TIME_LABELS = {
    "year": "%Y", "quarter": "%b %Y", "month": "%b %Y", "week": "%d %b", "date": "%d %b",
    "hours": "%H:%M", "minutes": "%H:%M", "seconds": "%H:%M:%S", "milliseconds": "%H:%M:%S.%L",
}

#: The "All attempts" table: a readable title for every column, and the question widest.  Pixel
#: widths add up to 815, inside the 818 px the table has at a 1280 px screen with the sidebar open,
#: so no column hides behind a sideways scroll there; a wider screen stretches them all alike.
#: The dates are on the viewer's clock, and the page titles the column with its zone ("Date (IST)").
ALL_ATTEMPTS_COLUMNS = {
    "date": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD HH:mm", width=125),
    "question": st.column_config.TextColumn("Question", width=255),
    "paper": st.column_config.TextColumn("Paper", width=50),
    "topic": st.column_config.TextColumn("Topic", width=90),
    "marks": st.column_config.NumberColumn("Marks", format="%.1f", width=55),
    "max_marks": st.column_config.NumberColumn("Out of", format="%d", width=55),
    "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.0f%%", width=75),
    "time": st.column_config.TextColumn("Time", width=55),
    "words": st.column_config.NumberColumn("Words", width=55),
}

#: The same table on a phone: when the wide one does not fit (a container query, ``narrow_css``), the
#: date, the question and the marks alone.  The date keeps its time ("26 Nov 15:17"): the question
#: is cut to its first words, and two attempts at one question on one day looked alike without it.
#: Widths add up to 320, inside the 326 px a table has on a 360 px phone (the narrowest in common
#: use); a wider container stretches them alike.
COMPACT_ATTEMPTS_COLUMNS = {
    "date": st.column_config.DatetimeColumn("Date", format="D MMM HH:mm", width=100),
    "question": st.column_config.TextColumn("Question", width=150),
    "marks_text": st.column_config.TextColumn("Marks", width=70),
}

#: The "Weakest areas" table, wide (its widths add up to 795, inside the 818 px of the attempts
#: table) and on a phone (the area and how often it was missed: 320 px).
WEAKEST_COLUMNS = {
    "area": st.column_config.TextColumn("Area", width=300),
    "kind": st.column_config.TextColumn("Kind", help="a shared concept, or one question's point", width=60),
    "missed": st.column_config.NumberColumn("Missed", width=65),
    "partial": st.column_config.NumberColumn("Partly covered", width=110),
    "seen": st.column_config.NumberColumn("Asked", help="answers in which it was a rubric point", width=55),
    "miss_rate": st.column_config.ProgressColumn("Missed %", min_value=0, max_value=100, format="%.0f%%", width=120),
    "questions": st.column_config.NumberColumn("Questions", width=85),
}
COMPACT_WEAKEST_COLUMNS = {
    "area": st.column_config.TextColumn("Area", width=230),
    "miss_rate": {**WEAKEST_COLUMNS["miss_rate"], "width": 90},
}

#: Each wide table and its phone version sit in one keyed container that is a CSS query
#: container: below the wide table's own width (its columns and the grid's border, in px) the
#: compact one shows instead, so neither scrolls sideways.
WIDE_TABLE_WIDTHS = {"progress_attempts": wide_width(ALL_ATTEMPTS_COLUMNS), "progress_weakest": wide_width(WEAKEST_COLUMNS)}


#: The "By paper" and "By topic" tables: the paper or topic, attempts and the average as a share
#: of the maximum (comparable across 10- and 15-mark questions, unlike average marks).  Widths add
#: up to 320, inside the 326 px a table has on a 360 px phone, each wide enough for its whole title;
#: the topic gets the most, so that two topics that begin alike can be told apart.
AVERAGE_COLUMNS = {
    "attempts": st.column_config.NumberColumn("Attempts", width=72),
    "average_percent": st.column_config.ProgressColumn("Average", min_value=0, max_value=100, format="%.0f%%",
                                                       width=78, help="Average marks as % of the maximum"),
}


#: Pixels kept clear at each end of the time axis, so the first and last attempts' points sit
#: inside the plot, not half cut off on its left and right edges; the same at 0% and 100%.
TIME_PADDING = 16


def time_scale(dates) -> alt.Scale:
    """The dates' own span; one day either side of a single moment (else the axis ticks in milliseconds).

    Either way ``TIME_PADDING`` px at both ends keep the end points off the plot's edges.  The
    scale is ``utc`` because the dates are ``wall_clock`` times: drawn as given, whatever the
    time zone of the browser (or of the machine that renders a saved chart).
    """
    first, last = dates.min(), dates.max()
    if first == last:
        return alt.Scale(type="utc", padding=TIME_PADDING,
                         domain=[(first - pd.Timedelta(days=1)).isoformat(), (last + pd.Timedelta(days=1)).isoformat()])
    return alt.Scale(type="utc", padding=TIME_PADDING)


def wall_clock(dates: pd.Series) -> pd.Series:
    """Aware dates as the clock on their zone reads them, written as UTC for a ``utc`` time scale.

    04:21 IST becomes 04:21 UTC: the chart's ticks and labels then show 04:21, the time in the
    table and the History page, and its title names the zone (IST) they are in.
    A chart left to the browser's zone would agree only when the server knew that zone too.
    """
    return dates.dt.tz_localize(None).dt.tz_localize("UTC")


def invite_to_practise() -> None:
    """The whole page before the first answer."""
    st.info("No attempts yet. Your marks, time and weakest areas appear here after your first answer.")
    st.page_link("app_pages/practice.py", label="Go to Practice", icon="✍️")


def chosen_attempts(table: pd.DataFrame) -> pd.DataFrame:
    """The filters (paper, topic, words in the question) and the rows of ``table`` they leave."""
    cols = st.columns(3)
    papers = cols[0].multiselect("Paper", sorted(table["paper"].unique()), key="progress_filter_paper")
    topics = cols[1].multiselect("Topic", sorted(table["topic"].unique()), key="progress_filter_topic")
    search = cols[2].text_input("Question contains", key="progress_filter_search")
    return filter_attempts(table, papers=papers, topics=topics, question_contains=search)


def show_summary(shown: pd.DataFrame) -> None:
    """How many attempts, their average and best marks."""
    summary = st.columns(3)
    summary[0].metric("Attempts", len(shown))
    summary[1].metric("Average", f"{shown['percent'].mean():.0f}%" if len(shown) else "–")
    summary[2].metric("Best", f"{shown['percent'].max():.0f}%" if len(shown) else "–")


def show_all_attempts(shown: pd.DataFrame, zone_name: str) -> None:
    """Every attempt, newest first, and the same rows (with the full question) as a CSV download.

    The dates are on the viewer's clock; the wide table's title names the zone (the compact
    one's "26 Nov" has no room for it).  The CSV writes each date with its offset from UTC.
    """
    st.subheader("All attempts", anchor=False)
    newest_first = shown.sort_values("date", ascending=False)
    compact = newest_first.assign(marks_text=[format_marks(m, n) for m, n in zip(newest_first["marks"],
                                                                                newest_first["max_marks"])])
    wide = {**ALL_ATTEMPTS_COLUMNS, "date": {**ALL_ATTEMPTS_COLUMNS["date"], "label": f"Date ({zone_name})"}}
    wide_or_compact("progress_attempts", newest_first, wide, compact, COMPACT_ATTEMPTS_COLUMNS)
    st.download_button("Download attempts as CSV", data=csv_bytes(shown), file_name="attempts.csv",
                       mime="text/csv", key="progress_csv", on_click="ignore")


def show_marks_over_time(shown: pd.DataFrame, zone: tzinfo, zone_name: str) -> None:
    """Marks (as % of the maximum) against the time of each attempt, on the viewer's clock.

    A point's tooltip says when, as the History page does ("27 Nov 2026, 04:45 IST"), written
    here: Vega's own ``formatType="utc"`` showed "NaN" for these dates.
    """
    st.subheader("Marks over time", anchor=False)
    on_clock = shown.assign(date=wall_clock(shown["date"]),
                            submitted=[date_time(moment, zone) for moment in shown["date"]])
    title = f"Submitted ({zone_name})"
    line = (
        alt.Chart(on_clock)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title=title, scale=time_scale(on_clock["date"]),
                    axis=alt.Axis(format=TIME_LABELS, labelOverlap=True)),
            y=alt.Y("percent:Q", title="Marks (% of maximum)", scale=alt.Scale(domain=[0, 100], padding=TIME_PADDING, nice=False)),
            tooltip=[alt.Tooltip("submitted:N", title="Submitted"),
                     "question", "marks", "max_marks", "percent"],
        )
        .properties(height=260)
    )
    st.altair_chart(line, width="stretch", key="progress_over_time")


def show_weakest_areas(attempts: list[AttemptRecord], bank: Bank) -> None:
    """The rubric concepts and points missed most surely, as a bar chart and a table."""
    st.subheader("Weakest areas", anchor=False)
    st.caption("Rubric concepts and points you miss most often (a partly covered point counts half). "
               "Steady misses come first: a point missed 3 times in 5 ranks above one missed in its only answer.")
    weak = weakest_areas(attempts, {c.id: c.name for c in bank.concepts.values()})
    if weak.empty:
        st.success("No missed rubric points in these attempts.")
        return
    chart = (
        alt.Chart(weak)
        .mark_bar(color="#c62828")
        .encode(
            x=alt.X("miss_rate:Q", title="Missed", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("area:N", sort=list(weak["area"]), title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
            tooltip=["area", "kind", "missed", "partial", "seen", "questions"],
        )
        .properties(height=alt.Step(32))  # 32 px a bar; a number would be the whole chart, axis included
    )
    st.altair_chart(chart, width="stretch", key="progress_weakest_chart")
    table = weak.assign(miss_rate=weak["miss_rate"] * 100)
    wide_or_compact("progress_weakest", table, WEAKEST_COLUMNS, table, COMPACT_WEAKEST_COLUMNS)


def show_averages(shown: pd.DataFrame) -> None:
    """Attempts and average marks per paper and per topic, side by side (one above the other on a phone)."""
    for column, where in zip(("paper", "topic"), st.columns(2)):
        with where:
            st.subheader(f"By {column}", anchor=False)
            st.dataframe(averages_by(shown, column)[[column, *AVERAGE_COLUMNS]], hide_index=True,
                         key=f"progress_by_{column}",
                         column_config={column: st.column_config.TextColumn(column.title(), width=170),
                                        **AVERAGE_COLUMNS})


page_style()
st.html(narrow_css(WIDE_TABLE_WIDTHS))
bank = current_bank()
st.title("Progress", anchor=False)

attempts = storage.list_attempts(current_user_id(), newest_first=False)
if not attempts:
    invite_to_practise()
    st.stop()

zone = viewer_zone()
table = attempts_table(attempts, {i.id: i.question for i in bank.items.values()}, zone)
shown = chosen_attempts(table)
show_summary(shown)
if shown.empty:
    st.info("No attempts match these filters. Clear a filter or change the search to see them.")
else:
    zone_name = zone_title(shown["date"], zone)  # "IST"; "CET/CEST" when the rows span a change
    show_all_attempts(shown, zone_name)
    show_marks_over_time(shown, zone, zone_name)
    shown_ids = set(shown["attempt"])
    show_weakest_areas([a for a in attempts if a.id in shown_ids], bank)
    show_averages(shown)
