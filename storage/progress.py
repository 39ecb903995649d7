"""Progress over many attempts: tables for the Progress page, computed from stored feedback.

Pure functions of ``AttemptRecord`` lists (and the bank's questions for names);
nothing is re-scored.  A question deleted from the bank still counts: under its text as it was answered, or
under its id for attempts recorded before attempts kept their question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timezone, tzinfo

import pandas as pd

from scoring.models import Question
from storage.records import AttemptRecord
from storage.timing import format_clock

ATTEMPT_COLUMNS = [
    "attempt", "date", "question_id", "question", "paper", "topic", "marks", "max_marks",
    "percent", "time", "time_seconds", "time_limit_seconds", "overtime_seconds", "words", "word_limit",
]


def attempts_table(attempts: Sequence[AttemptRecord], questions: Mapping[str, Question],
                   zone: tzinfo | None = None) -> pd.DataFrame:
    """One row per attempt: date, question (its full text), marks, time and words.

    The dates are aware, on ``zone``'s clock (the viewer's; UTC when not given): the same
    moments as stored, shown as the aspirant's own clock would.
    """
    rows = []
    for a in attempts:
        question = questions.get(a.question_id) or a.question  # the bank's now, else as answered (deleted since)
        feedback_limit = _word_limit(a)
        rows.append({
            "attempt": a.id,
            "date": a.submitted_at,
            "question_id": a.question_id,
            "question": question.text.strip() if question else f"{a.question_id} (no longer in the bank)",
            "paper": question.paper if question else "unknown",
            "topic": question.topic if question else "unknown",
            "marks": a.marks,
            "max_marks": a.max_marks,
            "percent": round(a.percent, 1),
            "time": format_clock(a.time_taken_seconds),
            "time_seconds": a.time_taken_seconds,
            "time_limit_seconds": a.time_limit_seconds,
            "overtime_seconds": a.overtime_seconds,
            "words": a.words,
            "word_limit": feedback_limit,
        })
    frame = pd.DataFrame(rows, columns=ATTEMPT_COLUMNS)
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"], utc=True).dt.tz_convert(zone or timezone.utc)
        frame = frame.sort_values(["date", "attempt"]).reset_index(drop=True)
    return frame


def filter_attempts(
    table: pd.DataFrame,
    *,
    papers: Sequence[str] = (),
    topics: Sequence[str] = (),
    question_contains: str = "",
) -> pd.DataFrame:
    """The rows of ``attempts_table`` in the chosen papers and topics whose question contains the words.

    No papers (or topics) chosen means all of them.  The words are searched in the whole
    question, ignoring case and how the text is spaced or broken into lines.

    >>> table = pd.DataFrame({"paper": ["GS2", "GS3"], "topic": ["Polity", "Economy"],
    ...                       "question": ["Discuss the role of the\\nGST Council.", "Examine growth."]})
    >>> list(filter_attempts(table, question_contains="gst   COUNCIL")["paper"])
    ['GS2']
    >>> list(filter_attempts(table, papers=["GS3"])["paper"]), len(filter_attempts(table, topics=["Ethics"]))
    (['GS3'], 0)
    """
    shown = table
    if papers:
        shown = shown[shown["paper"].isin(papers)]
    if topics:
        shown = shown[shown["topic"].isin(topics)]
    words = _spaced(question_contains)
    if words:
        spaced_questions = shown["question"].map(_spaced)
        shown = shown[spaced_questions.str.contains(words, case=False, regex=False)]
    return shown


def averages_by(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Attempts and mean marks (as % of the maximum) per ``column`` (e.g. paper or topic)."""
    if table.empty:
        return pd.DataFrame(columns=[column, "attempts", "average_percent", "average_marks"])
    grouped = table.groupby(column, sort=True).agg(
        attempts=("attempt", "count"),
        average_percent=("percent", "mean"),
        average_marks=("marks", "mean"),
    ).reset_index()
    grouped["average_percent"] = grouped["average_percent"].round(1)
    grouped["average_marks"] = grouped["average_marks"].round(2)
    return grouped.sort_values(["average_percent", column]).reset_index(drop=True)


