"""Storage: drafts with server-side deadlines, attempts stored exactly, and no lost work under load.

Every test that touches a database runs twice through ``any_database``: on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

import storage
from scoring.feedback import Component, Feedback, Flag, LengthReport, PointResult
from scoring.models import Question
from storage import timing

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def make_feedback(question_id: str = "q1", marks: float = 6.5, *, version: str = "v1", words: int = 120) -> Feedback:
    return Feedback(
        question_id=question_id,
        question_version=version,
        marks=marks,
        max_marks=10,
        components=(Component(name="content", score=0.6, weight=0.65, marks=3.9, note="2 of 3 points"),),
        points=(
            PointResult(id="a", label="Point A", weight=2, status="covered", strength=0.9,
                        evidence="Point A is here.", span=(0, 16), matched_terms=("point a",)),
            PointResult(id="b", label="Point B", weight=1, status="missed", strength=0.0, hint="Say B."),
        ),
        flags=(Flag(code="under_length", message="short"),),
        length=LengthReport(words=words, limit=150, ratio=words / 150, status="good"),
    )


@pytest.fixture
def user(any_database) -> int:
    return storage.default_user_id()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database_url):
    engine = storage.get_engine()
    assert storage.journal_mode(engine) == "wal"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_default_url_is_a_sqlite_file_under_data(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = storage.database_url()
    assert url.startswith("sqlite:///") and url.endswith("data/mains.db")


def test_default_user_is_created_once(any_database):
    first = storage.default_user_id()
    assert storage.default_user_id() == first
    assert storage.ensure_user("someone-else") != first


def test_start_resumes_the_same_draft_with_the_same_deadline(user):
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    assert draft.deadline == T0 + timedelta(minutes=7)
    assert draft.time_limit_seconds == 420
    assert storage.save_draft_text(user, draft.id, "India and Japan", now=T0 + timedelta(seconds=30))
    # a refresh five minutes later: same draft, same deadline, text intact
    again = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0 + timedelta(minutes=5))
    assert (again.id, again.deadline, again.text) == (draft.id, draft.deadline, "India and Japan")
    assert again.deadline.tzinfo is not None
    assert [d.id for d in storage.list_open_drafts(user)] == [draft.id]


def test_submit_stores_feedback_exactly_and_closes_the_draft_in_one_step(user):
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    feedback = make_feedback()
    attempt = storage.submit_attempt(user, draft.id, "Point A is here.", feedback, now=T0 + timedelta(minutes=5))
    assert storage.get_open_draft(user, "q1") is None
    stored = storage.get_attempt(user, attempt.id)
    assert stored.feedback_json == feedback.model_dump_json()
    assert stored.feedback == feedback
    assert (stored.marks, stored.max_marks, stored.words) == (6.5, 10, 120)
    assert (stored.time_taken_seconds, stored.overtime_seconds, stored.time_limit_seconds) == (300, 0, 420)
    assert stored.answer == "Point A is here."
    assert stored.question_version == "v1"
    assert stored.question is None  # no question given: none kept
    with pytest.raises(storage.DraftNotFound):
        storage.submit_attempt(user, draft.id, "again", feedback)
    assert storage.count_attempts(user) == 1


def test_the_question_as_answered_is_kept_with_the_attempt(user):
    question = Question(id="q1", paper="GS2", topic="t", marks=10, directive="explain",
                        text="Explain the JWG.\n\nIn 150 words.", model_answer="The JWG on critical minerals…")
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    attempt = storage.submit_attempt(user, draft.id, "The JWG…", make_feedback(), question=question, now=T0)
    assert storage.get_attempt(user, attempt.id).question == question == attempt.question
    assert storage.list_attempts(user)[0].question == question


def test_overtime_is_recorded_and_the_answer_is_kept_whole(user):
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    long_answer = "word " * 5000
    storage.save_draft_text(user, draft.id, long_answer, now=T0 + timedelta(minutes=8))
    attempt = storage.submit_attempt(user, draft.id, long_answer, make_feedback(),
                                     now=T0 + timedelta(minutes=8, seconds=30))
    assert attempt.overtime_seconds == 90
    assert attempt.time_taken_seconds == 510
    assert storage.get_attempt(user, attempt.id).answer == long_answer


def test_question_version_comes_from_the_feedback_it_was_scored_against(user):
    draft = storage.start_or_resume_draft(user, "q1", "old-version", 7, now=T0)
    attempt = storage.submit_attempt(user, draft.id, "x", make_feedback(version="new-version"), now=T0)
    assert attempt.question_version == "new-version"


def test_nul_is_stored_as_a_replacement_character_keeping_offsets(user):
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    storage.save_draft_text(user, draft.id, "a\x00b")
    assert storage.get_draft(user, draft.id).text == "a\ufffdb"
    attempt = storage.submit_attempt(user, draft.id, "a\x00b", make_feedback(), now=T0)
    assert len(attempt.answer) == 3


def test_another_user_cannot_read_or_change_what_is_not_theirs(user):
    other = storage.ensure_user("other")
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    assert storage.get_draft(other, draft.id) is None
    assert not storage.save_draft_text(other, draft.id, "overwritten")
    assert not storage.discard_draft(other, draft.id)
    with pytest.raises(storage.DraftNotFound):
        storage.submit_attempt(other, draft.id, "x", make_feedback())
    attempt = storage.submit_attempt(user, draft.id, "mine", make_feedback(), now=T0)
    assert storage.get_attempt(other, attempt.id) is None
    assert storage.list_attempts(other) == []
    assert storage.attempted_question_ids(user) == {"q1"}


def test_discard_closes_a_draft_and_a_new_start_gets_a_fresh_clock(user):
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    assert storage.discard_draft(user, draft.id)
    fresh = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0 + timedelta(hours=1))
    assert fresh.id != draft.id and fresh.deadline == T0 + timedelta(hours=1, minutes=7)


def test_list_attempts_orders_and_filters(user):
    for minute, qid in enumerate(["q1", "q2", "q1"]):
        draft = storage.start_or_resume_draft(user, qid, "v", 7, now=T0)
        storage.submit_attempt(user, draft.id, qid, make_feedback(qid), now=T0 + timedelta(minutes=minute))
    newest = storage.list_attempts(user)
    assert [a.submitted_at for a in newest] == sorted((a.submitted_at for a in newest), reverse=True)
    assert [a.question_id for a in storage.list_attempts(user, newest_first=False)] == ["q1", "q2", "q1"]
    assert len(storage.list_attempts(user, question_id="q1")) == 2
    assert len(storage.list_attempts(user, limit=1)) == 1


def test_twenty_threads_submitting_at_once_lose_nothing(any_database):
    """20 sessions submit at the same instant to one database: all 20 attempts persist."""
    users = [storage.ensure_user(f"aspirant-{n}") for n in range(20)]
    drafts = [storage.start_or_resume_draft(u, "q1", "v1", 11) for u in users]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def submit(user_id: int, draft_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            storage.save_draft_text(user_id, draft_id, f"answer of {user_id}")
            storage.submit_attempt(user_id, draft_id, f"answer of {user_id}", make_feedback())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(u, d.id)) for u, d in zip(users, drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, [repr(e) for e in errors]
    for user_id in users:
        attempts = storage.list_attempts(user_id)
        assert [a.answer for a in attempts] == [f"answer of {user_id}"]
        assert storage.list_open_drafts(user_id) == []


def test_autosaves_and_submits_interleaved_from_many_threads(any_database):
    """One user's autosaves race with other users' submits; every save and submit lands."""
    writer_user = storage.ensure_user("writer")
    draft = storage.start_or_resume_draft(writer_user, "long", "v1", 11)
    others = [storage.ensure_user(f"o{n}") for n in range(10)]
    other_drafts = [storage.start_or_resume_draft(u, "q1", "v1", 11) for u in others]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(others) + 1)

    def autosave() -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(40):
                assert storage.save_draft_text(writer_user, draft.id, "word " * (n + 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def submit(user_id: int, draft_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            storage.submit_attempt(user_id, draft_id, "answer", make_feedback())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=autosave)] + [
        threading.Thread(target=submit, args=(u, d.id)) for u, d in zip(others, other_drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, [repr(e) for e in errors]
    assert storage.get_draft(writer_user, draft.id).text == "word " * 40
    assert sum(storage.count_attempts(u) for u in others) == 10


def test_two_tabs_starting_the_same_question_share_one_draft(user):
    barrier = threading.Barrier(2)
    results = []

    def start() -> None:
        barrier.wait(timeout=10)
        results.append(storage.start_or_resume_draft(user, "q9", "v1", 7))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({d.id for d in results}) == 1
    assert len(storage.list_open_drafts(user)) == 1


def test_the_same_draft_submitted_twice_at_once_is_recorded_once(user):
    """A double click or two tabs: one attempt, the other call told the draft is gone (FOR UPDATE on PostgreSQL)."""
    for round_ in range(5):
        draft = storage.start_or_resume_draft(user, f"dup{round_}", "v1", 7)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def submit() -> None:
            barrier.wait(timeout=10)
            try:
                storage.submit_attempt(user, draft.id, "the answer", make_feedback())
                outcomes.append("stored")
            except storage.DraftNotFound:
                outcomes.append("gone")

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["gone", "stored"]
        assert len(storage.list_attempts(user, question_id=f"dup{round_}")) == 1


def test_times_come_back_as_aware_utc_to_the_microsecond(user):
    start = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))  # IST
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=start)
    stored = storage.get_draft(user, draft.id)
    assert stored.started_at == start and stored.started_at.utcoffset() == timedelta(0)
    assert stored.started_at.microsecond == 123456
    attempt = storage.submit_attempt(user, draft.id, "x", make_feedback(), now=start + timedelta(seconds=61.5))
    again = storage.get_attempt(user, attempt.id)
    assert again.submitted_at - again.started_at == timedelta(seconds=61.5)
    assert again.time_taken_seconds == 61


def test_any_script_and_emoji_round_trip_exactly(user):
    text = "भारत–जापान संबंध 🇮🇳🇯🇵 — “quotes”, tabs\tand\r\nCRLF, 日本語, ‘FOIP’ " + "ü" * 3000
    draft = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    assert storage.save_draft_text(user, draft.id, text)
    assert storage.get_draft(user, draft.id).text == text
    attempt = storage.submit_attempt(user, draft.id, text, make_feedback(), now=T0)
    assert storage.get_attempt(user, attempt.id).answer == text


def test_ids_are_never_reused_after_a_draft_is_closed(user):
    first = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    storage.discard_draft(user, first.id)
    second = storage.start_or_resume_draft(user, "q1", "v1", 7, now=T0)
    assert second.id > first.id  # a stale tab holding the old id can never write into the new draft


def test_postgresql_urls_are_served_by_psycopg_3():
    from storage.engine import normalise_url

    assert normalise_url("postgresql://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"  # an explicit choice stands
    assert normalise_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


# ------------------------------------------------------------------ timing (pure)


def test_clock_counts_down_then_records_overtime_without_touching_text():
    deadline = timing.deadline_for(T0, minutes=11)
    assert timing.remaining_seconds(deadline, T0) == 660
    assert timing.remaining_seconds(deadline, T0 + timedelta(seconds=0.5)) == 660  # rounds up
    assert not timing.is_time_up(deadline, T0 + timedelta(minutes=10, seconds=59))
    assert timing.is_time_up(deadline, deadline)
    past = deadline + timedelta(minutes=2, seconds=5)
    assert timing.remaining_seconds(deadline, past) == 0
    assert timing.overtime_seconds(deadline, past) == 125
    assert timing.overtime_seconds(deadline, T0) == 0
    assert timing.elapsed_seconds(T0, past) == 13 * 60 + 5


def test_format_clock():
    assert timing.format_clock(0) == "00:00"
    assert timing.format_clock(420) == "07:00"
    assert timing.format_clock(3600 + 61) == "1:01:01"
    assert timing.format_clock(-5) == "00:00"
