"""History page in AppTest: an earlier attempt reopens from the stored feedback, unchanged."""

from __future__ import annotations

from datetime import timedelta

import yaml

import storage
from scoring.bank import delete_item, load_bank, write_atomic
from scoring.scorer import Scorer
from storage.timing import utcnow

ANSWER = ("The GST Council is a constitutional body under Article 279A. The Union holds one third of the "
          "votes and the states two thirds. The way forward is a dispute mechanism.")


def record_attempt(bank_dir, item, answer: str, *, minutes_ago: int = 0, keep_question: bool = True):
    """An attempt as Practice records it (with the question as answered), or as attempts were recorded before
    revision 0003 (``keep_question=False``)."""
    user = storage.default_user_id()
    scorer = Scorer().fit(load_bank(bank_dir))
    started = utcnow() - timedelta(minutes=minutes_ago + 6)
    draft = storage.start_or_resume_draft(user, item.id, item.version, 7, now=started)
    return storage.submit_attempt(user, draft.id, answer, scorer.score(item, answer),
                                  question=item.question if keep_question else None,
                                  now=utcnow() - timedelta(minutes=minutes_ago))


def open_history(app):
    app.run()
    app.switch_page("app_pages/history.py").run()
    assert not app.exception, app.exception
    return app


def test_no_attempts_yet_says_so(app, sample_item):
    open_history(app)
    assert any("No attempts yet" in i.value for i in app.info)


def test_reopened_attempt_shows_the_stored_feedback_even_after_the_question_changes(app, bank_dir, sample_item):
    first = record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=30)
    second = record_attempt(bank_dir, sample_item, "Too short.", minutes_ago=5)
    # the mentor rewrites the rubric afterwards: past feedback must not change
    rubric = yaml.safe_load((bank_dir / "rubric" / "test-gst-council.yaml").read_text())
    rubric["points"] = rubric["points"][:1]
    write_atomic(bank_dir / "rubric" / "test-gst-council.yaml", yaml.safe_dump(rubric))

    open_history(app)
    assert app.selectbox(key="history_pick").value == second.id  # newest first
    app.selectbox(key="history_pick").set_value(first.id).run()
    assert app.metric[0].value == f"{first.marks:g} / 10"
    labels = " ".join(m.value for m in app.markdown).replace("\\", "")
    for point in first.feedback.points:  # all three original points, though the rubric now has one
        assert point.label in labels
    assert any("edited since" in c.value for c in app.caption)
    html = "\n".join(h.proto.body for h in app.get("html"))
    assert "<mark" in html
    download = app.get("download_button")[0]
    assert download.proto.label == "Download feedback (Markdown)"


def test_an_attempt_at_a_deleted_question_still_shows_the_question_and_model_answer(app, bank_dir, sample_item):
    """The bank's Delete promises "Past attempts at it stay in history": with the question as answered, not
    only its id."""
    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    delete_item(bank_dir, sample_item.id)
    open_history(app)
    text = " ".join(sample_item.question.text.split())
    assert app.selectbox(key="history_pick").format_func(attempt.id).startswith(text[:40])
    html = "\n".join(h.proto.body for h in app.get("html"))
    assert sample_item.question.text.split("\n")[0] in html  # the question above the feedback
    assert sample_item.question.model_answer.split("\n")[0][:60] in html  # the model answer beside the answer
    assert any("deleted from the bank; here it is as you answered it" in c.value for c in app.caption)
    assert not any("no longer in the bank" in c.value for c in app.caption)

    app.switch_page("app_pages/progress.py").run()  # Progress names it by its words too
    assert not app.exception, app.exception
    questions = [d for d in app.dataframe if "question" in d.value.columns][0].value["question"].tolist()
    assert questions == [sample_item.question.text.strip()]


def test_an_attempt_recorded_before_questions_were_kept_names_a_deleted_question_by_its_id(app, bank_dir,
                                                                                          sample_item):
    attempt = record_attempt(bank_dir, sample_item, ANSWER, keep_question=False)
    delete_item(bank_dir, sample_item.id)
    open_history(app)
    assert app.selectbox(key="history_pick").format_func(attempt.id).startswith(
        f"{sample_item.id} (no longer in the bank)")
    assert any("no longer in the bank" in c.value for c in app.caption)


def test_attempt_in_the_url_reopens_it_after_a_refresh(app, bank_dir, sample_item):
    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    app.query_params["attempt"] = str(attempt.id)
    app.run()  # the Practice page, as after Submit and a browser refresh
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["Feedback"]
    assert app.metric[0].value == f"{attempt.marks:g} / 10"