def surely_missed(misses: float, seen: int, z: float = 1.96) -> float:
    """The miss rate one can be sure of: the lower end of its 95% Wilson interval.

    A point missed in the only answer that asked it may be bad luck; one missed 3 times
    in 5 is surely weak.  Ranking by this bound puts the steadier evidence first.

    >>> round(surely_missed(1, 1), 3), round(surely_missed(3, 5), 3), round(surely_missed(2, 2), 3)
    (0.207, 0.231, 0.342)
    """
    if seen <= 0:
        return 0.0
    rate = misses / seen
    spread = z * math.sqrt(rate * (1 - rate) / seen + z * z / (4 * seen * seen))
    return max(0.0, (rate + z * z / (2 * seen) - spread) / (1 + z * z / seen))


def weakest_areas(
    attempts: Sequence[AttemptRecord],
    concept_names: Mapping[str, str] | None = None,
    *,
    top: int = 10,
) -> pd.DataFrame:
    """The rubric concepts and points most often missed, from each attempt's stored feedback.

    A point tied to shared concepts counts under each concept (so "JWG" missed in two
    different questions adds up); other points count under their own label.
    Partial coverage counts as half a miss.  The order is by ``surely_missed``, so a
    point missed 3 times in 5 comes before one missed once in its only answer.
    """
    concept_names = concept_names or {}
    tally: dict[tuple[str, str], dict[str, float]] = {}
    for attempt in attempts:
        for point in attempt.feedback.points:
            keys = [("concept", concept_names.get(c, c)) for c in point.concepts] or [("point", point.label)]
            for key in keys:
                row = tally.setdefault(key, {"seen": 0, "missed": 0, "partial": 0, "questions": set()})
                row["seen"] += 1
                row["missed"] += point.status == "missed"
                row["partial"] += point.status == "partial"
                row["questions"].add(attempt.question_id)
    rows = [
        {
            "area": name,
            "kind": kind,
            "missed": int(row["missed"]),
            "partial": int(row["partial"]),
            "seen": int(row["seen"]),
            "miss_rate": round((row["missed"] + 0.5 * row["partial"]) / row["seen"], 3),
            "questions": len(row["questions"]),
        }
        for (kind, name), row in tally.items()
        if row["missed"] or row["partial"]
    ]
    frame = pd.DataFrame(rows, columns=["area", "kind", "missed", "partial", "seen", "miss_rate", "questions"])
    if frame.empty:
        return frame
    frame["sure"] = [surely_missed(row.missed + 0.5 * row.partial, row.seen) for row in frame.itertuples()]
    frame = frame.sort_values(["sure", "miss_rate", "area"], ascending=[False, False, True])
    return frame.drop(columns="sure").head(top).reset_index(drop=True)


def _word_limit(attempt: AttemptRecord) -> int | None:
    try:
        length = attempt.feedback.length
    except ValueError:
        return None
    return length.limit if length else None


def _spaced(text: str) -> str:
    """The text with every run of spaces, tabs and line breaks made one space."""
    return " ".join(text.split())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV; text cells that a spreadsheet would run as a formula get a leading '.

    Dates are ISO 8601 with their offset from UTC, to the second: on the clock they are on
    (the viewer's, in the Progress page's table), yet one moment wherever the file is read.

    >>> stamp = pd.Timestamp("2026-11-25 22:51:29.5", tz="UTC")
    >>> table = pd.DataFrame({"date": [stamp.tz_convert("Asia/Kolkata")], "question": ["=1+1"]})
    >>> print(csv_bytes(table).decode().strip())
    date,question
    2026-11-26T04:21:29+05:30,'=1+1
    """
    safe = table.copy()
    for column in safe.columns:
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].map(lambda t: t.isoformat(timespec="seconds") if pd.notna(t) else "")
            continue
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return safe.to_csv(index=False).encode("utf-8")
