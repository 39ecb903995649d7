"""Progress tables computed from stored attempts (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scoring.feedback import Feedback, LengthReport, PointResult
from scoring.models import Question
from storage.progress import attempts_table, averages_by, csv_bytes, filter_attempts, weakest_areas
from storage.records import AttemptRecord

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=timezone.utc)
QUESTIONS = {
    "q1": Question(id="q1", paper="GS2", topic="Polity", marks=10, directive="discuss", text="=HYPERLINK(1)",
                   model_answer="x"),
    "q2": Question(id="q2", paper="GS3", topic="Economy", marks=15, directive="examine", text="Examine y.",
                   model_answer="y"),
}
#: A question whose last words come well after its 90th character (the table once cut it there).
LONG_TEXT = ("India's cooperative federalism rests on shared institutions where the Union and the states "
             "decide together. Examine this with reference to the Fifteenth Finance Commission.")


def attempt(n: int, qid: str, marks: float, statuses: dict[str, str], concepts: dict[str, tuple] = {}) -> AttemptRecord:
    max_marks = QUESTIONS[qid].marks if qid in QUESTIONS else 10
    feedback = Feedback(
        question_id=qid, marks=marks, max_marks=max_marks,
        points=tuple(PointResult(id=pid, label=pid.upper(), weight=1, status=s, strength=0.5,
                                 concepts=concepts.get(pid, ())) for pid, s in statuses.items()),
        length=LengthReport(words=100, limit=150, ratio=0.66, status="good"),
    )
    return AttemptRecord(
        id=n, user_id=1, question_id=qid, question_version="v", answer="a", feedback_json=feedback.model_dump_json(),
        marks=marks, max_marks=max_marks, words=100, started_at=T0, submitted_at=T0 + timedelta(days=n),
        time_limit_seconds=420, time_taken_seconds=400 + n, overtime_seconds=0,
    )


ATTEMPTS = [
    attempt(1, "q1", 5, {"a": "missed", "b": "covered"}, {"a": ("foip",)}),
    attempt(2, "q2", 9, {"c": "missed", "d": "partial"}, {"c": ("foip",)}),
    attempt(3, "gone", 2, {"e": "covered"}),
]


def test_attempts_table_has_one_row_per_attempt_with_question_details():
    table = attempts_table(ATTEMPTS, QUESTIONS)
    assert list(table["attempt"]) == [1, 2, 3]
    assert list(table["paper"]) == ["GS2", "GS3", "unknown"]
    assert table.loc[2, "question"] == "gone (no longer in the bank)"
    assert list(table["percent"]) == [50.0, 60.0, 20.0]
    assert table.loc[0, "time"] == "06:41"
    assert table.loc[0, "word_limit"] == 150


def test_weakest_areas_add_up_a_concept_missed_in_different_questions():
    weak = weakest_areas(ATTEMPTS, {"foip": "Free and Open Indo-Pacific"})
    first = weak.iloc[0]
    assert (first["area"], first["kind"], first["missed"], first["seen"], first["questions"]) == (
        "Free and Open Indo-Pacific", "concept", 2, 2, 2)
    assert "D" in set(weak["area"]) and weak.set_index("area").loc["D", "miss_rate"] == 0.5
    assert "B" not in set(weak["area"])  # never missed


def test_weakest_areas_put_steady_misses_before_a_single_one():
    attempts = [attempt(1, "q1", 5, {"once": "missed"})]
    attempts += [attempt(n, "q2", 9, {"often": "missed" if n <= 4 else "covered", "twice": "missed" if n <= 3 else "covered"})
                 for n in range(2, 7)]
    weak = weakest_areas(attempts)
    # missed 3 of 5 is surer than 1 of 1, which is surer than 2 of 5 (the raw rate put 1 of 1 first)
    assert list(weak["area"]) == ["OFTEN", "ONCE", "TWICE"]
    assert list(weak["miss_rate"]) == [0.6, 1.0, 0.4]


def test_averages_by_paper():
    table = attempts_table(ATTEMPTS, QUESTIONS)
    by_paper = averages_by(table, "paper").set_index("paper")
    assert by_paper.loc["GS3", "average_percent"] == 60.0
    assert by_paper.loc["GS2", "attempts"] == 1
    assert averages_by(table.iloc[0:0], "paper").empty


def test_csv_export_neutralises_formulas():
    text = csv_bytes(attempts_table(ATTEMPTS, QUESTIONS)).decode("utf-8")
    assert "'=HYPERLINK(1)" in text
    assert text.splitlines()[0].startswith("attempt,date,question_id,question")


def test_the_table_is_on_the_viewers_clock_and_the_csv_dates_carry_their_offset():
    from zoneinfo import ZoneInfo

    utc = attempts_table(ATTEMPTS, QUESTIONS)
    india = attempts_table(ATTEMPTS, QUESTIONS, ZoneInfo("Asia/Kolkata"))
    assert str(utc["date"].dt.tz) == "UTC" and str(india["date"].dt.tz) == "Asia/Kolkata"
    assert (utc["date"] == india["date"]).all()  # the same moments
    assert india.loc[0, "date"].strftime("%d %H:%M") == "02 13:30"  # T0 + 1 day, 08:00 UTC, on the Indian clock
    # ISO 8601 with the offset, to the second: the viewer's clock, yet one moment wherever it is read
    first_row = {csv: csv_bytes(table).decode("utf-8").splitlines()[1] for csv, table in (("utc", utc), ("in", india))}
    assert first_row["utc"].startswith("1,2025-05-02T08:00:00+00:00,q1,")
    assert first_row["in"].startswith("1,2025-05-02T13:30:00+05:30,q1,")


def test_attempts_table_and_csv_keep_the_whole_question():
    questions = {**QUESTIONS, "q2": QUESTIONS["q2"].model_copy(update={"text": LONG_TEXT})}
    assert LONG_TEXT.index("Finance Commission") > 90
    table = attempts_table(ATTEMPTS, questions)
    assert table.loc[1, "question"] == LONG_TEXT
    assert LONG_TEXT in csv_bytes(table).decode("utf-8")


def test_question_search_reads_the_whole_question_in_any_case():
    questions = {**QUESTIONS, "q2": QUESTIONS["q2"].model_copy(update={"text": LONG_TEXT})}
    table = attempts_table(ATTEMPTS, questions)
    assert list(filter_attempts(table, question_contains="fifteenth FINANCE commission")["attempt"]) == [2]
    assert list(filter_attempts(table, question_contains="  finance\ncommission ")["attempt"]) == [2]
    assert list(filter_attempts(table, question_contains="gone")["attempt"]) == [3]  # a deleted question, by its id
    assert filter_attempts(table, papers=["GS2"], question_contains="finance").empty
    assert list(filter_attempts(table, papers=["GS3"], topics=["Economy"])["attempt"]) == [2]
    assert list(filter_attempts(table, question_contains="   ")["attempt"]) == [1, 2, 3]  # blank: no filter