def test_the_attempt_picked_stays_picked_and_the_address_can_change_it(app, bank_dir, sample_item):
    first = record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=30)
    second = record_attempt(bank_dir, sample_item, "Too short.", minutes_ago=5)
    open_history(app)
    labels = app.selectbox(key="history_pick").options
    assert labels[0] != labels[1] and "2 words" in labels[0]  # the newest: "Too short."
    # AppTest's browser sends no time zone: the time is in UTC, and says so
    assert labels[0].endswith(f" · {second.submitted_at.day} {second.submitted_at:%b %Y, %H:%M} UTC")
    # the question comes first: a phone's select box shows only an option's start
    assert all(label.startswith(" ".join(sample_item.question.text.split())[:20]) for label in labels)
    app.selectbox(key="history_pick").set_value(first.id).run()
    assert app.query_params["attempt"] == str(first.id)
    # to Progress and back by the sidebar (an address without ?attempt=): still the one picked
    app.switch_page("app_pages/progress.py").run()
    app.query_params.clear()
    app.switch_page("app_pages/history.py").run()
    assert app.selectbox(key="history_pick").value == first.id
    assert app.metric[0].value == f"{first.marks:g} / 10"
    # pick the other, then the Back button brings back the address of the first
    app.selectbox(key="history_pick").set_value(second.id).run()
    assert app.query_params["attempt"] == str(second.id)
    app.query_params["attempt"] = str(first.id)
    app.run()
    assert app.selectbox(key="history_pick").value == first.id
    assert app.metric[0].value == f"{first.marks:g} / 10"


def test_someone_elses_attempt_id_in_the_url_shows_nothing_of_it(app, bank_dir, sample_item):
    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    other = storage.ensure_user("other")
    assert storage.get_attempt(other, attempt.id) is None
    app.query_params["attempt"] = str(attempt.id + 1000)
    app.run()
    assert [t.value for t in app.title] == ["Practice"]
    assert any("not in your history" in i.value for i in app.info)


def test_a_link_to_an_attempt_or_question_that_is_not_there_says_so(app, bank_dir, sample_item):
    older = record_attempt(bank_dir, sample_item, ANSWER, minutes_ago=30)
    own = record_attempt(bank_dir, sample_item, ANSWER)
    open_history(app)
    app.selectbox(key="history_pick").set_value(older.id).run()
    app.query_params["attempt"] = str(own.id + 1000)  # a link to an attempt that is not this user's
    app.run()
    assert any("not in your history" in i.value for i in app.info)
    assert app.selectbox(key="history_pick").value == own.id  # the newest instead
    app.run()  # said once: the address now names the attempt on screen
    assert not any("not in your history" in i.value for i in app.info)

    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    fresh = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=30)
    fresh.query_params["q"] = "no-such-question"
    fresh.run()
    assert any("“no-such-question” is not in the bank" in i.value.replace("\\", "") for i in fresh.info)
    assert fresh.selectbox(key="practice_pick")  # choosing a question instead


def test_a_browser_in_india_sees_the_attempt_and_its_download_on_its_own_clock(app, bank_dir, sample_item,
                                                                            monkeypatch):
    from zoneinfo import ZoneInfo

    import app_pages.feedback_view

    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    downloads = []  # the Markdown the page hands to its download button
    real_markdown = app_pages.feedback_view.feedback_markdown

    def kept_markdown(*args, **kwargs):
        downloads.append(real_markdown(*args, **kwargs))
        return downloads[-1]

    monkeypatch.setattr(app_pages.feedback_view, "feedback_markdown", kept_markdown)
    app.context["timezone"] = "Asia/Kolkata"  # what Streamlit hears from a browser in India
    app.context["timezone_offset"] = -330
    open_history(app)
    india = attempt.submitted_at.astimezone(ZoneInfo("Asia/Kolkata"))
    when = f"{india.day} {india:%b %Y, %H:%M} IST"
    label = app.selectbox(key="history_pick").options[0]
    assert label.endswith(f" · {when}"), label
    assert f"**Submitted:** {when} (UTC+05:30)" in downloads[-1]
    assert storage.get_attempt(storage.default_user_id(), attempt.id).submitted_at == attempt.submitted_at  # stored UTC


def test_an_unknown_time_zone_from_the_browser_falls_back_to_its_offset_then_to_utc(app, bank_dir, sample_item):
    attempt = record_attempt(bank_dir, sample_item, ANSWER)
    app.context["timezone"] = "Not/A_zone"
    app.context["timezone_offset"] = -330
    open_history(app)
    india = attempt.submitted_at + timedelta(hours=5, minutes=30)
    assert app.selectbox(key="history_pick").options[0].endswith(f"{india.day} {india:%b %Y, %H:%M} UTC+05:30")
    app.context["timezone_offset"] = None
    app.run()
    utc = attempt.submitted_at
    assert app.selectbox(key="history_pick").options[0].endswith(f"{utc.day} {utc:%b %Y, %H:%M} UTC")
